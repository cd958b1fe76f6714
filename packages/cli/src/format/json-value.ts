/**
 * Journal values as JSON: byte arrays become `{ "$bytes": "<base64>" }`, dates their
 * ISO string (as `JSON.stringify` does), `undefined` is left out. The journal itself
 * (MessagePack) keeps them exactly; `stepline export -o x.msgpack` is the lossless copy.
 *
 * @example
 * toJson({ at: new Date(0), raw: new Uint8Array([1]) }); // '{"at":"1970-01-01T00:00:00.000Z","raw":{"$bytes":"AQ=="}}'
 */
export function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, jsonReplacer, indent) ?? "undefined";
}

/** The replacer behind {@link toJson}, for `JSON.stringify` callers. */
export function jsonReplacer(_key: string, value: unknown): unknown {
  if (value instanceof Uint8Array) return { $bytes: Buffer.from(value).toString("base64") };
  return value;
}

/**
 * A value made JSON-safe (the same conversions as {@link toJson}) as plain data.
 *
 * @example
 * toJsonValue(new Uint8Array([1])); // { $bytes: "AQ==" }
 */
export function toJsonValue(value: unknown): unknown {
  const text = toJson(value);
  return text === "undefined" ? null : JSON.parse(text);
}

/**
 * A payload shortened for a table cell: strings as they are, anything else as
 * compact JSON, cut at `max` characters with "...".
 *
 * @example
 * shortText({ id: "order-1", items: ["book"] }, 20); // '{"id":"order-1",...'
 */
export function shortText(value: unknown, max = 60): string {
  if (value === undefined) return "";
  const text = (typeof value === "string" ? value : toJson(value)).replace(/\s+/g, " ");
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
