import fc from "fast-check";
import { Packr } from "msgpackr";
import { describe, expect, it } from "vitest";
import { RESERVED_EVENT_PREFIXES, withEngineEventNames } from "./identifiers.js";
import {
  assertIdentifier,
  createEngine,
  type IdentifierKind,
  InvalidArgumentError,
  identifierProblem,
  MAX_EXECUTION_ID_BYTES,
  memoryStore,
  utf8ByteLength,
  workflow,
} from "./index.js";

/** Any sequence of UTF-16 code units, lone surrogates and control characters included. */
const anyUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) });
/** Any code points (astral ones included), joined. */
const anyCodePoints = fc.string({
  unit: fc.integer({ min: 0, max: 0x10ffff }).map((c) => String.fromCodePoint(c)),
});
const packr = new Packr({ useRecords: false });

function refusal(value: unknown, kind: IdentifierKind, where = "here"): string {
  try {
    assertIdentifier(value, kind, where);
  } catch (error) {
    expect(InvalidArgumentError.is(error)).toBe(true);
    return (error as Error).message;
  }
  throw new Error(`${JSON.stringify(value)} was accepted as a ${kind}`);
}

describe("identifiers", () => {
  it("accepts exactly the identifiers that MessagePack and UTF-8 give back unchanged", () => {
    fc.assert(
      fc.property(fc.oneof(anyUnits, anyCodePoints), (text) => {
        const accepted = identifierProblem(text, MAX_EXECUTION_ID_BYTES) === undefined;
        if (!accepted) return;
        // What every store does with text: UTF-8 (LMDB keys, Redis) and MessagePack (records, journal).
        expect(new TextDecoder().decode(new TextEncoder().encode(text))).toBe(text);
        expect(packr.unpack(packr.pack(text))).toBe(text);
        expect(text.length).toBeGreaterThan(0);
        expect(/[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Noncharacter_Code_Point}\uFEFF]/u.test(text)).toBe(
          false,
        );
      }),
      { numRuns: 2_000 },
    );
  });

  it("refuses every string with an unpaired surrogate, naming where it is", () => {
    fc.assert(
      fc.property(
        anyCodePoints,
        fc.integer({ min: 0xd800, max: 0xdfff }),
        anyCodePoints,
        (before, unit, after) => {
          const safe = (s: string) => s.replace(/[\uD800-\uDFFF]/g, "x");
          const text = `${safe(before)}${String.fromCharCode(unit)}${safe(after)}`;
          // A high surrogate right before a low one would pair up: only test lone ones.
          fc.pre(!/[\uD800-\uDBFF][\uDC00-\uDFFF]/.test(text));
          expect(identifierProblem(text, Number.POSITIVE_INFINITY)).toContain("unpaired UTF-16 surrogate");
        },
      ),
    );
  });

  it("counts UTF-8 bytes as Buffer.byteLength and the stores do", () => {
    fc.assert(
      fc.property(fc.oneof(anyUnits, anyCodePoints), (text) => {
        expect(utf8ByteLength(text)).toBe(Buffer.byteLength(text));
      }),
    );
  });

  it("says what was refused, why, and what is allowed", () => {
    expect(refusal("user-\uD83D", "execution id", "client.start")).toBe(
      'client.start: the execution id "user-\\u{D83D}" contains an unpaired UTF-16 surrogate (U+D83D at index 5), ' +
        "which UTF-8 cannot hold: text cut in the middle of a character. An execution id is 1 to 1024 bytes of " +
        "well-formed Unicode text without control characters (U+0000-U+001F, U+007F-U+009F), line or paragraph " +
        'separators, byte order marks, bidirectional controls or noncharacters, and has no "/" (reserved for child execution ids).',
    );
    expect(refusal("a\u0007b", "step name")).toContain(
      'the step name "a\\u{7}b" contains the control character U+0007 at index 1',
    );
    expect(refusal("a\u0085", "timer name")).toContain("the control character U+0085");
    expect(refusal("a\u007f", "event name")).toContain("the control character U+007F");
    expect(refusal("line\u2028two", "workflow name")).toContain("the line separator U+2028");
    expect(refusal("para\u2029", "workflow name")).toContain("the paragraph separator U+2029");
    expect(refusal("\uFEFFid", "execution id")).toContain("the byte order mark U+FEFF at index 0");
    expect(refusal("abc\u202Eexe", "execution id")).toContain("the bidirectional control U+202E");
    expect(refusal("x\uFDD0", "step name")).toContain("the noncharacter U+FDD0");
    expect(refusal("x\u{10FFFF}", "step name")).toContain("the noncharacter U+10FFFF");
    expect(refusal("", "step name")).toContain('the step name "" is empty');
    expect(refusal(42, "step name")).toContain("the step name must be a string, not number");
    expect(refusal("é".repeat(513), "execution id")).toContain(
      "is 1026 bytes of UTF-8, more than the 1024 allowed",
    );
    expect(refusal("n".repeat(257), "step name")).toContain(
      "is 257 bytes of UTF-8, more than the 256 allowed",
    );
    expect(refusal("orders/1", "execution id")).toContain(
      'contains "/", which is reserved for the ids Stepline derives',
    );
    expect(refusal("billing/charge", "workflow name")).toContain('contains "/"');
    expect(refusal("charge#2", "step name")).toContain('ends in "#2": a "#" followed by digits');
    expect(refusal("stepline.x", "event name")).toContain('starts with "stepline."');
    // Emoji sequences (ZWJ included), accents, "#" inside a name and "/" in a looked-up child id pass.
    for (const [value, kind] of [
      ["👩‍👩‍👧 family", "step name"],
      ["café-ü", "workflow name"],
      ["a#b", "step name"],
      ["#1x", "step name"],
      ["order-1/charge#2", "child execution id"],
      ["é".repeat(512), "execution id"],
    ] as const) {
      expect(() => assertIdentifier(value, kind, "here")).not.toThrow();
    }
  });

  it("property: every event name with a reserved prefix is refused, saying which prefix; the engine's scope lifts it", () => {
    const rest = fc
      .string({ minLength: 0, maxLength: 40 })
      .filter((r) => identifierProblem(`x${r}`, 200) === undefined);
    fc.assert(
      fc.property(fc.constantFrom(...RESERVED_EVENT_PREFIXES), rest, (prefix, tail) => {
        const name = `${prefix}${tail}`;
        fc.pre(!/#\d+$/.test(name));
        const message = refusal(name, "event name", "client.sendEvent");
        expect(message).toContain(`starts with "${prefix}", which is reserved for Stepline's own events`);
        expect(message).toContain('does not start with "stepline." or "stepline-"');
        // The engine's own sends and waits (engine.schedules) pass.
        expect(() =>
          withEngineEventNames(() => assertIdentifier(name, "event name", "engine")),
        ).not.toThrow();
        // And the scope ends with the call, also when it throws.
        expect(() =>
          withEngineEventNames(() => {
            throw new Error("inside");
          }),
        ).toThrow("inside");
        expect(() => assertIdentifier(name, "event name", "after")).toThrow(InvalidArgumentError);
      }),
    );
    // Names that only look alike are fine: another case, no separator, the prefix later on.
    for (const name of ["Stepline-x", "steplinex", "stepline", "my-stepline-event", "stepline_x"]) {
      expect(() => assertIdentifier(name, "event name", "here")).not.toThrow();
    }
  });

  it("is checked at the public boundary: workflow(), client.start, sendEvent, describe, cancel", async () => {
    expect(() => workflow("orders\n", async () => 1)).toThrow(
      /workflow\(name, fn\): the workflow name "orders\\u\{A\}"/,
    );
    const engine = createEngine({ store: memoryStore(), log: () => {} });
    const ok = workflow("ok", async () => 1);
    const calls: [string, () => Promise<unknown>][] = [
      ["client.start", () => engine.client.start(ok, undefined, { id: "user-\uD83D" })],
      ["client.start", () => engine.client.start(ok, undefined, { id: "a/b" })],
      ["client.start", () => engine.client.start("bad\u0000name", undefined)],
      ["client.sendEvent", () => engine.client.sendEvent("user-\uD83D", "go")],
      ["client.sendEvent", () => engine.client.sendEvent("x", "go\u2028")],
      ["client.describe", () => engine.client.describe("\uDC00")],
      ["client.cancel", () => engine.client.cancel("a\u0000")],
      ["client.resume", () => engine.client.resume("")],
      ["client.history", () => engine.client.history("x".repeat(1025))],
    ];
    for (const [where, call] of calls) {
      const error = await call().then(
        () => undefined,
        (thrown: unknown) => thrown as Error,
      );
      expect(InvalidArgumentError.is(error), where).toBe(true);
      expect(error?.message.startsWith(`${where}: the `), error?.message).toBe(true);
    }
    expect(await engine.client.list()).toEqual([]);
  });
});
