import { describe, expect, it } from "vitest";
import { completeEntry, currentEntry, formatEntry, invalidEntries, splitAddresses } from "./addresses";

describe("recipient fields", () => {
  it("splits on commas outside quotes and brackets", () => {
    expect(splitAddresses('"Rao, Asha" <asha@example.org>, ravi@example.org;')).toEqual([
      '"Rao, Asha" <asha@example.org>',
      "ravi@example.org",
    ]);
  });

  it("marks what is not an address", () => {
    expect(invalidEntries("ravi@example.org, रवि <रवि@उदाहरण.भारत>, user@localhost")).toEqual([]);
    expect(invalidEntries("ravi, a@b@c, @example.org, a@.org, Name <a b@c.org>, <x@y.org")).toEqual([
      "ravi",
      "a@b@c",
      "@example.org",
      "a@.org",
      "Name <a b@c.org>",
      "<x@y.org",
    ]);
  });

  it("completes the entry being typed", () => {
    expect(currentEntry("a@example.org, ra")).toBe("ra");
    expect(currentEntry('"Rao, A')).toBe('"Rao, A');
    expect(completeEntry("a@example.org, ra", formatEntry("Ravi", "ravi@example.org"))).toBe(
      "a@example.org, Ravi <ravi@example.org>, ",
    );
    expect(completeEntry("ra", formatEntry("Rao, Asha", "asha@example.org"))).toBe('"Rao, Asha" <asha@example.org>, ');
    expect(formatEntry("", "x@example.org")).toBe("x@example.org");
  });
});
