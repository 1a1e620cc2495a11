import { describe, expect, it } from "vitest";
import { parseMailto } from "./mailto";

describe("mailto links", () => {
  it("fills the composer's fields", () => {
    expect(
      parseMailto("mailto:ravi@example.org,meera@example.org?cc=a%40example.org&subject=%E0%A4%A8%E0%A4%AE%E0%A4%B8%E0%A5%8D%E0%A4%A4%E0%A5%87&body=line%201%0D%0Aline%202"),
    ).toEqual({
      to: "ravi@example.org,meera@example.org",
      cc: "a@example.org",
      bcc: "",
      subject: "नमस्ते",
      body: "line 1\nline 2",
    });
  });

  it("never lets CR or LF make a header", () => {
    const fields = parseMailto("mailto:a@example.org%0D%0ABcc:%20spy@example.org?subject=hi%0D%0AX-Evil:%201&from=boss@example.org");
    expect(fields?.to).toBe("a@example.org Bcc: spy@example.org");
    expect(fields?.subject).toBe("hi X-Evil: 1");
    expect(fields?.bcc).toBe("");
  });

  it("keeps '=' and '?' that belong to a value", () => {
    const fields = parseMailto("MAILTO:a@example.org?subject=1+1=2?&body=x=y");
    expect(fields?.subject).toBe("1+1=2?");
    expect(fields?.body).toBe("x=y");
  });

  it("is only for mailto", () => {
    expect(parseMailto("https://example.org")).toBe(null);
  });
});
