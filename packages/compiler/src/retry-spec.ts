import { DEFAULT_RETRY_POLICY, parseDuration } from "@stepline/core";
import type { Expression, ObjectExpression } from "oxc-parser";
import { unwrap } from "./ast.js";
import type { RetrySpec } from "./ir.js";

/** The runtime's default policy, as a spec: every step is retried by default. */
export function defaultRetrySpec(known = true): RetrySpec {
  return {
    known,
    maxAttempts: DEFAULT_RETRY_POLICY.maxAttempts,
    intervalSeconds: toSeconds(DEFAULT_RETRY_POLICY.initialInterval),
    backoffRate: DEFAULT_RETRY_POLICY.backoffRate,
    maxDelaySeconds: toSeconds(DEFAULT_RETRY_POLICY.maxInterval),
    jitter: DEFAULT_RETRY_POLICY.jitter,
    nonRetryable: [],
  };
}

/** Milliseconds to whole seconds for ASL, at least 1 (ASL intervals are positive integers). */
export function toSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** A literal number or Duration string, or undefined if the expression is not one. */
export function literalDurationMs(expression: Expression | undefined): number | undefined {
  if (!expression) return undefined;
  const node = unwrap(expression);
  let value: unknown;
  if (node.type === "Literal") value = node.value;
  else if (node.type === "TemplateLiteral" && node.expressions.length === 0)
    value = node.quasis[0]?.value.cooked;
  else return undefined;
  if (typeof value !== "number" && typeof value !== "string") return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}

/** A property of an object literal by its plain key. */
export function propertyOf(object: ObjectExpression, key: string): Expression | undefined {
  for (const property of object.properties) {
    if (property.type !== "Property" || property.computed) continue;
    const name =
      property.key.type === "Identifier"
        ? property.key.name
        : property.key.type === "Literal"
          ? String(property.key.value)
          : "";
    if (name === key) return property.value as Expression;
  }
  return undefined;
}

/**
 * Reads `{ retry: { maxAttempts, initialInterval, backoffRate, maxInterval, jitter, nonRetryable } }`.
 * Returns the spec and, when some of it is not a literal, the name of the first such field.
 */
export function readRetrySpec(retry: Expression | undefined): { spec: RetrySpec; notLiteral?: string } {
  const spec = defaultRetrySpec();
  if (!retry) return { spec };
  const node = unwrap(retry);
  if (node.type !== "ObjectExpression") return { spec: defaultRetrySpec(false), notLiteral: "retry" };
  for (const property of node.properties) {
    if (property.type !== "Property" || property.computed || property.key.type !== "Identifier") {
      return { spec: defaultRetrySpec(false), notLiteral: "retry" };
    }
    const field = property.key.name;
    const value = unwrap(property.value as Expression);
    const literal = value.type === "Literal" ? value.value : undefined;
    switch (field) {
      case "maxAttempts":
      case "backoffRate":
        if (typeof literal !== "number") return { spec: { ...spec, known: false }, notLiteral: field };
        spec[field] = literal;
        break;
      case "initialInterval":
      case "maxInterval": {
        const ms = literalDurationMs(value);
        if (ms === undefined) return { spec: { ...spec, known: false }, notLiteral: field };
        if (field === "initialInterval") spec.intervalSeconds = toSeconds(ms);
        else spec.maxDelaySeconds = toSeconds(ms);
        break;
      }
      case "jitter":
        if (literal !== "full" && literal !== "none")
          return { spec: { ...spec, known: false }, notLiteral: field };
        spec.jitter = literal;
        break;
      case "nonRetryable":
        if (
          value.type !== "ArrayExpression" ||
          !value.elements.every((e) => e?.type === "Literal" && typeof e.value === "string")
        ) {
          return { spec: { ...spec, known: false }, notLiteral: field };
        }
        spec.nonRetryable = value.elements.map((e) => String((e as { value: string }).value));
        break;
      default:
        break;
    }
  }
  return { spec };
}
