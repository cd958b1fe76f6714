import { describe, expect, it } from "vitest";
import type { JournalEvent } from "./events.js";
import {
  createEngine,
  ErrorRegistry,
  memoryStore,
  type Store,
  TerminalError,
  WorkflowRun,
  workflow,
} from "./index.js";
import { storeHoldingPrefix } from "./testing/crashed-store.js";

/**
 * A ctx.map cut at every point of its journal (crash-replay.test.ts does the same for
 * the other ops): a fresh store holds the prefix, as if the worker died right after it
 * became durable; a new worker resumes it. Each op must belong to the same item
 * step with the same result as in the crash-free run, the resumed journal must replay
 * without a mismatch, and no item step whose result is in the prefix may run again.
 */

/** Body runs by step identity (`info.key` ends in it). */
const bodyCalls = new Map<string, number>();
const call = <T>(info: { key: string }, value: T): T => {
  const identity = info.key.slice(info.key.indexOf(":") + 1);
  bodyCalls.set(identity, (bodyCalls.get(identity) ?? 0) + 1);
  return value;
};

const pairs = workflow("crash-map", async (ctx, count: number) => {
  const doubled = await ctx.map(
    "pairs",
    Array.from({ length: count }, (_, i) => i),
    async (c, item) => {
      const a = await c.step("a", (info) => call(info, item + 1));
      return c.step("b", (info) => call(info, a * 2));
    },
    { concurrency: 3 },
  );
  const tolerant = await ctx.map(
    "tolerant",
    [0, 1, 2],
    (c, item) =>
      c.step("maybe", (info) => {
        call(info, 0);
        if (item === 1) throw new TerminalError("one is odd");
        return item;
      }),
    { concurrency: 2, toleratedFailures: 1 },
  );
  return { doubled, tolerant: tolerant.map((r) => r.ok) };
});

/**
 * What must not change across a crash: which op each item's step got (op, name) and
 * what it ended with. The grouping of events into appends may (a recovered claim
 * journals StepScheduled before the attempt, a live one with its result).
 */
function normalize(events: JournalEvent[]): string[] {
  const byOp = new Map<number, string[]>();
  for (const event of events) {
    if (event.type === "StepScheduled" && !byOp.has(event.op)) byOp.set(event.op, [event.name]);
    if (event.type === "StepSucceeded") byOp.get(event.op)?.push(JSON.stringify(event.result));
    if (event.type === "StepFailed") byOp.get(event.op)?.push(event.error.message);
  }
  return [...byOp].sort((a, b) => a[0] - b[0]).map(([op, what]) => `${op} ${what.join(" ")}`);
}

async function runToEnd(store: Store, id: string) {
  const engine = createEngine({ store, log: () => {} });
  const worker = engine.worker({ workflows: [pairs], concurrency: 4, leaseMs: 5_000 });
  await worker.start();
  try {
    const output = await engine.client.result(id, { timeout: "10s" });
    return { output, journal: await engine.client.history(id) };
  } finally {
    await worker.stop();
  }
}

describe("ctx.map after a crash at any point", () => {
  it("resumes with every op on the same item step and result, and never re-runs an item step whose result was journaled", async () => {
    const reference = memoryStore();
    await createEngine({ store: reference, log: () => {} }).client.start(pairs, 7, { id: "m-1" });
    const crashFree = await runToEnd(reference, "m-1");
    expect(crashFree.output).toEqual({ doubled: [2, 4, 6, 8, 10, 12, 14], tolerant: [true, false, true] });
    const expected = normalize(crashFree.journal);
    const ops = crashFree.journal.filter((e) => e.type === "StepScheduled");
    expect(ops.length).toBe(7 * 2 + 3);
    expect(expected.length).toBe(17);

    for (let cut = 1; cut < crashFree.journal.length - 1; cut++) {
      const prefix = crashFree.journal.slice(0, cut);
      const store = await storeHoldingPrefix("m-1", prefix);
      bodyCalls.clear();
      const resumed = await runToEnd(store, "m-1");
      expect({ cut, output: resumed.output }).toEqual({ cut, output: crashFree.output });
      expect({ cut, journal: normalize(resumed.journal) }).toEqual({ cut, journal: expected });
      // The resumed journal replays as it is: the map issued the same ops in the same order.
      const replayed = new WorkflowRun({
        definition: pairs as never,
        executionId: "m-1",
        journal: resumed.journal.slice(0, -1),
        errors: new ErrorRegistry(),
      });
      await replayed.replay();
      expect({ cut, blocked: replayed.blocked?.message }).toEqual({ cut, blocked: undefined });
      expect(replayed.outcome).toEqual({ type: "succeeded", output: crashFree.output });
      const done = new Set(
        prefix.flatMap((e) => (e.type === "StepSucceeded" || e.type === "StepFailed" ? [e.op] : [])),
      );
      for (const op of done) {
        const name = (
          crashFree.journal.find((e) => e.type === "StepScheduled" && e.op === op) as { name: string }
        ).name;
        expect({ cut, name, calls: bodyCalls.get(name) ?? 0 }).toEqual({ cut, name, calls: 0 });
      }
    }
  }, 120_000);
});
