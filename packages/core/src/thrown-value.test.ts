import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  Codec,
  ERROR_LIMITS,
  ErrorRegistry,
  type JournalEvent,
  MAX_SERIALIZED_ERROR_BYTES,
  type SerializedError,
} from "./index.js";
import { hostile } from "./testing/hostile-values.js";

const errors = new ErrorRegistry();
// Far above any serialized error, so that the size asserted is the serializer's own bound.
const codec = new Codec({ maxEventBytes: 64 * 1024 * 1024 });

/** Encodes the error as the journal would, decodes it back, and rebuilds the Error. */
function roundTrip(serialized: SerializedError): { bytes: number; error: Error; decoded: SerializedError } {
  const event = { type: "ExecutionFailed", seq: 0, at: 0, error: serialized } as JournalEvent;
  const bytes = codec.encode(event, "error");
  const decoded = (codec.decodeEvent(bytes, "e", 0) as Extract<JournalEvent, { type: "ExecutionFailed" }>)
    .error;
  return { bytes: bytes.byteLength, error: errors.deserialize(decoded), decoded };
}

function depth(serialized: SerializedError): number {
  return serialized.cause ? 1 + depth(serialized.cause) : 0;
}

describe("ErrorRegistry.serialize of hostile thrown values", () => {
  it.each(Object.entries(hostile))("records %s as a bounded error that the codec encodes", (_, make) => {
    const thrown = make();
    const serialized = errors.serialize(thrown);
    const { bytes, error } = roundTrip(serialized);
    expect(bytes).toBeLessThanOrEqual(MAX_SERIALIZED_ERROR_BYTES);
    expect(error).toBeInstanceOf(Error);
    expect(typeof serialized.name).toBe("string");
    expect(typeof serialized.message).toBe("string");
    expect(serialized.message.length).toBeLessThanOrEqual(ERROR_LIMITS.message + 64);
    expect(depth(serialized)).toBeLessThanOrEqual(ERROR_LIMITS.causeDepth + 1);
  });

  it("keeps a readable name and message, and says why a cyclic cause stops", () => {
    const serialized = errors.serialize(hostile["a cause that is itself"]?.());
    expect(serialized).toMatchObject({ name: "Error", message: "loop" });
    expect(serialized.cause?.message).toBe("(cyclic cause: refers back to an error above it)");
    expect(serialized.cause?.cause).toBeUndefined();
  });

  it("cuts a 50 MB message to 16 KiB ending in a note of how much was cut", () => {
    const { message } = errors.serialize(hostile["a 50 MB message"]?.());
    expect(message.length).toBeLessThanOrEqual(ERROR_LIMITS.message);
    expect(message).toMatch(/^m+… \[cut: \d+ more characters\]$/);
    expect(Number(/cut: (\d+)/.exec(message)?.[1]) + message.indexOf("…")).toBe(50 * 1024 * 1024);
  });

  it("cuts a deep cause chain after 8 causes and says so", () => {
    const serialized = errors.serialize(hostile["a cause chain 10 000 deep"]?.());
    expect(depth(serialized)).toBe(ERROR_LIMITS.causeDepth + 1);
    let last = serialized;
    while (last.cause) last = last.cause;
    expect(last.message).toBe("(cause chain cut: more than 8 causes)");
    expect(serialized.cause?.message).toBe("level 9998");
  });

  it("keeps the causes' messages before the outer stacks when the chain is over budget", () => {
    const serialized = errors.serialize(hostile["deep causes with 50 MB messages"]?.());
    const messages: string[] = [];
    for (let level: SerializedError | undefined = serialized; level; level = level.cause)
      messages.push(level.message);
    expect(messages.slice(0, 4).every((m) => m.startsWith("y"))).toBe(true);
    expect(serialized.stack ?? "").not.toMatch(/^Error: y{100}/);
  });

  it("drops unreadable and non-plain fields, keeps plain ones, the code and Dates", () => {
    const serialized = errors.serialize(hostile["symbol keys and non-plain fields"]?.());
    expect(serialized.name).toBe("RangeError");
    expect(Object.keys(serialized.data ?? {}).sort()).toEqual(["bytes", "when"]);
    const { error } = roundTrip(serialized);
    expect(error).toBeInstanceOf(RangeError);
    expect((error as unknown as { when: Date }).when.getTime()).toBe(0);
    const withCode = errors.serialize(Object.assign(new Error("c"), { code: "E_PAYMENT" }));
    expect(withCode.code).toBe("E_PAYMENT");
  });

  it("keeps an error's name and message when only its keys cannot be listed", () => {
    const serialized = errors.serialize(hostile["a Proxy that is an Error but whose keys trap throws"]?.());
    expect(serialized).toMatchObject({ name: "TypeError", message: "typed" });
  });

  it("describes non-Error values: strings quoted and cut, plain objects as JSON, the rest by kind", () => {
    expect(errors.serialize("nope").message).toBe('Non-error value thrown: "nope"');
    expect(errors.serialize({ code: 42 }).message).toBe('Non-error value thrown: {"code":42}');
    expect(errors.serialize(Symbol("boom")).message).toBe("Non-error value thrown: Symbol(boom)");
    expect(errors.serialize(12n).message).toBe("Non-error value thrown: 12n");
    expect(errors.serialize(null).message).toBe("Non-error value thrown: null");
    expect(errors.serialize(hostile["an object whose toString throws"]?.()).message).toBe(
      "Non-error value thrown: an instance of Object",
    );
    expect(errors.serialize(hostile["a class instance with a toJSON that throws"]?.()).message).toBe(
      "Non-error value thrown: an instance of Weird",
    );
    expect(errors.serialize(hostile["a 50 MB string thrown"]?.()).message.length).toBeLessThan(
      ERROR_LIMITS.message + 64,
    );
  });

  it("never lets a data field named __proto__ reach the rebuilt error's prototype", () => {
    const { error } = roundTrip(errors.serialize(hostile["a field named __proto__"]?.()));
    expect(Object.getPrototypeOf(error)).toBe(Error.prototype);
  });
});

/**
 * Thrown values a step might produce: anything at all, errors built from anything, and
 * the hostile ones above. Each is made by a function, called in the property: fast-check
 * itself reads generated values, and a hostile Proxy would throw at it.
 */
const thrownValues: fc.Arbitrary<() => unknown> = fc.oneof(
  fc
    .anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withTypedArray: true,
      withNullPrototype: true,
    })
    .map((value) => () => value),
  fc
    .record({
      message: fc.anything(),
      name: fc.oneof(fc.string(), fc.anything()),
      fields: fc.dictionary(fc.string(), fc.anything({ withBigInt: true, withMap: true })),
      cause: fc.anything(),
    })
    .map(({ message, name, fields, cause }) => {
      const error = new Error(typeof message === "string" ? message : "", { cause });
      Object.assign(error, fields);
      Object.defineProperty(error, "name", { value: name, configurable: true });
      return () => error;
    }),
  fc
    .constantFrom(...Object.keys(hostile).filter((k) => !/50 MB|huge|10 000/.test(k)))
    .map((k) => hostile[k] as () => unknown),
);

describe("ErrorRegistry.serialize, property", () => {
  it("gives a SerializedError the codec encodes within MAX_SERIALIZED_ERROR_BYTES, and the same name back", () => {
    fc.assert(
      fc.property(thrownValues, (make) => {
        const thrown = make();
        const serialized = errors.serialize(thrown);
        const { bytes, error, decoded } = roundTrip(serialized);
        expect(bytes).toBeLessThanOrEqual(MAX_SERIALIZED_ERROR_BYTES);
        expect(error).toBeInstanceOf(Error);
        expect(error.name).toBe(decoded.name);
        let readable: unknown;
        try {
          readable = thrown instanceof Error ? thrown.name : undefined;
        } catch {
          readable = undefined;
        }
        if (
          typeof readable === "string" &&
          readable.length > 0 &&
          readable.length <= 200 &&
          (readable as unknown as { isWellFormed(): boolean }).isWellFormed()
        ) {
          expect(error.name).toBe(readable);
        }
      }),
      { numRuns: 500 },
    );
  });
});
