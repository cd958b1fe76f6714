import type { SearchAttributes } from "@stepline/core";

/**
 * Search attributes in one compact cell: `name=value` pairs in the order set, values as
 * JSON (`customerId="c-42" tier=2 vip=true`, as `stepline inspect` shows them), cut to
 * `maxChars` with "…" so one long value does not widen a whole table. "" for none.
 *
 * @example
 * formatAttributes({ customerId: "c-42", tier: 2 }); // 'customerId="c-42" tier=2'
 */
export function formatAttributes(attributes: SearchAttributes | undefined, maxChars = 40): string {
  const text = Object.entries(attributes ?? {})
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(" ");
  return text.length > maxChars ? `${text.slice(0, Math.max(0, maxChars - 1))}…` : text;
}
