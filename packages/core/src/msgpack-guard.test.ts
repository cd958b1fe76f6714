import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { Codec } from "./codec.js";
import { findUnsafeMessagePack } from "./msgpack-guard.js";
import { CorruptJournalError } from "./store-errors.js";

/** msgpackr with its default extensions on: how a hostile writer would make the bytes. */
const rich = new Packr({ moreTypes: true, structuredClone: true, useRecords: false });
const plain = new Packr({ useRecords: false, moreTypes: false });

describe("findUnsafeMessagePack", () => {
  it("accepts plain MessagePack, timestamps and undefined", () => {
    const value = {
      s: "text",
      n: [0, -1, 127, -33, 255, 65_536, 2 ** 40, -(2 ** 40), 1.5],
      b: true,
      nil: null,
      u: undefined,
      d: new Date(1_700_000_000_123),
      bytes: new Uint8Array([1, 2, 3]),
      nested: { deep: [{ a: "x".repeat(300) }] },
      map: Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
    };
    expect(findUnsafeMessagePack(plain.pack(value))).toBeNull();
    expect(findUnsafeMessagePack(plain.pack("y".repeat(70_000)))).toBeNull();
  });

  it.each([
    ["RegExp", /ab+c/i],
    ["Error", new Error("boom")],
    ["Set", new Set([1, 2])],
    ["Float64Array", new Float64Array([1, 2])],
  ])("rejects msgpackr's %s extension", (_name, value) => {
    expect(findUnsafeMessagePack(rich.pack({ value }))).toMatch(
      /^extension type -?\d+ \(length \d+\) is not allowed$/,
    );
  });

  it("rejects a structured-clone reference and a crafted Set extension", () => {
    const shared = { x: 1 };
    expect(findUnsafeMessagePack(rich.pack({ a: shared, b: shared }))).toMatch(/extension type/);
    expect(findUnsafeMessagePack(new Uint8Array([0xd4, 0x73, 0x90]))).toBe(
      "extension type 115 (length 1) is not allowed",
    );
  });

  it("rejects truncated, trailing, lying and too deeply nested input", () => {
    expect(findUnsafeMessagePack(new Uint8Array([0xa5, 0x61]))).toBe("truncated at byte 1");
    expect(findUnsafeMessagePack(new Uint8Array([0x92, 0x01]))).toBe(
      "container of 2 elements with 1 bytes left",
    );
    expect(findUnsafeMessagePack(new Uint8Array([0x01, 0x02]))).toBe("1 bytes after the value");
    expect(findUnsafeMessagePack(new Uint8Array([0xdd, 0xff, 0xff, 0xff, 0xff]))).toBe(
      "container of 4294967295 elements with 0 bytes left",
    );
    expect(findUnsafeMessagePack(new Uint8Array([0xc1]))).toBe("byte 0xc1 at 0 is not MessagePack");
    const deep = new Uint8Array(100).fill(0x91);
    expect(findUnsafeMessagePack(deep)).toBe("nested deeper than 64");
  });
});

describe("Codec on hostile bytes", () => {
  const codec = new Codec();
  it("refuses an event carrying a live-object extension with CorruptJournalError", () => {
    const bytes = rich.pack({ type: "StepSucceeded", seq: 3, at: 1, op: 0, attempt: 1, result: /x/ });
    let thrown: unknown;
    try {
      codec.decodeEvent(bytes, "exec-9", 3);
    } catch (error) {
      thrown = error;
    }
    expect(CorruptJournalError.is(thrown)).toBe(true);
    expect((thrown as Error).message).toContain('Journal entry 3 of execution "exec-9" is unreadable');
    expect((thrown as Error).message).toContain("is not allowed");
  });

  it("never lets a __proto__ key reach a prototype", () => {
    const evil = new Uint8Array([
      0x84,
      ...[0xa4, ...new TextEncoder().encode("type"), 0xad, ...new TextEncoder().encode("StepSucceeded")],
      ...[0xa3, ...new TextEncoder().encode("seq"), 0x00],
      ...[0xa2, ...new TextEncoder().encode("at"), 0x01],
      ...[
        0xa9,
        ...new TextEncoder().encode("__proto__"),
        0x81,
        0xa8,
        ...new TextEncoder().encode("polluted"),
        0xc3,
      ],
    ]);
    const event = codec.decodeEvent(evil, "exec-9", 0) as unknown as Record<string, unknown>;
    expect(Object.getPrototypeOf(event)).toBe(Object.prototype);
    expect((event as { polluted?: unknown }).polluted).toBeUndefined();
    expect(({} as { polluted?: unknown }).polluted).toBeUndefined();
  });
});
