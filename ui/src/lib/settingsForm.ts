// The account form as plain data, and the small rules behind it (default
// ports, user-name pre-fill, validation). Kept free of Svelte so it is unit-tested.
import type { Account, AccountSettings, Identity, Pop3Mode, Security, TrustedCertificate } from "./ipc";

export type ServerKind = "pop3" | "smtp";

export type ServerForm = { host: string; port: number | null; security: Security; username: string };

export type AccountForm = {
  displayName: string;
  email: string;
  pop3: ServerForm;
  pop3Mode: Pop3Mode;
  /** Keep mode only: days after download before the server copy is deleted; null = never. */
  keepDays: number | null;
  /** Keep mode only: a message deleted here is deleted from the server at the next check. */
  deleteWhenDeletedHere: boolean;
  /** Download only the headers; the body on request. */
  headersOnly: boolean;
  /** Messages larger than this many KiB arrive as their start only; null = no limit. */
  maxMessageKib: number | null;
  smtp: ServerForm;
  /** Minutes between automatic checks; null = only at start and on request. */
  checkInterval: number | null;
  /** Replies to mail sent as this address go here instead; "" = to the address itself. */
  replyTo: string;
  signature: string;
  /** Other names and addresses to send as. */
  identities: Identity[];
};

export type FieldId = "email" | "pop3Host" | "pop3Username" | "smtpHost";

export type Problem =
  | { type: "required"; fields: FieldId[] }
  | { type: "email" }
  | { type: "port"; server: ServerKind }
  | { type: "keepDays" }
  | { type: "maxMessageKib" }
  | { type: "checkInterval" }
  | { type: "replyTo" }
  | { type: "identityEmail"; index: number };

const defaultPorts: Record<ServerKind, Record<Security, number>> = {
  pop3: { tls: 995, startTls: 110, plaintextDangerous: 110 },
  smtp: { tls: 465, startTls: 587, plaintextDangerous: 25 },
};

export function defaultPort(kind: ServerKind, security: Security): number {
  return defaultPorts[kind][security];
}

/**
 * The port to show after the security changed: the new default, unless the
 * user typed a port of their own (anything that is not one of the defaults).
 */
export function portAfterSecurityChange(kind: ServerKind, port: number | null, security: Security): number | null {
  const known = Object.values(defaultPorts[kind]);
  if (port === null || port === undefined || Number.isNaN(port) || known.includes(port)) {
    return defaultPort(kind, security);
  }
  return port;
}

/** User names follow the e-mail address while they are empty or still equal to it. */
export function usernameAfterEmailChange(username: string, previousEmail: string, email: string): string {
  return username === "" || username === previousEmail ? email : username;
}

export function emptyForm(): AccountForm {
  return {
    displayName: "",
    email: "",
    pop3: { host: "", port: 995, security: "tls", username: "" },
    pop3Mode: "keepOnServer",
    keepDays: null,
    deleteWhenDeletedHere: false,
    headersOnly: false,
    maxMessageKib: null,
    smtp: { host: "", port: 465, security: "tls", username: "" },
    checkInterval: 10,
    replyTo: "",
    signature: "",
    identities: [],
  };
}

export function formFromAccount(account: Account | null): AccountForm {
  if (account === null) return emptyForm();
  return {
    displayName: account.displayName,
    email: account.email,
    pop3: { ...account.pop3 },
    pop3Mode: account.pop3Mode,
    keepDays: account.keepDays,
    deleteWhenDeletedHere: account.deleteWhenDeletedHere,
    headersOnly: account.headersOnly,
    maxMessageKib: account.maxMessageKib,
    smtp: { ...account.smtp },
    checkInterval: account.checkIntervalMinutes,
    replyTo: account.replyTo,
    signature: account.signature,
    identities: account.identities.map((identity) => ({ ...identity })),
  };
}

function validPort(port: number | null): port is number {
  return typeof port === "number" && Number.isInteger(port) && port >= 1 && port <= 65535;
}

/** Empty (keep forever) or a whole number of days from 1 on. */
function validKeepDays(days: number | null): boolean {
  return days === null || (Number.isInteger(days) && days >= 1 && days <= 36500);
}

/** Empty (no limit) or whole KiB from 1 to 4 GiB. */
function validMaxMessageKib(kib: number | null): boolean {
  return kib === null || (Number.isInteger(kib) && kib >= 1 && kib <= 4194304);
}

/** Empty (no automatic checks) or whole minutes from 1 to a week. */
function validCheckInterval(minutes: number | null): boolean {
  return minutes === null || (Number.isInteger(minutes) && minutes >= 1 && minutes <= 10080);
}

export function validate(form: AccountForm): Problem[] {
  const problems: Problem[] = [];
  const missing: FieldId[] = [];
  if (form.email.trim() === "") missing.push("email");
  if (form.pop3.host.trim() === "") missing.push("pop3Host");
  if (form.pop3.username.trim() === "") missing.push("pop3Username");
  if (form.smtp.host.trim() === "") missing.push("smtpHost");
  if (missing.length > 0) problems.push({ type: "required", fields: missing });
  if (form.email.trim() !== "" && !/^[^\s@]+@[^\s@]+$/.test(form.email.trim())) problems.push({ type: "email" });
  if (!validPort(form.pop3.port)) problems.push({ type: "port", server: "pop3" });
  if (!validPort(form.smtp.port)) problems.push({ type: "port", server: "smtp" });
  if (form.pop3Mode === "keepOnServer" && !validKeepDays(form.keepDays)) problems.push({ type: "keepDays" });
  if (!form.headersOnly && !validMaxMessageKib(form.maxMessageKib)) problems.push({ type: "maxMessageKib" });
  if (!validCheckInterval(form.checkInterval)) problems.push({ type: "checkInterval" });
  const address = /^[^\s@]+@[^\s@]+$/;
  if (form.replyTo.trim() !== "" && !address.test(form.replyTo.trim())) problems.push({ type: "replyTo" });
  form.identities.forEach((identity, index) => {
    const replyTo = identity.replyTo.trim();
    if (!address.test(identity.email.trim()) || (replyTo !== "" && !address.test(replyTo)))
      problems.push({ type: "identityEmail", index });
  });
  return problems;
}

/** The settings to send; call only after validate() returned no problem. */
export function toSettings(form: AccountForm, trustedCertificate: TrustedCertificate | null): AccountSettings {
  const server = (s: ServerForm) => ({
    host: s.host.trim(),
    port: s.port ?? 0,
    security: s.security,
    username: s.username.trim(),
  });
  return {
    displayName: form.displayName.trim(),
    email: form.email.trim(),
    pop3: server(form.pop3),
    pop3Mode: form.pop3Mode,
    keepDays: form.pop3Mode === "keepOnServer" ? form.keepDays : null,
    deleteWhenDeletedHere: form.pop3Mode === "keepOnServer" && form.deleteWhenDeletedHere,
    headersOnly: form.headersOnly,
    maxMessageKib: form.headersOnly ? null : form.maxMessageKib,
    smtp: server(form.smtp),
    checkIntervalMinutes: form.checkInterval,
    trustedCertificate,
    replyTo: form.replyTo.trim(),
    signature: form.signature.replace(/\s+$/, ""),
    identities: form.identities.map((identity) => ({
      displayName: identity.displayName.trim(),
      email: identity.email.trim(),
      replyTo: identity.replyTo.trim(),
      signature: identity.signature.replace(/\s+$/, ""),
    })),
  };
}
