import { DEFAULT_RETRY_POLICY, parseDuration } from "@stepline/core";
import type { Expression, ObjectExpression } from "oxc-parser";
import { unwrap } from "./ast.js";
import type { RetrySpec } from "./ir.js";
import { type Evaluated, isRecord, type StaticValue } from "./static-value.js";

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

/** A retry field whose value is rounded up to whole seconds in ASL, for the warning. */
export interface RoundedDuration {
  field: "initialInterval" | "maxInterval";
  ms: number;
}

/**
 * Reads a retry policy `{ maxAttempts, initialInterval, backoffRate, maxInterval, jitter,
 * nonRetryable }` from its value at compile time (static-value.ts: literals, or
 * constants the compiler follows). `unknown` names what is not known (the policy
 * itself, or a field): the spec is then marked not known, and ASL draws no Retry
 * rather than the default one (issue 12).
 */
export function readRetrySpec(retry: Evaluated | undefined): {
  spec: RetrySpec;
  unknown?: string;
  rounded: RoundedDuration[];
} {
  const spec = defaultRetrySpec();
  const rounded: RoundedDuration[] = [];
  if (!retry) return { spec, rounded };
  if ("unknown" in retry || !isRecord(retry.value))
    return { spec: defaultRetrySpec(false), unknown: "retry", rounded };
  const unknown = (field: string) => ({ spec: { ...spec, known: false }, unknown: field, rounded });
  for (const [field, value] of Object.entries(retry.value)) {
    switch (field) {
      case "maxAttempts":
      case "backoffRate":
        if (typeof value !== "number") return unknown(field);
        spec[field] = value;
        break;
      case "initialInterval":
      case "maxInterval": {
        const ms = durationMs(value);
        if (ms === undefined) return unknown(field);
        if (ms % 1000 !== 0) rounded.push({ field, ms });
        if (field === "initialInterval") spec.intervalSeconds = toSeconds(ms);
        else spec.maxDelaySeconds = toSeconds(ms);
        break;
      }
      case "jitter":
        if (value !== "full" && value !== "none") return unknown(field);
        spec.jitter = value;
        break;
      case "nonRetryable":
        if (!Array.isArray(value) || !value.every((e) => typeof e === "string")) return unknown(field);
        spec.nonRetryable = value as string[];
        break;
      default:
        break;
    }
  }
  return { spec, rounded };
}

/** A Duration (milliseconds, or a string such as "250ms", "1s") as milliseconds, or undefined. */
export function durationMs(value: StaticValue | undefined): number | undefined {
  if (typeof value !== "number" && typeof value !== "string") return undefined;
  try {
    return parseDuration(value);
  } catch {
    return undefined;
  }
}
