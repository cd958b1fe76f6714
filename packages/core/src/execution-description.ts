/**
 * What the client tells about an execution: its description (`describe`, `list`),
 * the handle `client.start` returns, and the description the record alone gives.
 */
import type { SearchAttributes } from "./attributes.js";
import type { CancelOptions } from "./client.js";
import type { Duration } from "./duration.js";
import type { JournalEvent } from "./events.js";
import type { StepHeartbeatInfo } from "./heartbeats.js";
import type { QueryOptions } from "./queries.js";
import type { ExecutionRecord, ExecutionStatus } from "./store.js";
import type { TerminateOptions } from "./terminate.js";
import type { UpdateOptions } from "./update-requests.js";
import type { WorkerPresence } from "./worker-announcements.js";
/** What `describe` tells about an execution. */
export interface ExecutionDescription extends WorkerPresence {
  id: string;
  workflow: string;
  status: ExecutionStatus;
  createdAt: Date;
  updatedAt: Date;
  /** The last operation the execution reached. */
  currentStep: string | null;
  /** Why it is blocked (status `blocked`). */
  blockedReason: string | null;
  /**
   * Set from `client.cancel` until the worker has delivered it and handed the execution
   * back (the journal's CancelRequested says it was delivered).
   */
  cancelRequested: boolean;
  historyLength: number;
  /** The run the execution is at: 1, or one more per `ctx.continueAsNew` (also the number of runs). */
  run: number;
  /**
   * The workflow version of the current run (`workflow(name, fn, { version })`): only a
   * worker that runs this version, or lists it in `compatibleVersions`, claims it; one
   * that no running worker accepts stays queued (docs/versioning.md).
   */
  version: number;
  /** Set when the current run's journal is past `historyLimits.warnEvents` (docs/continue-as-new.md). */
  historyWarning: string | null;
  /** Search attributes set by `ctx.setAttributes` (`{}` for none); docs/talking-to-executions.md. */
  attributes: SearchAttributes;
  /** Output, when status is `succeeded`. */
  output?: unknown;
  /** Error, when status is `failed`, `cancelled` or `timed_out`. */
  error?: Error;
  /**
   * The latest journaled heartbeat of each running step that sent one (`info.heartbeat`),
   * in op order; set while the execution is `running`. Heartbeats are journaled at most
   * every `max(1 s, heartbeatTimeout / 2)`, so this may be that much behind the body.
   */
  heartbeats?: StepHeartbeatInfo[];
}

/**
 * Options of `client.history`.
 *
 * @example
 * await client.history("poller-1", { run: 2 }); // the journal of the second run
 */
export interface HistoryOptions {
  /** Which run's journal: 1 for the first; default the current (last) run. */
  run?: number;
}

/** A reference to one execution. */
export interface ExecutionHandle<O = unknown> {
  readonly id: string;
  /**
   * Waits for the end: resolves with the output, rejects with the error (CancelledError
   * if cancelled). Rejects at once with ExecutionBlockedError when the execution is
   * (or becomes) blocked: it would not move until resumed.
   */
  result(options?: { timeout?: Duration }): Promise<O>;
  describe(): Promise<ExecutionDescription>;
  history(options?: HistoryOptions): Promise<JournalEvent[]>;
  sendEvent(name: string, payload?: unknown): Promise<void>;
  /** Answers a `ctx.onQuery` handler from the current state; see {@link Client.query}. */
  query<R = unknown>(name: string, args?: unknown, options?: QueryOptions): Promise<R>;
  /** Sends an update to a `ctx.onUpdate` handler and waits for its result; see {@link Client.update}. */
  update<R = unknown>(name: string, args?: unknown, options?: UpdateOptions): Promise<R>;
  /** Requests cancellation; see {@link Client.cancel}. */
  cancel(options?: CancelOptions | string): Promise<void>;
  /** Ends it at once, running no workflow code; see {@link Client.terminate}. */
  terminate(options?: TerminateOptions): Promise<void>;
  /** Resumes a blocked execution; see {@link Client.resume}. */
  resume(): Promise<boolean>;
  /** Continues a failed execution from the steps that failed; see {@link Client.redrive}. */
  redrive(options?: { reason?: string }): Promise<void>;
}

/** What the execution record alone tells (no output or error: those are in the journal). */
export function describeRecord(
  record: ExecutionRecord,
  presence: WorkerPresence | undefined,
): ExecutionDescription {
  return {
    workerSeenAt: presence?.workerSeenAt ?? null,
    noWorker: presence?.noWorker ?? false,
    id: record.id,
    workflow: record.workflow,
    status: record.status,
    createdAt: new Date(record.createdAt),
    updatedAt: new Date(record.updatedAt),
    currentStep: record.currentStep,
    blockedReason: record.blockedReason,
    cancelRequested: record.cancelRequested !== null,
    historyLength: record.journalLength,
    run: record.run ?? 1,
    version: record.version ?? 1,
    historyWarning: null,
    attributes: record.attributes ?? {},
  };
}
