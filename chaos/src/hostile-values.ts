import fc from "fast-check";

/**
 * Arbitraries of hostile input for the fuzz tests: the classes of issue 9 (identifiers
 * with lone surrogates, control characters, reserved prefixes and occurrence suffixes,
 * very long ones; values that are not plain data; durations out of range; thrown values
 * that break serialization).
 */

/** Strings a caller may pass as an id or a name. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: "binary", maxLength: 12 }),
  fc.string({ unit: "grapheme", maxLength: 12 }),
  fc.constantFrom(
    "",
    " ",
    "\u0000",
    "a\nb",
    "\u001b[31mred",
    "\ud83d",
    "x\udc00y",
    "mail@ex\ud83d",
    "stepline.child-finished",
    "charge#2",
    "parent/child",
    "..",
    "%s%n",
    "__proto__",
    "constructor",
    "x".repeat(600),
    "é".repeat(300),
    "\u{1F600}".repeat(200),
  ),
);

function cyclic(): unknown {
  const value: Record<string, unknown> = { a: 1 };
  value.self = value;
  return value;
}

/** Values a caller may pass as an input or an event payload. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything({
    withBigInt: true,
    withDate: true,
    withMap: true,
    withSet: true,
    withTypedArray: true,
    withSparseArray: true,
    withNullPrototype: true,
    withBoxedValues: true,
    maxDepth: 3,
  }),
  fc.constantFrom<unknown>(
    undefined,
    Number.NaN,
    -0,
    Number.POSITIVE_INFINITY,
    Symbol("s"),
    () => 1,
    Buffer.from("hi"),
    new Error("an error as input"),
    new (class Money {
      constructor(readonly cents = 5) {}
    })(),
    { toJSON: () => ({ a: 1 }) },
    "x".repeat(3_000_000),
  ),
  fc.constant(null).map(() => cyclic()),
);

/** The kinds of hostile value a step or workflow throws (built in the worker: not serializable input). */
export const THROWN_KINDS = [
  "cyclic-cause",
  "throwing-getter",
  "proxy",
  "symbol",
  "huge-message",
  "throwing-toJSON",
  "odd-subclass",
  "undefined",
  "string",
  "null-prototype",
  "deep-cause-chain",
  "aggregate",
] as const;

export type ThrownKind = (typeof THROWN_KINDS)[number];

/** Builds the value thrown for `kind`. */
export function thrownValue(kind: ThrownKind): unknown {
  switch (kind) {
    case "cyclic-cause": {
      const error = new Error("cyclic");
      (error as { cause?: unknown }).cause = error;
      return error;
    }
    case "throwing-getter": {
      const error = new Error("getter");
      Object.defineProperty(error, "detail", {
        enumerable: true,
        get() {
          throw new Error("getter throws");
        },
      });
      return error;
    }
    case "proxy":
      return new Proxy(new Error("proxy"), {
        get() {
          throw new Error("proxy trap throws");
        },
        ownKeys() {
          throw new Error("proxy ownKeys throws");
        },
      });
    case "symbol":
      return Symbol("thrown");
    case "huge-message":
      return new Error("m".repeat(50_000_000));
    case "throwing-toJSON": {
      const error = new Error("toJSON");
      (error as unknown as { toJSON: () => never }).toJSON = () => {
        throw new Error("toJSON throws");
      };
      return error;
    }
    case "odd-subclass": {
      class OddError extends Error {
        fn = () => 1;
        big = 10n;
        map = new Map([[1, 2]]);
        override name = 42 as unknown as string;
      }
      return new OddError("odd");
    }
    case "undefined":
      return undefined;
    case "string":
      return "a plain string";
    case "null-prototype":
      return Object.assign(Object.create(null), { message: "no prototype" });
    case "deep-cause-chain": {
      let error = new Error("bottom");
      for (let i = 0; i < 10_000; i++) error = new Error(`level ${i}`, { cause: error });
      return error;
    }
    case "aggregate":
      return new AggregateError([new Error("one"), Symbol("two"), cyclic()], "many");
  }
}

/** Durations a workflow may pass to sleep, a step timeout or a retry interval. */
export const hostileDuration: fc.Arbitrary<number | string> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom<number | string>(
    Number.NaN,
    Number.POSITIVE_INFINITY,
    -1,
    0,
    1e300,
    2 ** 31,
    2 ** 31 - 1,
    365 * 24 * 3_600_000,
    "1e300ms",
    "-1s",
    "",
    "abc",
    "1y",
    "365d",
    "30d",
    "0s",
    " 5s",
  ),
);
