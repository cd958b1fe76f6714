/**
 * A store that holds exactly a prefix of a journal, as if the worker that wrote it had
 * died right after the prefix became durable: the execution is created from the
 * prefix's ExecutionStarted, claimed by a dead worker with a lease that has already
 * run out, and the rest of the prefix appended under that lease. A new worker then
 * resumes it. Test support only (crash-replay.test.ts and the others that cut a
 * journal at every position): not part of the package.
 */
import { Codec } from "../codec.js";
import type { JournalEvent } from "../events.js";
import { memoryStore } from "../memory-store.js";
import type { Store } from "../store.js";

export async function storeHoldingPrefix(
  id: string,
  prefix: readonly JournalEvent[],
  /** Runs after the create and before the dead worker's claim (say, an event sent ahead). */
  prepare?: (store: Store, codec: Codec, startedAt: number) => Promise<unknown>,
): Promise<Store> {
  const store = memoryStore();
  const codec = new Codec();
  const started = prefix[0];
  if (started?.type !== "ExecutionStarted") throw new Error("setup: a prefix starts with ExecutionStarted");
  await store.executions.create({
    id,
    workflow: started.workflow,
    createdAt: started.at,
    started: codec.encode(started, "start"),
  });
  await prepare?.(store, codec, started.at);
  const [claim] = await store.queue.claim({
    owner: "dead-worker",
    workflows: [started.workflow],
    limit: 1,
    now: started.at,
    leaseMs: 1,
  });
  if (!claim) throw new Error("setup: the dead worker's claim failed");
  if (prefix.length > 1) {
    const events = prefix.slice(1).map((event) => codec.encode(event, "event"));
    await store.journal.append(claim.lease, { expectedSeq: 1, events }, started.at);
  }
  return store;
}
