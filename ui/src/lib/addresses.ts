// Recipient fields as the user types them: "Name <a@b>, c@d". Split, checked and completed
// here; the engine parses them again (with lettre) and has the last word when sending.

/** The entries of a recipient field; commas inside quotes or angle brackets do not split. */
export function splitAddresses(text: string): string[] {
  const entries: string[] = [];
  let current = "";
  let quoted = false;
  let angle = false;
  for (const char of text) {
    if (char === '"' && !angle) quoted = !quoted;
    else if (char === "<" && !quoted) angle = true;
    else if (char === ">" && !quoted) angle = false;
    if ((char === "," || char === ";") && !quoted && !angle) {
      entries.push(current);
      current = "";
    } else {
      current += char;
    }
  }
  entries.push(current);
  return entries.map((e) => e.trim()).filter((e) => e !== "");
}

// Local part and domain: no spaces, no brackets or quotes, a domain of dot-separated labels.
// Non-ASCII is allowed (internationalised addresses, RFC 6531); the engine decides whether the
// server can take them.
const ADDRESS = /^[^\s@<>(),;:"[\]\\]+@[^\s@<>(),;:"[\]\\.]+(\.[^\s@<>(),;:"[\]\\.]+)*$/u;

/** The address of one entry: inside <…> when there is a name, else the whole entry. */
export function addressOf(entry: string): string {
  const match = /<([^<>]*)>\s*$/.exec(entry);
  return (match ? match[1] : entry).trim();
}

export function isValidEntry(entry: string): boolean {
  const angle = /<([^<>]*)>\s*$/.exec(entry);
  if (angle === null && /[<>]/.test(entry)) return false;
  return ADDRESS.test(addressOf(entry));
}

/** The entries of a field that are not e-mail addresses, as typed. */
export function invalidEntries(text: string): string[] {
  return splitAddresses(text).filter((entry) => !isValidEntry(entry));
}

/** What is being typed now: the text after the last separator outside quotes and brackets. */
export function currentEntry(text: string): string {
  let start = 0;
  let quoted = false;
  let angle = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"' && !angle) quoted = !quoted;
    else if (char === "<" && !quoted) angle = true;
    else if (char === ">" && !quoted) angle = false;
    else if ((char === "," || char === ";") && !quoted && !angle) start = i + 1;
  }
  return text.slice(start).trimStart();
}

/** A name as it can stand in a field: quoted when it holds a character that would split it. */
export function formatEntry(name: string, address: string): string {
  const clean = name.replace(/["\\\r\n]/g, "").trim();
  if (clean === "") return address;
  return /[,;<>@():]/.test(clean) ? `"${clean}" <${address}>` : `${clean} <${address}>`;
}

/** The field with what is being typed replaced by a chosen entry, ready for the next one. */
export function completeEntry(text: string, entry: string): string {
  const typed = currentEntry(text);
  const before = text.slice(0, text.length - typed.length).trimEnd();
  const prefix = before === "" ? "" : `${before} `;
  return `${prefix}${entry}, `;
}
