import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import type { ExecutionStatus } from "@stepline/core";
import { CliError, usageError } from "./cli-error.js";
import type { Io } from "./io.js";

const STATUSES: readonly ExecutionStatus[] = [
  "running",
  "sleeping",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "terminated",
  "timed_out",
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
 * A JSON option value that may also come from a file or standard input, for values
 * too large for a command line (the OS refuses arguments past about 128 KB):
 * `--input '{"id":1}'`, `--input @order.json` (relative to the working directory),
 * `--input -` (standard input). JSON never begins with `@`, so nothing is ambiguous.
 *
 * @example
 * await jsonInputOption("--input", "@order.json", io); // the file's JSON
 */
export async function jsonInputOption(flag: string, text: string | undefined, io: Io): Promise<unknown> {
  if (text === undefined) return undefined;
  if (text === "-") {
    if (!io.readStdin) throw usageError(`${flag} - reads standard input, which this caller does not give`);
    return jsonOption(`${flag} - (standard input)`, await io.readStdin());
  }
  if (text.startsWith("@")) {
    const path = resolve(io.cwd, text.slice(1));
    let content: string;
    try {
      content = await readFile(path, "utf8");
    } catch (error) {
      throw new CliError(
        `${flag} ${text}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    return jsonOption(`${flag} ${text}`, content);
  }
  return jsonOption(flag, text);
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
