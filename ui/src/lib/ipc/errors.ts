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

const reasonKeys: Record<ErrorReason, MessageKey> = {
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
};

function isKind(value: unknown): value is ErrorKind {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(kindKeys, value);
}

function isReason(value: unknown): value is ErrorReason {
  return typeof value === "string" && Object.prototype.hasOwnProperty.call(reasonKeys, value);
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
  if (error.reason !== null && isReason(error.reason)) {
    return t(reasonKeys[error.reason]);
  }
  return t(isKind(error.kind) ? kindKeys[error.kind] : "error.kind.internal");
}

/** The raw message for a "details" element; empty when it would add nothing. */
export function errorDetail(error: IpcError): string {
  return error.message.trim();
}
