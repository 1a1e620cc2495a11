import { describe, expect, it } from "vitest";
import { noteText } from "./providerNotes";

const note = {
  url: null,
  texts: [
    { lang: null, text: "Turn on POP." },
    { lang: "hi", text: "POP चालू करें।" },
  ],
};

describe("noteText", () => {
  it("picks the window's language", () => {
    expect(noteText(note, "hi")).toBe("POP चालू करें।");
  });

  it("falls back to the default text, then to any", () => {
    expect(noteText(note, "en")).toBe("Turn on POP.");
    expect(noteText({ url: null, texts: [{ lang: "de", text: "POP einschalten." }] }, "hi")).toBe("POP einschalten.");
    expect(noteText({ url: null, texts: [] }, "en")).toBe("");
  });
});
