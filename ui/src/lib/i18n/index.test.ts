import { afterEach, describe, expect, it } from "vitest";
import { format, formatNumber, getLanguage, setLanguage, t, tn } from ".";

afterEach(() => setLanguage("en"));

describe("t", () => {
  it("translates into the current language", () => {
    expect(t("nav.inbox")).toBe("Inbox");
    setLanguage("hi");
    expect(getLanguage()).toBe("hi");
    expect(t("nav.inbox")).toBe("इनबॉक्स");
    expect(t("action.getMail")).toBe("मेल प्राप्त करें");
  });

  it("fills placeholders and leaves unknown ones alone", () => {
    expect(t("fetch.progress", { current: 3, total: 10 })).toBe("3 of 10");
    setLanguage("hi");
    expect(t("fetch.progress", { current: 3, total: 10 })).toBe("10 में से 3");
    expect(format("{a} {b}", { a: 1 })).toBe("1 {b}");
  });

  it("chooses plural forms", () => {
    expect(tn("fetch.newMessages", 1)).toBe("1 new message");
    expect(tn("fetch.newMessages", 7)).toBe("7 new messages");
    setLanguage("hi");
    expect(tn("fetch.newMessages", 1)).toBe("1 नया संदेश");
    expect(tn("fetch.newMessages", 7)).toBe("7 नए संदेश");
  });

  it("writes counts the way each language groups digits", () => {
    expect(t("fetch.progress", { current: 1234, total: 100000 })).toBe("1,234 of 100,000");
    expect(formatNumber(100000)).toBe("100,000");
    setLanguage("hi");
    expect(t("fetch.progress", { current: 1234, total: 100000 })).toBe("1,00,000 में से 1,234");
    expect(formatNumber(123456)).toBe("1,23,456");
  });
});
