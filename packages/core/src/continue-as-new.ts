/**
 * Continue-as-new (docs/continue-as-new.md): `return ctx.continueAsNew(input)` ends the
 * current run of an execution with `ContinuedAsNew` and starts run `run + 1` under the
 * same id with a fresh journal, so a workflow that loops for ever keeps a short journal.
 *
 * What the next run's ExecutionStarted carries over from the run it continues:
 * - `workflow`, `parent`, `parentOp` and `timeoutAt` unchanged; `version` of the code that
 *   continued it (the same unless a new version was deployed meanwhile); the new `input`;
 *   a fresh `seed` (`ctx.random()` differs from run to run); `run: run + 1`.
 * - The inbox is the execution's, not the run's: an event sent and not consumed by the old
 *   run is received by the new one. `inboxFrom` (every inbox seq below it was consumed
 *   by an earlier run, or is an engine notice such as `stepline.child-finished`) and
 *   `inboxConsumed` (the seqs at or above it that were) say which entries are spent.
 * - Children of the old run are left running; their ends make the new run due but are
 *   not delivered to it (a new run awaits only the children it starts itself).
 */

import { codeFingerprint } from "./code-fingerprint.js";
import type { InboxEntry } from "./codec.js";
import { assertPlainData } from "./codec.js";
import { newSeed } from "./deterministic-random.js";
import type { EngineEnv } from "./engine-env.js";
import type { EventOfType, JournalEvent, NewEvent } from "./events.js";
import type { ExecutionRecord, Lease } from "./store.js";
import type { WorkflowDefinition } from "./workflow.js";

type ExecutionStarted = EventOfType<"ExecutionStarted">;

const MARKER = Symbol.for("stepline.continueAsNew");

/** What `ctx.continueAsNew(input)` returns: the workflow function returns it to end the run. */
interface ContinueAsNewMarker {
  readonly [MARKER]: true;
  readonly input: unknown;
}

/** Inbox entries named so are the engine's own notices: no workflow waits for them. */
const ENGINE_NOTICE_PREFIX = "stepline.";

/**
 * The value behind `ctx.continueAsNew(input)`. Typed `never` so that
 * `return ctx.continueAsNew(next)` type-checks in a workflow of any output type; the
 * run recognises it when the function returns it ({@link continuedOutcome}). The input
 * is checked here, so a value that cannot be journaled fails the run at the call.
 *
 * @example
 * return ctx.continueAsNew({ cursor: page.next }); // inside a workflow function
 */
export function continueAsNewMarker(input: unknown): never {
  assertPlainData(input, "The input of ctx.continueAsNew(input)");
  const marker: ContinueAsNewMarker = { [MARKER]: true, input };
  return marker as never;
}

/** The run outcome for a function that returned {@link continueAsNewMarker}'s value, or undefined. */
export function continuedOutcome(output: unknown): { type: "continued"; input: unknown } | undefined {
  if (typeof output !== "object" || output === null || !(MARKER in output)) return undefined;
  return { type: "continued", input: (output as ContinueAsNewMarker).input };
}

/** The run a journal is (its ExecutionStarted `run`, absent = 1). */
export function runOf(started: JournalEvent | undefined): number {
  return (started as ExecutionStarted | undefined)?.run ?? 1;
}

/** The terminal event of a run whose function returned the marker. */
export function continuedAsNewEvent(started: JournalEvent | undefined, input: unknown): NewEvent {
  return { type: "ContinuedAsNew", input, nextRun: runOf(started) + 1 };
}

/**
 * The inbox seqs an earlier run consumed, from a run's ExecutionStarted: every seq below
 * `inboxFrom`, and `inboxConsumed`. WorkflowRun starts its consumed set with them.
 */
export function inboxSpentBefore(started: JournalEvent | undefined): number[] {
  const s = started as ExecutionStarted | undefined;
  if (!s || (s.inboxFrom === undefined && s.inboxConsumed === undefined)) return [];
  const spent = Array.from({ length: s.inboxFrom ?? 0 }, (_, seq) => seq);
  return spent.concat(s.inboxConsumed ?? []);
}

/**
 * What the next run's ExecutionStarted records of the inbox: the first seq neither
 * consumed nor an engine notice, and the spent seqs after it (see the module comment).
 */
export function carriedInbox(
  inbox: readonly InboxEntry[],
  consumed: ReadonlySet<number>,
): { inboxFrom?: number; inboxConsumed?: number[] } {
  const spent = (seq: number) =>
    consumed.has(seq) || (inbox[seq]?.name.startsWith(ENGINE_NOTICE_PREFIX) ?? false);
  let from = 0;
  while (from < inbox.length && spent(from)) from++;
  const later: number[] = [];
  for (let seq = from + 1; seq < inbox.length; seq++) if (spent(seq)) later.push(seq);
  return {
    ...(from === 0 ? {} : { inboxFrom: from }),
    ...(later.length === 0 ? {} : { inboxConsumed: later }),
  };
}

/** The ExecutionStarted body of the run that `closing` (a ContinuedAsNew) starts. */
export function nextRunStarted(
  started: ExecutionStarted,
  closing: EventOfType<"ContinuedAsNew">,
  definition: WorkflowDefinition<never, unknown>,
  inbox: { inboxFrom?: number; inboxConsumed?: number[] },
): NewEvent {
  return {
    type: "ExecutionStarted",
    workflow: started.workflow,
    version: definition.version,
    codeHash: codeFingerprint(definition.fn),
    input: closing.input,
    seed: newSeed(),
    ...(started.parent === undefined ? {} : { parent: started.parent }),
    ...(started.parentOp === undefined ? {} : { parentOp: started.parentOp }),
    run: closing.nextRun,
    ...(started.timeoutAt === undefined ? {} : { timeoutAt: started.timeoutAt }),
    ...(started.traceContext === undefined ? {} : { traceContext: started.traceContext }),
    ...inbox,
  };
}

/**
 * Closes the run under `lease` (of `record`, as claimed) with `closing` at `seq` and opens the next one, through
 * the store's one atomic `journal.continueAsNew`. The lease ends: a worker claims the
 * new run like any due execution. Throws PayloadTooLargeError or SerializationError,
 * writing nothing, when the new input cannot be journaled (the runner then fails the run).
 */
export async function continueExecution(
  env: EngineEnv,
  lease: Lease,
  request: { record: ExecutionRecord; seq: number; closing: NewEvent; next: NewEvent },
): Promise<ExecutionRecord> {
  const now = env.clock.now();
  // The record's run, not the journal's: an imported journal (stepline import) may name a
  // later run than its record, which starts at 1. The lease holder's run cannot move.
  const run = request.record.run ?? 1;
  const id = lease.executionId;
  const closing = env.codec.encode(
    { ...request.closing, seq: request.seq, at: now } as JournalEvent,
    `The ContinuedAsNew event of run ${run} of "${id}"`,
  );
  const started = env.codec.encode(
    { ...request.next, seq: 0, at: now } as JournalEvent,
    `The ExecutionStarted of run ${run + 1} of "${id}"`,
  );
  const record = await env.store.journal.continueAsNew(
    lease,
    { run, expectedSeq: request.seq, closing, started, version: (request.next as ExecutionStarted).version },
    now,
  );
  env.wake();
  return record;
}
