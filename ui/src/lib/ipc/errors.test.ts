import { afterEach, describe, expect, it } from "vitest";
import { setLanguage } from "../i18n";
import { errorDetail, errorSentence, toIpcError } from "./errors";
import type { ErrorKind } from "./bindings/ErrorKind";
import type { ErrorReason } from "./bindings/ErrorReason";

afterEach(() => setLanguage("en"));

const kinds: ErrorKind[] = ["network", "tls", "auth", "timeout", "protocol", "storage", "parse", "config", "notFound", "internal"];
const reasons: ErrorReason[] = [
  "unknownHost",
  "connectionRefused",
  "certificateNotTrusted",
  "startTlsNotOffered",
  "connectionClosed",
  "databaseTooNew",
  "keyringUnavailable",
  "passwordMissing",
  "messageRefused",
  { recipientsRefused: { refused: [{ address: "bad@x.example", reply: "550 5.1.1 User unknown" }] } },
];

const twoRefused: ErrorReason = {
  recipientsRefused: {
    refused: [
      { address: "bad@x.example", reply: "550 5.1.1 User unknown" },
      { address: "other@y.example", reply: "553 5.1.3 Bad address" },
    ],
  },
};

describe("errorSentence", () => {
  it("uses the reason before the kind", () => {
    const sentence = errorSentence({ kind: "network", reason: "unknownHost", message: "dns failed" });
    expect(sentence).toBe("No server with this name was found. Check the server name.");
  });

  it("falls back to the kind and never reads the message", () => {
    expect(errorSentence({ kind: "auth", reason: null, message: "unknownHost connection refused" })).toBe(
      "Wrong user name or password.",
    );
  });

  it("has a distinct sentence for every kind and reason in both languages", () => {
    for (const language of ["en", "hi"] as const) {
      setLanguage(language);
      const sentences = [
        ...kinds.map((kind) => errorSentence({ kind, reason: null, message: "" })),
        ...reasons.map((reason) => errorSentence({ kind: "internal", reason, message: "" })),
      ];
      expect(new Set(sentences).size).toBe(kinds.length + reasons.length);
      for (const s of sentences) expect(s).not.toMatch(/^error\./);
    }
  });

  it("names every refused recipient, in both languages", () => {
    const error = { kind: "protocol" as const, reason: twoRefused, message: "…" };
    expect(errorSentence(error)).toBe(
      "The mail server refused these recipients: bad@x.example, other@y.example. The message was sent to nobody; correct the addresses and send it again from the Outbox.",
    );
    setLanguage("hi");
    expect(errorSentence(error)).toContain("bad@x.example, other@y.example");
    expect(errorSentence(error)).toMatch(/^मेल सर्वर ने ये प्राप्तकर्ता अस्वीकार कर दिए/);
  });

  it("speaks Hindi", () => {
    setLanguage("hi");
    expect(errorSentence({ kind: "auth", reason: null, message: "" })).toBe("उपयोगकर्ता नाम या पासवर्ड गलत है।");
  });
});

describe("toIpcError", () => {
  it("keeps a well-formed IpcError", () => {
    const e = { kind: "tls", reason: "certificateNotTrusted", message: "invalid peer certificate" };
    expect(toIpcError(e)).toEqual(e);
  });

  it("keeps refused recipients and drops a malformed or bare recipientsRefused", () => {
    const e = { kind: "protocol", reason: twoRefused, message: "x" };
    expect(toIpcError(e)).toEqual(e);
    for (const reason of [
      "recipientsRefused",
      { recipientsRefused: {} },
      { recipientsRefused: { refused: [{ address: 1, reply: "550" }] } },
    ]) {
      expect(toIpcError({ kind: "protocol", reason, message: "x" }).reason).toBeNull();
    }
  });

  it("drops an unknown reason and maps foreign values to internal", () => {
    expect(toIpcError({ kind: "tls", reason: "bogus", message: "x" })).toEqual({ kind: "tls", reason: null, message: "x" });
    expect(toIpcError(new TypeError("boom"))).toEqual({ kind: "internal", reason: null, message: "boom" });
    expect(toIpcError("plain")).toEqual({ kind: "internal", reason: null, message: "plain" });
    expect(toIpcError({ kind: "nonsense" }).kind).toBe("internal");
  });

  it("gives the raw message as detail", () => {
    expect(errorDetail({ kind: "auth", reason: null, message: "  -ERR [AUTH] bad  " })).toBe("-ERR [AUTH] bad");
  });
});
