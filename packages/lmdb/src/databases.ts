/**
 * The on-disk layout of an LMDB store: one LMDB environment (a directory) holding
 * these sub-databases. Keys use lmdb-js's ordered-binary encoding, so array keys
 * sort element by element and range scans follow them.
 *
 * | db           | key                              | value                               |
 * |--------------|----------------------------------|-------------------------------------|
 * | `meta`       | `"format"`                       | layout version (string)             |
 * | `meta`       | `"versions:<workflow>"`          | versions above 1 it has lanes for ("2,3") |
 * | `executions` | executionId                      | ExecutionRecord, MessagePack        |
 * | `journal`    | [executionId, seq]               | the event bytes, as given           |
 * | `inbox`      | [executionId, seq]               | the event bytes, as given           |
 * | `due`        | [lane, dueAt, executionId]       | empty: the work queue and timers; lane = workflow and version (due-lanes.ts) |
 * | `created`    | [createdAt, executionId]         | empty: `list` newest first          |
 * | `workers`    | workflow                         | WorkerSighting, MessagePack         |
 * | `counts`, `finished` | see lifecycle-indexes.ts | count and retention indexes         |
 * | `runs`       | [executionId, run, seq]          | entries of runs closed by continue-as-new |
 * | `attributes` | see attribute-index.ts           | search attributes (`list({ where })`) |
 *
 * Invariants, kept by writing every change through {@link Databases.putRecord} in one
 * write transaction with the change itself:
 * - `due` holds exactly one key per execution whose `dueAt` is not null, with that
 *   `dueAt`, in the lane of its workflow and version (claim and nextDueAt scan it per
 *   lane instead of every execution); a lane above version 1 is listed in `meta`;
 * - `journal` holds seqs 0 .. journalLength-1 of each execution, no gaps (the same
 *   for `inbox` and inboxLength);
 * - `created` holds one key per execution.
 */

import { type ExecutionRecord, SteplineError, type WorkerSighting } from "@stepline/core";
import { type Database, open, type RootDatabase } from "lmdb";
import { Packr } from "msgpackr";
import { type AttributeIndex, openAttributeIndex } from "./attribute-index.js";
import { dueLane, laneVersions, versionsMetaKey } from "./due-lanes.js";
import { type LifecycleIndexes, openLifecycleIndexes } from "./lifecycle-indexes.js";
import { prepareStoreDirectory, storeOpenError } from "./store-directory.js";

/**
 * LMDB keys hold at most 1978 bytes; the longest key here is [workflow, dueAt, id], so
 * an execution id and its workflow name may take this many UTF-8 bytes together.
 */
export const MAX_NAME_BYTES = 1900;

/** Bumped when the layout above changes incompatibly. */
const LAYOUT_FORMAT = "1";

export type EntryKey = [executionId: string, seq: number];
export type DueKey = [lane: string, dueAt: number, executionId: string];
export type CreatedKey = [createdAt: number, executionId: string];
export type RunEntryKey = [executionId: string, run: number, seq: number];

/**
 * The start of a workflow's slice of the due index: the key [workflow] sorts before
 * every [workflow, dueAt, id]. Typed as a DueKey because lmdb types range bounds so.
 */
export function workflowStart(workflow: string): DueKey {
  return [workflow] as unknown as DueKey;
}

/** Plain MessagePack (no msgpackr records, no shared structures): readable by any decoder. */
const recordCodec = new Packr({ useRecords: false });
const EMPTY = new Uint8Array(0);

export interface Databases {
  readonly root: RootDatabase;
  readonly journal: Database<Uint8Array, EntryKey>;
  readonly inbox: Database<Uint8Array, EntryKey>;
  readonly due: Database<Uint8Array, DueKey>;
  readonly created: Database<Uint8Array, CreatedKey>;
  /**
   * The journals of runs closed by continue-as-new; undefined for a store opened read-only
   * that was written before runs (it has none).
   */
  readonly runs: Database<Uint8Array, RunEntryKey> | undefined;
  /** The latest announcement of a workflow by a worker (`workers.announce`). */
  getSighting(workflow: string): WorkerSighting | undefined;
  /** Only inside a write transaction. */
  putSighting(workflow: string, sighting: WorkerSighting): void;
  /**
   * The due-index lanes to read for a workflow: those of `accepted` versions, or of
   * every version it has had when `accepted` is undefined (due-lanes.ts).
   */
  lanesOf(workflow: string, accepted: readonly number[] | undefined): string[];
  /** The execution's record, or undefined. Inside a write transaction, sees its writes. */
  getRecord(id: string): ExecutionRecord | undefined;
  /**
   * Writes `next` and keeps the `due` and `created` indexes in step with it. Only
   * inside a write transaction; `previous` must be the stored record (or undefined
   * for a new execution).
   */
  putRecord(previous: ExecutionRecord | undefined, next: ExecutionRecord): void;
  /** Removes the stored record `record` and its index entries (delete). Only inside a write transaction. */
  removeRecord(record: ExecutionRecord): void;
  /** Counts and finish times (lifecycle-indexes.ts). */
  readonly lifecycle: LifecycleIndexes;
  /** Search attributes (attribute-index.ts). */
  readonly attributes: AttributeIndex;
}

export interface OpenOptions {
  mapSize?: number;
  /** Open for reading only: nothing is created, every write fails. */
  readOnly?: boolean;
}

/**
 * Opens the store's environment and sub-databases. A path that cannot hold a store,
 * or that LMDB cannot open, throws StoreOpenError (store-directory.ts).
 */
export function openDatabases(path: string, options: OpenOptions): Databases {
  const readOnly = options.readOnly === true;
  prepareStoreDirectory(path, { readOnly });
  let root: RootDatabase;
  try {
    root = open(path, {
      // `path` is always a directory, even when its name has a dot ("./data.v1").
      noSubdir: false,
      // Commit = fsync under the write lock: a resolved write is on disk (see README).
      overlappingSync: false,
      readOnly,
      ...(options.mapSize === undefined ? {} : { mapSize: options.mapSize }),
    });
  } catch (error) {
    throw storeOpenError(path, error, { readOnly });
  }
  try {
    let meta: Database<string, string>;
    try {
      meta = root.openDB<string, string>("meta", { encoding: "string" });
    } catch (error) {
      throw storeOpenError(path, error, { readOnly });
    }
    checkLayout(path, meta, readOnly);
    const executions = root.openDB<Uint8Array, string>("executions", { encoding: "binary" });
    const journal = root.openDB<Uint8Array, EntryKey>("journal", { encoding: "binary" });
    const inbox = root.openDB<Uint8Array, EntryKey>("inbox", { encoding: "binary" });
    const due = root.openDB<Uint8Array, DueKey>("due", { encoding: "binary" });
    const created = root.openDB<Uint8Array, CreatedKey>("created", { encoding: "binary" });
    // A store written before workers announced themselves has no `workers` database, and a
    // read-only open cannot create it: lmdb then returns no handle, read as "no sighting"
    // (read-only-store.test.ts "reads a store made before worker announcements").
    const workers = root.openDB<Uint8Array, string>("workers", { encoding: "binary" }) as
      | Database<Uint8Array, string>
      | undefined;

    const allRecords = function* (): Iterable<ExecutionRecord> {
      for (const { key, value } of executions.getRange({})) {
        const record = recordCodec.unpack(value) as ExecutionRecord;
        record.id = key;
        yield record;
      }
    };
    const lifecycle = openLifecycleIndexes(root, meta, allRecords, readOnly);
    // As `workers`: absent from a store written before runs, and not creatable read-only.
    const runs = root.openDB<Uint8Array, RunEntryKey>("runs", { encoding: "binary" }) as
      | Database<Uint8Array, RunEntryKey>
      | undefined;

    const attributes = openAttributeIndex(root);

    // Read every time, not cached: another process may open a lane, and a cache filled
    // inside a write transaction that then aborts would list a lane that is not there.
    const versionsOf = (workflow: string): number[] => laneVersions(meta.get(versionsMetaKey(workflow)));
    /** Inside the write transaction of the record that opens the lane: both commit or neither. */
    const noteVersion = (workflow: string, version: number) => {
      const versions = versionsOf(workflow);
      if (versions.includes(version)) return;
      versions.push(version);
      meta.put(versionsMetaKey(workflow), versions.slice(1).join(","));
    };
    const dueKey = (record: ExecutionRecord): DueKey => [
      dueLane(record.workflow, record.version),
      record.dueAt as number,
      record.id,
    ];

    return {
      root,
      lifecycle,
      attributes,
      runs,
      journal,
      inbox,
      due,
      created,
      getSighting(workflow) {
        if (Buffer.byteLength(workflow) > MAX_NAME_BYTES) return undefined;
        const bytes = workers?.getBinaryFast(workflow);
        return bytes === undefined ? undefined : (recordCodec.unpack(bytes) as WorkerSighting);
      },
      putSighting(workflow, sighting) {
        if (!workers) throw new Error("this store was opened read-only: workers cannot be announced");
        workers.put(workflow, recordCodec.pack(sighting));
      },
      lanesOf(workflow, accepted) {
        return (accepted ?? versionsOf(workflow)).map((version) => dueLane(workflow, version));
      },
      getRecord(id) {
        // No execution can have an id too long for a key; LMDB would throw instead.
        if (Buffer.byteLength(id) > MAX_NAME_BYTES) return undefined;
        // getBinaryFast's buffer is only valid until the next read: decode at once.
        const bytes = executions.getBinaryFast(id);
        if (bytes === undefined) return undefined;
        const record = recordCodec.unpack(bytes) as ExecutionRecord;
        // The key is the id: MessagePack writes text as UTF-8, which turns an unpaired
        // surrogate into U+FFFD, while the key encoding keeps it. A record of such an id
        // (written before ids were checked) would otherwise be rewritten under another id
        // and its due entry never removed: the claim loop of issue 9 item 2.
        record.id = id;
        record.run ??= 1; // written before runs
        record.version ??= 1; // written before versions
        return record;
      },
      removeRecord(record) {
        executions.remove(record.id);
        created.remove([record.createdAt, record.id]);
        if (record.dueAt !== null) due.remove(dueKey(record));
        lifecycle.update(record, undefined);
        attributes.update(record, undefined);
      },
      putRecord(previous, next) {
        lifecycle.update(previous, next);
        attributes.update(previous, next);
        executions.put(next.id, recordCodec.pack(next));
        if (!previous) created.put([next.createdAt, next.id], EMPTY);
        // Continue-as-new may change the version, and so the lane, without moving dueAt.
        if (previous?.dueAt !== next.dueAt || (previous.version ?? 1) !== (next.version ?? 1)) {
          if (previous && previous.dueAt !== null) due.remove(dueKey(previous));
          if (next.dueAt !== null) {
            if ((next.version ?? 1) !== 1) noteVersion(next.workflow, next.version);
            due.put(dueKey(next), EMPTY);
          }
        }
      },
    };
  } catch (error) {
    // The open failed; a failure to close as well would hide why.
    root.close().catch(() => undefined);
    throw error;
  }
}

function checkLayout(path: string, meta: Database<string, string>, readOnly: boolean): void {
  const found = readOnly
    ? (meta.get("format") ?? LAYOUT_FORMAT)
    : meta.transactionSync(() => {
        const format = meta.get("format");
        if (format === undefined) meta.putSync("format", LAYOUT_FORMAT);
        return format ?? LAYOUT_FORMAT;
      });
  if (found !== LAYOUT_FORMAT) {
    throw new SteplineError(
      `The LMDB store at "${path}" has layout format ${found}, but this @stepline/lmdb reads format ` +
        `${LAYOUT_FORMAT}. Open it with the @stepline/lmdb version that wrote it, or use another directory.`,
    );
  }
}
