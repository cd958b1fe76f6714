import type { SerializedError } from "./events.js";

/**
 * How much of a thrown value is journaled. A step or workflow may throw anything: a
 * 50 MB message, a cyclic `cause` chain, getters or Proxy traps that throw, values
 * that are not errors at all. {@link serializeThrown} reads it under these limits, so
 * a journaled error is plain data of bounded size (at most
 * {@link MAX_SERIALIZED_ERROR_BYTES} encoded) and reading it never throws.
 *
 * A longer string is cut and ends with `… [cut: N more characters]`. A field that is
 * not plain data, cannot be read or does not fit is dropped. A cause chain deeper
 * than `causeDepth`, or one that loops back, ends in an error that says so. The
 * budgets are shared by the whole chain, spent in this order: every name and
 * message (outermost first), then stacks, then fields; so a cause's message is kept
 * before the outer error's stack.
 */
export const ERROR_LIMITS = Object.freeze({
  /** Characters of each `name` and `code`. */
  name: 256,
  /** Characters of each `message`. */
  message: 16 * 1024,
  /** Characters of each `stack`. */
  stack: 16 * 1024,
  /** Causes kept below the thrown error (`error.cause.cause` is depth 2). */
  causeDepth: 8,
  /** Characters of all messages, stacks and field strings (keys included) of the chain. */
  totalChars: 64 * 1024,
  /** Own enumerable fields kept in one error's `data`. */
  dataFields: 64,
  /** Values (objects, array elements, scalars) kept in the `data` of the whole chain. */
  dataValues: 1_000,
});

/**
 * Upper bound of a serialized error's MessagePack size, in bytes: 3 bytes per UTF-16
 * character of the strings above, 16 per data value, plus names, notes and framing.
 * Under the default `maxEventBytes` (2 MiB) an error always fits its event.
 */
export const MAX_SERIALIZED_ERROR_BYTES = 256 * 1024;

/** Keys of an error journaled as its own fields, not in `data`. */
const OWN_FIELDS = new Set(["name", "message", "stack", "cause"]);

/**
 * The journal form of any thrown value, within {@link ERROR_LIMITS}. Never throws:
 * every read of the value (a getter, a Proxy trap, `toString`, `Symbol.toPrimitive`)
 * is guarded, and whatever cannot be read is left out or described.
 *
 * @example
 * const looped = new Error("outer");
 * looped.cause = looped;
 * serializeThrown(looped).cause?.message; // "(cyclic cause: refers back to an error above it)"
 */
export function serializeThrown(thrown: unknown): SerializedError {
  try {
    return serializeChain(thrown);
  } catch {
    // Only a bug here (or the runtime running out of memory) gets this far.
    return { name: "Error", message: "A value was thrown that could not be read." };
  }
}

function serializeChain(thrown: unknown): SerializedError {
  const budget: Budget = { chars: ERROR_LIMITS.totalChars, values: ERROR_LIMITS.dataValues };
  // The chain, outermost first: the errors whose fields are read, then at most one end.
  const errors: Error[] = [];
  const levels: SerializedError[] = [];
  let current: unknown = thrown;
  for (;;) {
    if (!isError(current)) {
      const text = describeValue(current, budget);
      levels.push({ name: "Error", message: `Non-error value thrown: ${text}` });
      break;
    }
    const error = current;
    errors.push(error);
    const name = readString(() => error.name, ERROR_LIMITS.name);
    levels.push({ name: name || "Error", message: "" });
    const cause = read(() => (error as { cause?: unknown }).cause);
    if (!cause.ok || cause.value === undefined) break;
    if (errors.includes(cause.value as Error)) {
      levels.push({ name: "Error", message: "(cyclic cause: refers back to an error above it)" });
      break;
    }
    if (errors.length > ERROR_LIMITS.causeDepth) {
      levels.push({
        name: "Error",
        message: `(cause chain cut: more than ${ERROR_LIMITS.causeDepth} causes)`,
      });
      break;
    }
    current = cause.value;
  }
  errors.forEach((error, i) => {
    const level = levels[i] as SerializedError;
    level.message =
      spend(
        budget,
        read(() => error.message),
        ERROR_LIMITS.message,
      ) ?? "";
  });
  errors.forEach((error, i) => {
    const stack = spend(
      budget,
      read(() => error.stack),
      ERROR_LIMITS.stack,
    );
    if (stack) (levels[i] as SerializedError).stack = stack;
  });
  errors.forEach((error, i) => {
    const data = copyFields(error, budget);
    if (!data) return;
    const level = levels[i] as SerializedError;
    if (typeof data.code === "string") level.code = cut(data.code, ERROR_LIMITS.name);
    level.data = data;
  });
  for (let i = levels.length - 1; i > 0; i--) (levels[i - 1] as SerializedError).cause = levels[i];
  return levels[0] as SerializedError;
}

/** A string read, cut to `limit` and to what is left of the budget, which it spends. */
function spend(budget: Budget, result: Read, limit: number): string | undefined {
  if (!result.ok || typeof result.value !== "string") return undefined;
  const text = cut(result.value, Math.max(0, Math.min(limit, budget.chars)));
  budget.chars -= text.length;
  return text;
}

/** `value instanceof Error`, false where asking throws (a Proxy's getPrototypeOf trap). */
function isError(value: unknown): value is Error {
  try {
    return value instanceof Error;
  } catch {
    return false;
  }
}

type Read = { ok: true; value: unknown } | { ok: false };

function read(get: () => unknown): Read {
  try {
    return { ok: true, value: get() };
  } catch {
    return { ok: false };
  }
}

/** A string field, cut to `limit`; undefined when missing, not a string, or unreadable. */
function readString(get: () => unknown, limit: number): string | undefined {
  const result = read(get);
  if (!result.ok || typeof result.value !== "string") return undefined;
  return cut(result.value, limit);
}

/**
 * `text` cut to `limit` characters with a note of how much was cut. Never splits a
 * surrogate pair (half of one would not survive UTF-8).
 */
function cut(text: string, limit: number): string {
  if (text.length <= limit) return text;
  let end = Math.max(0, limit - 48);
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${text.slice(0, end)}… [cut: ${text.length - end} more characters]`;
}

/** A short printable account of a value that is not an Error, within the budget. */
function describeValue(value: unknown, budget: Budget): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(spend(budget, { ok: true, value }, ERROR_LIMITS.message));
    case "number":
    case "boolean":
    case "undefined":
      return String(value);
    case "bigint": {
      const text = read(() => value.toString());
      return text.ok && typeof text.value === "string"
        ? `${cut(text.value, ERROR_LIMITS.name)}n`
        : "a BigInt";
    }
    case "symbol": {
      const text = read(() => value.toString());
      return text.ok && typeof text.value === "string" ? cut(text.value, ERROR_LIMITS.name) : "a symbol";
    }
    case "function": {
      const name = readString(() => value.name, ERROR_LIMITS.name);
      return name ? `function ${name}` : "a function";
    }
  }
  if (value === null) return "null";
  const trial: Budget = { chars: Math.min(budget.chars, ERROR_LIMITS.message), values: budget.values };
  const copy = copyPlain(value, trial);
  if (copy.ok) {
    const json = read(() => JSON.stringify(copy.value));
    if (json.ok && typeof json.value === "string") return spend(budget, json, ERROR_LIMITS.message) ?? "";
  }
  const constructorName = readString(
    () => (Object.getPrototypeOf(value) as { constructor?: { name?: unknown } } | null)?.constructor?.name,
    ERROR_LIMITS.name,
  );
  return constructorName ? `an instance of ${constructorName}` : "an object";
}

interface Budget {
  chars: number;
  values: number;
}

/**
 * A plain-data copy of the error's own enumerable fields (except name, message, stack
 * and cause), or undefined when none is kept. Each field is copied whole or dropped:
 * not plain data, cyclic, unreadable, or beyond the budget. Copying (instead of
 * journaling the field itself) means a getter is read once and what is journaled is
 * what was checked.
 */
function copyFields(error: Error, budget: Budget): Record<string, unknown> | undefined {
  const keys = read(() => Object.keys(error));
  if (!keys.ok || !Array.isArray(keys.value)) return undefined;
  const data: Record<string, unknown> = {};
  let kept = 0;
  for (const key of keys.value as string[]) {
    if (kept >= ERROR_LIMITS.dataFields || budget.values <= 0 || budget.chars <= 0) break;
    if (OWN_FIELDS.has(key) || key === "__proto__") continue;
    const field = read(() => (error as unknown as Record<string, unknown>)[key]);
    if (!field.ok) continue;
    const trial: Budget = { chars: budget.chars - key.length, values: budget.values - 1 };
    const copy = copyPlain(field.value, trial);
    if (!copy.ok || trial.chars < 0) continue;
    budget.chars = trial.chars;
    budget.values = trial.values;
    data[key] = copy.value;
    kept++;
  }
  return kept > 0 ? data : undefined;
}

type Copy = { ok: true; value: unknown } | { ok: false };
const DROP: Copy = { ok: false };

/**
 * Copies plain data (what {@link assertPlainData} accepts) within `budget`, spending
 * from it; DROP when the value is not plain data, is cyclic, cannot be read, or does
 * not fit.
 */
function copyPlain(value: unknown, budget: Budget, ancestors: Set<object> = new Set()): Copy {
  if (--budget.values < 0) return DROP;
  switch (typeof value) {
    case "string":
      budget.chars -= value.length;
      return budget.chars < 0 ? DROP : { ok: true, value };
    case "number":
    case "boolean":
    case "undefined":
      return { ok: true, value };
    case "bigint":
    case "symbol":
    case "function":
      return DROP;
  }
  if (value === null) return { ok: true, value };
  try {
    const object = value as object;
    if (ancestors.has(object)) return DROP;
    if (object instanceof Date) {
      const time = Date.prototype.getTime.call(object);
      return Number.isFinite(time) ? { ok: true, value: new Date(time) } : DROP;
    }
    if (object instanceof Uint8Array) {
      budget.chars -= object.byteLength;
      return budget.chars < 0 ? DROP : { ok: true, value: new Uint8Array(object) };
    }
    ancestors.add(object);
    if (Array.isArray(object)) {
      const length = object.length;
      if (length > budget.values) return DROP;
      const copy: unknown[] = [];
      for (let i = 0; i < length; i++) {
        const item = copyPlain(object[i], budget, ancestors);
        if (!item.ok) return DROP;
        copy.push(item.value);
      }
      ancestors.delete(object);
      return { ok: true, value: copy };
    }
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) return DROP;
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(object)) {
      if (key === "__proto__") return DROP;
      budget.chars -= key.length;
      const item = copyPlain((object as Record<string, unknown>)[key], budget, ancestors);
      if (!item.ok || budget.chars < 0) return DROP;
      copy[key] = item.value;
    }
    ancestors.delete(object);
    return { ok: true, value: copy };
  } catch {
    return DROP;
  }
}
