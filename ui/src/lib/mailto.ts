// mailto: links (RFC 6068) from mail, as composer fields. What they carry is untrusted: header
// fields are one line (the engine also strips control characters), and only the fields a
// composer has are taken — no "from", no arbitrary headers.

export type MailtoFields = { to: string; cc: string; bcc: string; subject: string; body: string };

function decode(text: string): string {
  try {
    return decodeURIComponent(text.replace(/\+/g, "%2B"));
  } catch {
    return text;
  }
}

/** Control characters (CR and LF above all) become spaces: a header field is one line. */
function oneLine(text: string): string {
  let out = "";
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    out += code < 0x20 || code === 0x7f ? " " : char;
  }
  return out.replace(/ {2,}/g, " ").trim();
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return at === -1 ? [text, ""] : [text.slice(0, at), text.slice(at + separator.length)];
}

export function parseMailto(url: string): MailtoFields | null {
  if (!/^mailto:/i.test(url)) return null;
  const rest = url.slice("mailto:".length);
  // Split at the first "?" and each pair at its first "=": the rest belongs to the value
  // (`split` with a limit would drop it).
  const [addresses, query] = splitOnce(rest, "?");
  const fields: MailtoFields = { to: oneLine(decode(addresses)), cc: "", bcc: "", subject: "", body: "" };
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const [rawName, rawValue] = splitOnce(pair, "=");
    const name = decode(rawName).toLowerCase();
    const value = decode(rawValue);
    if (name === "to") fields.to = [fields.to, oneLine(value)].filter((v) => v !== "").join(", ");
    else if (name === "cc") fields.cc = oneLine(value);
    else if (name === "bcc") fields.bcc = oneLine(value);
    else if (name === "subject") fields.subject = oneLine(value);
    else if (name === "body") fields.body = value.replace(/\r\n?/g, "\n");
  }
  return fields;
}
