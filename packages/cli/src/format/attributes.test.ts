import { describe, expect, it } from "vitest";
import { formatAttributes } from "./attributes.js";

describe("formatAttributes", () => {
  it("writes name=JSON value pairs in the order set, and nothing for none", () => {
    expect(formatAttributes({ customerId: "c-42", tier: 2, vip: true })).toBe(
      'customerId="c-42" tier=2 vip=true',
    );
    expect(formatAttributes({})).toBe("");
    expect(formatAttributes(undefined)).toBe("");
  });

  it("cuts a long cell to maxChars, ending in an ellipsis", () => {
    const cell = formatAttributes({ note: "x".repeat(100) }, 20);
    expect(cell).toBe(`note="${"x".repeat(13)}…`);
    expect(cell).toHaveLength(20);
  });
});
