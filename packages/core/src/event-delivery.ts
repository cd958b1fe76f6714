/**
 * Which pending `ctx.waitForEvent` receives which inbox event.
 *
 * JavaScript cannot tell that a promise lost a `Promise.race`: a wait abandoned by its
 * code stays pending for ever, and if it took the next event of its name, a later wait
 * would never see that event. So the rule is deterministic and favours the wait the
 * code issued last:
 *
 * 1. Waits issued between two deliveries of completions form a **generation** (the
 *    number of completions delivered to the code before the wait was issued). Replay
 *    delivers the same completions in the same order, so a wait has the same
 *    generation live, on replay, and live after a replay.
 * 2. An inbox event (oldest first) goes to the **oldest pending wait of the newest
 *    generation** that has a pending wait for its name. Waits issued together
 *    (`Promise.all` of two waits) get events in issue order; an older wait, e.g. the
 *    loser of a race in an earlier loop turn, never takes an event from a newer one.
 * 3. At most **one event per round**, journaled before the round's other completions
 *    (step results, fired timers, timeouts), and with no timer or wait timeout in the
 *    same round: the code reacts to the event first, so a race between an event and a
 *    timer (or a second event) that come due together is won by the event, and the
 *    loser's own completion cannot consume anything.
 *
 * The cost of rule 2: a wait kept for later while a newer wait of the same name is
 * awaited (`const a = wait("x"); await step; const b = wait("x")`) gets the second
 * event, not the first. docs/determinism.md ("Waiting for events in a race") says so.
 */
import type { InboxEntry } from "./codec.js";
import type { PendingWait } from "./workflow-ops.js";

/** The wait that receives an inbox event this round, with the event's inbox seq. */
export interface EventDelivery {
  op: number;
  inboxSeq: number;
  payload: unknown;
}

/**
 * The one event to deliver this round by the rule above, or undefined when no
 * unconsumed inbox entry matches a pending wait.
 *
 * @example
 * const waits = [
 *   { op: 0, name: "x", generation: 0, timeoutAt: undefined }, // lost a race in loop turn 1
 *   { op: 2, name: "x", generation: 1, timeoutAt: undefined }, // loop turn 2
 * ];
 * chooseEventDelivery(waits, [{ name: "x", payload: 1, at: 0 }], new Set());
 * // { op: 2, inboxSeq: 0, payload: 1 }
 */
export function chooseEventDelivery(
  waits: readonly PendingWait[],
  inbox: readonly InboxEntry[],
  consumed: ReadonlySet<number>,
): EventDelivery | undefined {
  if (waits.length === 0) return undefined;
  const chosen = new Map<string, PendingWait>();
  for (const wait of waits) {
    const best = chosen.get(wait.name);
    if (
      !best ||
      wait.generation > best.generation ||
      (wait.generation === best.generation && wait.op < best.op)
    ) {
      chosen.set(wait.name, wait);
    }
  }
  for (let seq = 0; seq < inbox.length; seq++) {
    if (consumed.has(seq)) continue;
    const entry = inbox[seq] as InboxEntry;
    if (entry.update !== undefined) continue; // an update request, never an event (updates.ts)
    const wait = chosen.get(entry.name);
    if (wait) return { op: wait.op, inboxSeq: seq, payload: entry.payload };
  }
  return undefined;
}
