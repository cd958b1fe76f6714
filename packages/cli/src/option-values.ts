import type { ExecutionStatus } from "@stepline/core";
import { usageError } from "./cli-error.js";

const STATUSES: readonly ExecutionStatus[] = [
  "running",
  "sleeping",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "blocked",
];

/**
 * A JSON option value (`--input`, `--payload`), or a usage error naming the flag.
 *
 * @example
 * jsonOption("--input", '{"id": 1}'); // { id: 1 }
 */
export function jsonOption(flag: string, text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw usageError(`${flag} is not valid JSON: ${(error as Error).message}`);
  }
}

/**
 * A positive integer option value, or a usage error.
 *
 * @example
 * positiveIntegerOption("--limit", "20"); // 20
 */
export function positiveIntegerOption(flag: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1)
    throw usageError(`${flag} must be a positive integer, got "${text}"`);
  return value;
}

/**
 * An execution status option value, or a usage error listing the statuses.
 *
 * @example
 * statusOption("failed"); // "failed"
 */
export function statusOption(text: string | undefined): ExecutionStatus | undefined {
  if (text === undefined) return undefined;
  if (!(STATUSES as readonly string[]).includes(text)) {
    throw usageError(`--status must be one of ${STATUSES.join(", ")}; got "${text}"`);
  }
  return text as ExecutionStatus;
}

/** The string value of an option, if given. */
export function stringOption(values: Record<string, string | boolean | undefined>, name: string) {
  const value = values[name];
  return typeof value === "string" ? value : undefined;
}
