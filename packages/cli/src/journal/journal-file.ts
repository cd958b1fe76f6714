import { readFileSync, writeFileSync } from "node:fs";
import { EVENT_TYPES, type JournalEvent } from "@stepline/core";
import { Packr } from "msgpackr";
import { CliError, usageError } from "../cli-error.js";
import { jsonReplacer } from "../format/json-value.js";

/**
 * An exported journal: what `stepline export` writes and `stepline import` reads.
 * `.msgpack` files are standard MessagePack and keep every value exactly (bytes,
 * dates, `undefined`); `.json` files are for reading and tools (bytes become
 * `{ "$bytes": base64 }`, `undefined` is dropped).
 */
export interface JournalFile {
  format: "stepline-journal";
  version: 1;
  execution: { id: string; workflow: string; status: string; exportedAt: string };
  events: JournalEvent[];
}

// The journal's own MessagePack settings (core's Codec): no msgpackr records, plain maps.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });
const KNOWN_TYPES = new Set<string>(EVENT_TYPES);

/** The file's format, from its name: `.msgpack` or `.json`, else a usage error. */
export function journalFileFormat(path: string): "msgpack" | "json" {
  if (/\.(msgpack|mpk)$/i.test(path)) return "msgpack";
  if (/\.json$/i.test(path)) return "json";
  throw usageError(`cannot tell the format of "${path}": name it *.msgpack or *.json`);
}

/**
 * Writes an exported journal to `path` (MessagePack or JSON, by its extension).
 *
 * @example
 * writeJournalFile("order-1.msgpack", { format: "stepline-journal", version: 1, execution, events });
 */
export function writeJournalFile(path: string, file: JournalFile): void {
  const bytes =
    journalFileFormat(path) === "msgpack" ? packr.pack(file) : `${JSON.stringify(file, jsonReplacer, 2)}\n`;
  try {
    writeFileSync(path, bytes);
  } catch (error) {
    throw new CliError(`cannot write ${path}: ${(error as Error).message}`);
  }
}

/**
 * Reads a journal file: an export (MessagePack or JSON), or a bare JSON array of
 * events (a golden journal). Checks its shape; the events must be of known types,
 * numbered from 0, beginning with ExecutionStarted.
 *
 * @example
 * const { execution, events } = readJournalFile("order-1.msgpack");
 */
export function readJournalFile(path: string): {
  execution?: JournalFile["execution"];
  events: JournalEvent[];
} {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = journalFileFormat(path) === "msgpack" ? packr.unpack(bytes) : JSON.parse(bytes.toString("utf8"));
  } catch (error) {
    if (error instanceof CliError) throw error;
    throw new CliError(`${path} is not a readable journal file: ${(error as Error).message}`);
  }
  const file = value as Partial<JournalFile> | JournalEvent[] | null;
  const events = Array.isArray(file) ? file : file?.events;
  if (!Array.isArray(events)) throw new CliError(`${path} holds no journal: expected an "events" array`);
  checkEvents(path, events);
  const execution = Array.isArray(file) ? undefined : file?.execution;
  return { events, ...(execution ? { execution } : {}) };
}

function checkEvents(path: string, events: unknown[]): asserts events is JournalEvent[] {
  events.forEach((value, seq) => {
    const event = value as Partial<JournalEvent> | null;
    const where = `${path}: event ${seq}`;
    if (event === null || typeof event !== "object") throw new CliError(`${where} is not an object`);
    if (event.seq !== seq) throw new CliError(`${where} has seq ${String(event.seq)}; expected ${seq}`);
    if (typeof event.at !== "number") throw new CliError(`${where} has no time ("at")`);
    if (typeof event.type !== "string" || !KNOWN_TYPES.has(event.type)) {
      throw new CliError(`${where} has an unknown type "${String(event.type)}"`);
    }
  });
  const first = events[0] as Partial<JournalEvent> | undefined;
  if (first?.type !== "ExecutionStarted")
    throw new CliError(`${path}: the journal must begin with ExecutionStarted`);
}
