// Turns an IpcError into a sentence in the current language. The sentence is
// chosen by `reason` first, then by `kind`; the server's or engine's `message`
// is never matched on, only shown as detail.
import { t, type MessageKey } from "../i18n";
import type { ErrorKind } from "./bindings/ErrorKind";
import type { ErrorReason } from "./bindings/ErrorReason";
import type { IpcError } from "./bindings/IpcError";

const kindKeys: Record<ErrorKind, MessageKey> = {
  network: "error.kind.network",
  tls: "error.kind.tls",
  auth: "error.kind.auth",
  timeout: "error.kind.timeout",
  protocol: "error.kind.protocol",
  storage: "error.kind.storage",
  parse: "error.kind.parse",
  config: "error.kind.config",
  notFound: "error.kind.notFound",
  internal: "error.kind.internal",
};

/** A reason without data is its own name; one with data (`{ recipientsRefused: … }`) is named by its key. */
type ReasonName = Extract<ErrorReason, string> | keyof Extract<ErrorReason, object>;

const reasonKeys: Record<ReasonName, MessageKey> = {
  unknownHost: "error.reason.unknownHost",
  connectionRefused: "error.reason.connectionRefused",
  certificateNotTrusted: "error.reason.certificateNotTrusted",
  startTlsNotOffered: "error.reason.startTlsNotOffered",
  connectionClosed: "error.reason.connectionClosed",
  databaseTooNew: "error.reason.databaseTooNew",
  keyringUnavailable: "error.reason.keyringUnavailable",
  passwordMissing: "error.reason.passwordMissing",
  mailboxInUse: "error.reason.mailboxInUse",
  loginTooSoon: "error.reason.loginTooSoon",
  serverTemporaryFailure: "error.reason.serverTemporaryFailure",
  serverPermanentFailure: "error.reason.serverPermanentFailure",
  diskFull: "error.reason.diskFull",
  noUniqueIds: "error.reason.noUniqueIds",
  goneFromServer: "error.reason.goneFromServer",
  messageRefused: "error.reason.messageRefused",
  attachmentMissing: "error.reason.attachmentMissing",
  recipientsRefused: "error.reason.recipientsRefused",
  superseded: "error.reason.superseded",
  imapOnly: "error.reason.imapOnly",
  serversNotFound: "error.reason.serversNotFound",
  autoconfigInvalid: "error.reason.autoconfigInvalid",
  autoconfigTooLarge: "error.reason.autoconfigTooLarge",
  insecureRedirect: "error.reason.insecureRedirect",
};

function isKind(value: unknown): value is ErrorKind {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(kindKeys, value);
}

function isRefusedRecipient(value: unknown): boolean {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.address === "string" && typeof v.reply === "string";
}

function isReason(value: unknown): value is ErrorReason {
  if (typeof value === "string") {
    // A reason that carries data never arrives as a bare string.
    return value !== "recipientsRefused" && Object.prototype.hasOwnProperty.call(reasonKeys, value);
  }
  if (typeof value !== "object" || value === null) return false;
  const refused = (value as Record<string, unknown>).recipientsRefused;
  if (typeof refused !== "object" || refused === null) return false;
  const list = (refused as Record<string, unknown>).refused;
  return Array.isArray(list) && list.every(isRefusedRecipient);
}

/**
 * Whatever a command rejected with, as an IpcError. The shell always sends an
 * IpcError; anything else (a JS exception, e.g. when running outside Tauri, or
 * a plain string) becomes kind "internal" with its text as the message.
 */
export function toIpcError(value: unknown): IpcError {
  if (typeof value === "object" && value !== null) {
    const v = value as Record<string, unknown>;
    if (isKind(v.kind)) {
      return {
        kind: v.kind,
        reason: isReason(v.reason) ? v.reason : null,
        message: typeof v.message === "string" ? v.message : "",
      };
    }
    if (value instanceof Error) {
      return { kind: "internal", reason: null, message: value.message };
    }
  }
  return { kind: "internal", reason: null, message: String(value) };
}

/** The translated sentence for an error: by reason when known, else by kind. */
export function errorSentence(error: IpcError): string {
  const reason = error.reason;
  if (reason !== null && isReason(reason)) {
    if (typeof reason === "object") {
      // The sentence names the refused addresses; each server reply is in the detail.
      const recipients = reason.recipientsRefused.refused.map((r) => r.address).join(", ");
      return t("error.reason.recipientsRefused", { recipients });
    }
    return t(reasonKeys[reason]);
  }
  return t(isKind(error.kind) ? kindKeys[error.kind] : "error.kind.internal");
}

/** The raw message for a "details" element; empty when it would add nothing. */
export function errorDetail(error: IpcError): string {
  return error.message.trim();
}
