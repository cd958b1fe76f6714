import {
  type AttributeValue,
  checkAttributes,
  InvalidArgumentError,
  type SearchAttributes,
} from "@stepline/core";
import { usageError } from "./cli-error.js";

/**
 * `--where name=value` (repeatable): the search attributes an execution must have, for
 * `stepline list` and `stepline count`. The text after the first `=` is the value: JSON
 * when it parses as a JSON number, boolean or string (`tier=2`, `vip=true`, `code='"42"'`
 * for the string "42"), else the text as it is (`region=eu`, `note=null`). Undefined
 * when no `--where` was given.
 *
 * @example
 * whereOption(["customerId=c-42", "tier=2"]); // { customerId: "c-42", tier: 2 }
 */
export function whereOption(values: readonly string[] | undefined): SearchAttributes | undefined {
  if (values === undefined || values.length === 0) return undefined;
  const where: Record<string, AttributeValue> = {};
  for (const text of values) {
    const at = text.indexOf("=");
    if (at <= 0) {
      throw usageError(
        `--where ${JSON.stringify(text)} is not name=value (for example --where customerId=c-42)`,
      );
    }
    const name = text.slice(0, at);
    if (Object.hasOwn(where, name)) {
      throw usageError(`--where ${name} is given twice; an execution has one value per attribute`);
    }
    where[name] = attributeValueOf(text.slice(at + 1));
  }
  try {
    return checkAttributes(where, "--where", false);
  } catch (error) {
    if (InvalidArgumentError.is(error)) throw usageError(error.message);
    throw error;
  }
}

function attributeValueOf(text: string): AttributeValue {
  try {
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === "string" || typeof parsed === "boolean") return parsed;
    if (typeof parsed === "number" && Number.isFinite(parsed)) return parsed;
  } catch {
    // Not JSON: the text itself.
  }
  return text;
}
