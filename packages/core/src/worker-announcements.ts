import type { ExecutionRecord, Store, WorkerSighting } from "./store.js";
import { TERMINAL_STATUSES } from "./store.js";

/** How often a running worker announces its workflows (`workers.announce`), in ms. */
export const ANNOUNCE_EVERY_MS = 10_000;

/**
 * How recent an announcement must be for a workflow to count as served: six missed
 * announcements. A worker that stopped or died drops out after this long.
 */
export const WORKER_SEEN_WINDOW_MS = 60_000;

/** What `describe` and `list` say about the workers of an execution's workflow. */
export interface WorkerPresence {
  /** When a worker last announced the workflow; null if none ever did. */
  workerSeenAt: Date | null;
  /**
   * True when the execution has not ended and no worker has announced its workflow
   * within {@link WORKER_SEEN_WINDOW_MS}: nothing will run it until one starts (a typo
   * in the workflow name, or no worker deployed for it).
   */
  noWorker: boolean;
}

/**
 * Reads the latest announcements of the records' workflows in one call and says, for
 * each record, whether a worker serves it.
 *
 * @example
 * const presence = await workerPresence(store, [record], Date.now());
 * presence.get(record.id)?.noWorker; // true: no worker announced "nopeWorkflow"
 */
export async function workerPresence(
  store: Store,
  records: readonly ExecutionRecord[],
  now: number,
): Promise<Map<string, WorkerPresence>> {
  const workflows = [...new Set(records.map((record) => record.workflow))];
  const seen: Map<string, WorkerSighting> =
    workflows.length === 0 ? new Map() : await store.workers.lastSeen(workflows);
  const presence = new Map<string, WorkerPresence>();
  for (const record of records) {
    const sighting = seen.get(record.workflow);
    const served = sighting !== undefined && now - sighting.at <= WORKER_SEEN_WINDOW_MS;
    presence.set(record.id, {
      workerSeenAt: sighting ? new Date(sighting.at) : null,
      noWorker: !served && !TERMINAL_STATUSES.has(record.status),
    });
  }
  return presence;
}
