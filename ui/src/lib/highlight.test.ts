import { describe, expect, it } from "vitest";
import { highlightPieces } from "./highlight";

describe("highlighted search results", () => {
  it("splits marked words out", () => {
    expect(highlightPieces("नया \u{E000}मेल\u{E001} आया")).toEqual([
      { text: "नया ", marked: false },
      { text: "मेल", marked: true },
      { text: " आया", marked: false },
    ]);
  });

  it("survives unbalanced or no marks", () => {
    expect(highlightPieces("plain")).toEqual([{ text: "plain", marked: false }]);
    expect(highlightPieces("\u{E001}x\u{E000}")).toEqual([{ text: "x", marked: false }]);
    expect(highlightPieces("<b>&amp;</b>")).toEqual([{ text: "<b>&amp;</b>", marked: false }]);
  });
});
