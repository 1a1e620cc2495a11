import { describe, expect, it } from "vitest";
import { mailSrcdoc } from "./mailHtml";

describe("mailSrcdoc", () => {
  it("starts with the blocking policy", () => {
    const doc = mailSrcdoc("<p>hi</p>");
    expect(doc.startsWith(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">`,
    )).toBe(true);
    expect(doc.endsWith("<p>hi</p>")).toBe(true);
  });

  it("lets web images in only when asked", () => {
    expect(mailSrcdoc("<p>hi</p>", true)).toContain("img-src data: https: http:\"");
    expect(mailSrcdoc("<p>hi</p>")).not.toContain("https:");
  });
});
