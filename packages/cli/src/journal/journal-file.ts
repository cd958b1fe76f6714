import { readFileSync, writeFileSync } from "node:fs";
import { checkJournal, type InboxEntry, type JournalEvent } from "@stepline/core";
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
  /** {@link JOURNAL_FILE_VERSION}; version 1 files (no inbox) are still read. */
  version: typeof JOURNAL_FILE_VERSION;
  execution: { id: string; workflow: string; status: string; exportedAt: string };
  events: JournalEvent[];
  /** Every event sent to the execution, in inbox order (version 2 on). */
  inbox: InboxEntry[];
}

/**
 * The export format version `stepline export` writes. 2 added the inbox; 1 is still
 * read (as an empty inbox). A newer version is refused: its fields could mean what
 * this reader does not know.
 */
export const JOURNAL_FILE_VERSION = 2;
const READABLE_VERSIONS: readonly number[] = [1, 2];

// The journal's own MessagePack settings (core's Codec): no msgpackr records, plain maps.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

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
 * writeJournalFile("order-1.msgpack", { format: "stepline-journal", version: 2, execution, events, inbox });
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
 * Reads a journal file: an export (MessagePack or JSON, format version 1 or 2), or a
 * bare JSON array of events (a golden journal), and checks it with the replay
 * engine's rules (core's `checkJournal`) and the inbox's shape. Any problem is a
 * CliError naming the first bad event; nothing has been written anywhere by then.
 *
 * @example
 * const { execution, events, inbox } = readJournalFile("order-1.msgpack");
 */
export function readJournalFile(path: string): {
  execution?: JournalFile["execution"];
  events: JournalEvent[];
  inbox: InboxEntry[];
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
  const refuse = (problem: string) => new CliError(`${path}: ${problem}; nothing was imported`);
  if (Array.isArray(value)) return { events: checkedEvents(value, [], refuse), inbox: [] };
  const file = value as Partial<JournalFile> | null;
  if (file === null || typeof file !== "object" || file.format !== "stepline-journal") {
    throw refuse(
      'not a Stepline journal: expected { "format": "stepline-journal", ... } or an array of events',
    );
  }
  if (!READABLE_VERSIONS.includes(file.version as number)) {
    throw refuse(
      `export format version ${JSON.stringify(file.version)} is not one this stepline reads ` +
        `(${READABLE_VERSIONS.join(", ")}); import it with the stepline that exported it, or export it again`,
    );
  }
  if (!Array.isArray(file.events)) throw refuse('holds no journal: expected an "events" array');
  const inbox = (file.version as number) === 1 ? [] : checkedInbox(file.inbox, refuse);
  const events = checkedEvents(file.events, inbox, refuse);
  const execution = checkedExecution(file.execution, refuse);
  return { events, inbox, ...(execution ? { execution } : {}) };
}

function checkedEvents(
  events: unknown[],
  inbox: readonly InboxEntry[],
  refuse: (problem: string) => CliError,
): JournalEvent[] {
  const verdict = checkJournal(events, { inboxLength: inbox.length });
  if (!verdict.ok) throw refuse(verdict.message);
  return events as JournalEvent[];
}

function checkedInbox(inbox: unknown, refuse: (problem: string) => CliError): InboxEntry[] {
  if (!Array.isArray(inbox)) throw refuse('holds no inbox: expected an "inbox" array (export format 2)');
  inbox.forEach((value, seq) => {
    const entry = value as Partial<InboxEntry> | null;
    if (entry === null || typeof entry !== "object" || Array.isArray(entry)) {
      throw refuse(`inbox entry ${seq} is not an object; expected { name, payload, at }`);
    }
    if (typeof entry.name !== "string" || entry.name === "") {
      throw refuse(`inbox entry ${seq} has no event name; expected a non-empty "name"`);
    }
    if (typeof entry.at !== "number" || !Number.isFinite(entry.at) || Math.abs(entry.at) > 8.64e15) {
      throw refuse(`inbox entry ${seq} has no valid time; expected "at" in epoch milliseconds`);
    }
  });
  return inbox as InboxEntry[];
}

function checkedExecution(
  execution: unknown,
  refuse: (problem: string) => CliError,
): JournalFile["execution"] | undefined {
  if (execution === undefined) return undefined;
  const found = execution as Partial<JournalFile["execution"]> | null;
  if (found === null || typeof found !== "object" || typeof found.id !== "string" || found.id === "") {
    throw refuse('has an "execution" without an id; expected { "id": "...", ... }');
  }
  return found as JournalFile["execution"];
}
