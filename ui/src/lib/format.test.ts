import { describe, expect, it } from "vitest";
import { formatBytes, formatFullDate, formatListDate } from "./format";

const now = new Date(2024, 10, 29, 15, 0); // 29 Nov 2024, local time
const at = (d: Date) => Math.floor(d.getTime() / 1000);

describe("formatListDate", () => {
  it("shows only the time for today", () => {
    expect(formatListDate(at(new Date(2024, 10, 29, 9, 5)), "en", now)).toBe("09:05");
  });

  it("shows day and month this year, and the year before that", () => {
    expect(formatListDate(at(new Date(2024, 2, 3, 9, 5)), "en", now)).toBe("3 Mar");
    expect(formatListDate(at(new Date(2023, 2, 3, 9, 5)), "en", now)).toBe("3 Mar 2023");
  });

  it("uses the Hindi locale", () => {
    const text = formatListDate(at(new Date(2023, 2, 3, 9, 5)), "hi", now);
    expect(text).toContain("2023");
    expect(text).toMatch(/[\u0900-\u097F]/);
  });

  it("is empty without a date", () => {
    expect(formatListDate(null, "en", now)).toBe("");
    expect(formatFullDate(null, "hi")).toBe("");
  });
});

describe("formatBytes", () => {
  it("uses decimal units with one decimal below ten", () => {
    expect(formatBytes(512, "en")).toBe("512 byte");
    expect(formatBytes(1_400_000, "en")).toBe("1.4 MB");
    expect(formatBytes(52_428_800, "en")).toBe("52 MB");
  });
});
