import { Codec, type Store } from "@stepline/core";
import type { HistoryLog } from "./history-log.js";

/**
 * The store under test with every claim it grants and every append it is sent (and
 * the outcome) written to the process's log first. Only what the engine does is
 * observed; nothing is changed.
 */
export function loggedStore(store: Store, log: HistoryLog): Store {
  const pid = process.pid;
  let ref = 0;
  const journal = store.journal;
  const queue = store.queue;
  return {
    executions: store.executions,
    inbox: store.inbox,
    workers: store.workers,
    clock: store.clock,
    onWake: store.onWake?.bind(store),
    onFinished: store.onFinished?.bind(store),
    close: () => store.close(),
    journal: {
      read: (id, fromSeq) => journal.read(id, fromSeq),
      // Not logged: the chaos workloads do not continue as new.
      continueAsNew: (lease, request, now) => journal.continueAsNew(lease, request, now),
      readRun: (id, run, fromSeq) => journal.readRun(id, run, fromSeq),
      async append(lease, request, now) {
        const mine = ++ref;
        log.write({
          k: "append",
          t: Date.now(),
          pid,
          ref: mine,
          exec: lease.executionId,
          token: lease.token,
          seq: request.expectedSeq,
          types: request.events.map((event, i) => eventType(event, request.expectedSeq + i)),
        });
        try {
          const result = await journal.append(lease, request, now);
          log.write({ k: "append-ok", t: Date.now(), pid, ref: mine, length: result.journalLength });
          return result;
        } catch (error) {
          log.write({ k: "append-refused", t: Date.now(), pid, ref: mine, error: (error as Error).name });
          throw error;
        }
      },
    },
    queue: {
      async claim(request) {
        const claims = await queue.claim(request);
        const t = Date.now();
        for (const claim of claims)
          log.write({
            k: "claim",
            t,
            pid,
            exec: claim.lease.executionId,
            token: claim.lease.token,
            recovered: claim.recovered,
          });
        return claims;
      },
      renew: (leases, leaseMs, now) => queue.renew(leases, leaseMs, now),
      release: (lease, release, now) => queue.release(lease, release, now),
      nextDueAt: (workflows) => queue.nextDueAt(workflows),
    },
  };
}

const codec = new Codec();

/** The `type` of an encoded event: the log keeps types only, the journal itself is read back through the client. */
function eventType(bytes: Uint8Array, seq: number): string {
  try {
    return codec.decodeEvent(bytes, "logged", seq).type;
  } catch {
    return "undecodable";
  }
}
