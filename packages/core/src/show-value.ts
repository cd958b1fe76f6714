/**
 * A short, safe account of a value for an error message: numbers as written (`NaN`,
 * `-5`, `1e+300`), strings quoted, other values by kind. Never throws, whatever the
 * value (a BigInt, a symbol, a Proxy, an object with a throwing `toString`).
 *
 * @example
 * showValue(Number.NaN); // "NaN"
 * showValue("bogus");    // "\"bogus\""
 * showValue({});         // "an object"
 */
export function showValue(value: unknown): string {
  switch (typeof value) {
    case "number":
    case "boolean":
    case "undefined":
      // String(), not JSON.stringify: JSON shows NaN and Infinity as "null".
      return String(value);
    case "bigint":
      return `${value}n`;
    case "string":
      return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
  }
  if (value === null) return "null";
  try {
    if (Array.isArray(value)) return "an array";
    if (value instanceof Date) return "a Date";
  } catch {
    // A Proxy whose traps throw: say no more than its kind.
  }
  return "an object";
}
