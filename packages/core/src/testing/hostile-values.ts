/**
 * Hand-built hostile thrown values, each of which broke (or could break) error
 * serialization: shared by thrown-value.test.ts and the worker process of
 * thrown-values.process.test.ts. Test support only: not part of the package.
 */
import { RetryableError } from "../index.js";

const throwing = () => {
  throw new Error("read me not");
};

export const hostile: Record<string, () => unknown> = {
  "a cause that is itself": () => {
    const error = new Error("loop");
    error.cause = error;
    return error;
  },
  "a cycle of two causes": () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    a.cause = b;
    return a;
  },
  "a cyclic field": () => {
    const error = new Error("cyclic field") as Error & { self?: unknown; nested?: unknown };
    const nested: Record<string, unknown> = {};
    nested.again = nested;
    error.self = error;
    error.nested = nested;
    return error;
  },
  "a getter on name that throws": () => Object.defineProperty(new Error("x"), "name", { get: throwing }),
  "a getter on message that throws": () =>
    Object.defineProperty(new Error("x"), "message", { get: throwing }),
  "a getter on stack that throws": () => Object.defineProperty(new Error("x"), "stack", { get: throwing }),
  "a getter on cause that throws": () => Object.defineProperty(new Error("x"), "cause", { get: throwing }),
  "an enumerable field getter that throws": () =>
    Object.defineProperty(new Error("x"), "detail", { get: throwing, enumerable: true }),
  "a Proxy whose every trap throws": () =>
    new Proxy(new Error("x"), {
      get: throwing,
      getPrototypeOf: throwing,
      ownKeys: throwing,
      getOwnPropertyDescriptor: throwing,
      has: throwing,
    }),
  "a Proxy that is an Error but whose keys trap throws": () =>
    new Proxy(new TypeError("typed"), { ownKeys: throwing }),
  "a Proxy as a cause": () =>
    new Error("outer", { cause: new Proxy({}, { get: throwing, ownKeys: throwing }) }),
  "a symbol": () => Symbol("boom"),
  "a function": () => function namedThrower() {},
  "a BigInt": () => 10n ** 40n,
  null: () => null,
  undefined: () => undefined,
  "an object whose toString throws": () => ({ toString: throwing }),
  "an object whose Symbol.toPrimitive throws": () => ({ [Symbol.toPrimitive]: throwing }),
  "a class instance with a toJSON that throws": () =>
    new (class Weird {
      toJSON() {
        throw new Error("no json");
      }
    })(),
  "an Error with a toJSON that throws": () => Object.assign(new Error("json"), { toJSON: throwing }),
  "a 50 MB message": () => new Error("m".repeat(50 * 1024 * 1024)),
  "a 50 MB stack": () => Object.assign(new Error("s"), { stack: "s".repeat(50 * 1024 * 1024) }),
  "a 50 MB string thrown": () => "t".repeat(50 * 1024 * 1024),
  "a message that is not a string": () => Object.defineProperty(new Error(), "message", { value: { a: 1 } }),
  "symbol keys and non-plain fields": () =>
    Object.assign(new RangeError("odd"), {
      [Symbol("hidden")]: 1,
      when: new Date(0),
      map: new Map([[1, 2]]),
      fn: () => 1,
      big: 1n,
      bytes: new Uint8Array([1, 2, 3]),
      invalidDate: new Date(Number.NaN),
    }),
  "a huge array field": () => Object.assign(new Error("array"), { items: new Array(10_000_000).fill(7) }),
  "a sparse array of length 2^32-1": () =>
    Object.assign(new Error("sparse"), { items: new Array(2 ** 32 - 1) }),
  "a 50 MB field": () => Object.assign(new Error("field"), { blob: "b".repeat(50 * 1024 * 1024) }),
  "thousands of fields": () =>
    Object.assign(
      new Error("fields"),
      Object.fromEntries(Array.from({ length: 5_000 }, (_, i) => [`f${i}`, i])),
    ),
  "a cause chain 10 000 deep": () => {
    let error = new Error("bottom");
    for (let i = 0; i < 10_000; i++) error = new Error(`level ${i}`, { cause: error });
    return error;
  },
  "deep causes with 50 MB messages": () => {
    let error = new Error("x".repeat(50 * 1024 * 1024));
    for (let i = 0; i < 20; i++) error = new Error("y".repeat(1024 * 1024), { cause: error });
    return error;
  },
  "a name with a surrogate pair at the cut": () =>
    Object.assign(new Error("x"), { name: `${"n".repeat(207)}😀😀😀😀` }),
  "a field named __proto__": () =>
    Object.defineProperty(new Error("p"), "__proto__", { value: { x: 1 }, enumerable: true }),
  "a RetryableError with a bad retryAfter": () => new RetryableError("later", { retryAfter: Number.NaN }),
};
