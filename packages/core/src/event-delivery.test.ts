import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { InboxEntry } from "./codec.js";
import { chooseEventDelivery } from "./event-delivery.js";
import type { PendingWait } from "./workflow-ops.js";

const wait = (op: number, name: string, generation: number): PendingWait => ({
  op,
  name,
  generation,
  timeoutAt: undefined,
});
const entry = (name: string, payload: unknown): InboxEntry => ({ name, payload, at: 0 });

describe("chooseEventDelivery", () => {
  it("gives an event to the newest generation's wait, not to an older one abandoned by a race", () => {
    const waits = [wait(0, "x", 0), wait(2, "x", 1)];
    expect(chooseEventDelivery(waits, [entry("x", 1)], new Set())).toEqual({
      op: 2,
      inboxSeq: 0,
      payload: 1,
    });
  });

  it("gives events to waits of one generation in issue order", () => {
    const waits = [wait(3, "x", 2), wait(4, "x", 2)];
    expect(chooseEventDelivery(waits, [entry("x", "a"), entry("x", "b")], new Set())?.op).toBe(3);
    expect(chooseEventDelivery([wait(4, "x", 2)], [entry("x", "a"), entry("x", "b")], new Set([0]))).toEqual({
      op: 4,
      inboxSeq: 1,
      payload: "b",
    });
  });

  it("skips consumed entries and entries nothing waits for", () => {
    const inbox = [entry("x", 1), entry("y", 2), entry("x", 3)];
    expect(chooseEventDelivery([wait(0, "x", 0)], inbox, new Set([0]))).toEqual({
      op: 0,
      inboxSeq: 2,
      payload: 3,
    });
    expect(chooseEventDelivery([wait(0, "z", 0)], inbox, new Set())).toBeUndefined();
  });

  it("always picks the first unconsumed matching entry and the oldest wait of the newest generation", () => {
    const names = fc.constantFrom("a", "b", "c");
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.record({ op: fc.nat(50), name: names, generation: fc.nat(5) }), {
          selector: (w) => w.op,
        }),
        fc.array(names, { maxLength: 8 }),
        fc.array(fc.nat(8)),
        (raw, inboxNames, consumedSeqs) => {
          const waits = raw.map((w) => wait(w.op, w.name, w.generation));
          const inbox = inboxNames.map((name, i) => entry(name, i));
          const consumed = new Set(consumedSeqs);
          const chosen = chooseEventDelivery(waits, inbox, consumed);
          const firstSeq = inbox.findIndex(
            (e, seq) => !consumed.has(seq) && waits.some((w) => w.name === e.name),
          );
          if (firstSeq < 0) {
            expect(chosen).toBeUndefined();
            return;
          }
          const name = (inbox[firstSeq] as InboxEntry).name;
          const sameName = waits.filter((w) => w.name === name);
          const newest = Math.max(...sameName.map((w) => w.generation));
          const oldest = Math.min(...sameName.filter((w) => w.generation === newest).map((w) => w.op));
          expect(chosen).toEqual({ op: oldest, inboxSeq: firstSeq, payload: firstSeq });
        },
      ),
    );
  });
});
