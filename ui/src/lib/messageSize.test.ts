import { describe, expect, it } from "vitest";
import { estimatedMessageSize, tooBig } from "./messageSize";

describe("message size", () => {
  it("counts attachments as base64", () => {
    const estimate = estimatedMessageSize("", [3_000_000]);
    expect(estimate).toBeGreaterThan(4_000_000);
    expect(estimate).toBeLessThan(4_200_000);
  });

  it("warns only over a declared limit", () => {
    expect(tooBig(estimatedMessageSize("नमस्ते", [7_400_000]), 10_240_000)).toBe(false);
    expect(tooBig(estimatedMessageSize("नमस्ते", [7_800_000]), 10_240_000)).toBe(true);
    expect(tooBig(100_000_000, null)).toBe(false);
  });
});
