import { describe, expect, it } from "vitest";
import type { JournalEvent } from "./events.js";
import { createEngine, memoryStore, type Store, TerminalError, workflow } from "./index.js";
import { storeHoldingPrefix } from "./testing/crashed-store.js";

/**
 * Crash at every point: for each prefix of a crash-free journal, a fresh store holds
 * exactly that prefix (as if the worker died right after it became durable), a new
 * worker resumes it, and the resulting journal must equal the crash-free one, apart
 * from times and re-scheduled attempts. Step bodies whose result is in the prefix
 * must not run again.
 */

const bodyCalls = new Map<string, number>();
const call = <T>(name: string, value: T): T => {
  bodyCalls.set(name, (bodyCalls.get(name) ?? 0) + 1);
  return value;
};

const order = workflow("crash-order", async (ctx, input: { total: number }) => {
  const hold = await ctx.step("reserve", () => call("reserve", { holdId: `h-${input.total}` }));
  const [label, mail] = await Promise.all([
    ctx.step("label", () => call("label", "L-1")),
    ctx.step("email", () => call("email", "sent")),
  ]);
  const settled = await Promise.allSettled([
    ctx.step("flaky", () => {
      call("flaky", 0);
      throw new TerminalError("carrier down");
    }),
    ctx.step("audit", () => call("audit", 7)),
  ]);
  await ctx.sleep("cool-off", 5);
  const approval = await ctx.waitForEvent<{ ok: boolean }>("approval", { timeout: "1m" });
  const winner = await Promise.race([
    ctx.step("quote-a", () => call("quote-a", 10)),
    ctx.sleep("quote-timeout", "1h"),
  ]);
  return {
    hold,
    label,
    mail,
    settled: settled.map((s) => s.status),
    approval: approval.ok,
    winner,
    id: ctx.ulid(),
    r: ctx.random(),
  };
});

/** The journal without times, seeds of time (fireAt, timeoutAt) and attempt numbers; re-schedules collapsed. */
function normalize(events: JournalEvent[]): string[] {
  const lastTypeOfOp = new Map<number, string>();
  const out: string[] = [];
  for (const event of events) {
    const { seq: _seq, at: _at, ...body } = event as JournalEvent & Record<string, unknown>;
    for (const key of ["attempt", "fireAt", "timeoutAt", "retryAt", "seed"]) delete body[key];
    if ("error" in body) {
      const error = body.error as { name: string; message: string };
      body.error = { name: error.name, message: error.message };
    }
    if (event.type === "ExecutionSucceeded") body.output = withoutTimes(event.output);
    const op = (event as { op?: number }).op;
    if (event.type === "StepScheduled" && op !== undefined && lastTypeOfOp.get(op) === "StepScheduled")
      continue;
    if (op !== undefined) lastTypeOfOp.set(op, event.type);
    out.push(JSON.stringify(body));
  }
  return out;
}

/** The output with the ULID's time part cut: it comes from ctx.now(), the time of a live completion. */
function withoutTimes(output: unknown) {
  const value = output as { id: string };
  return { ...value, id: value.id.slice(10) };
}

async function runToEnd(store: Store, id: string, prepare?: () => Promise<void>) {
  const engine = createEngine({ store, log: () => {} });
  const worker = engine.worker({ workflows: [order], concurrency: 4, leaseMs: 5_000 });
  await prepare?.();
  await worker.start();
  try {
    const output = await engine.client.result(id, { timeout: "10s" });
    return { output, journal: await engine.client.history(id) };
  } finally {
    await worker.stop();
  }
}

describe("replay after a crash at any point", () => {
  it("produces the crash-free journal and never re-runs a completed step", async () => {
    const reference = memoryStore();
    const refEngine = createEngine({ store: reference, log: () => {} });
    await refEngine.client.start(order, { total: 1200 }, { id: "o-1" });
    await refEngine.client.sendEvent("o-1", "approval", { ok: true });
    const crashFree = await runToEnd(reference, "o-1");
    expect(crashFree.output).toMatchObject({
      hold: { holdId: "h-1200" },
      settled: ["rejected", "fulfilled"],
      winner: 10,
    });
    const expected = normalize(crashFree.journal);
    expect(expected.length).toBe(19);

    for (let cut = 1; cut < crashFree.journal.length - 1; cut++) {
      const prefix = crashFree.journal.slice(0, cut);
      // The approval was sent ahead, as in the crash-free run.
      const store = await storeHoldingPrefix("o-1", prefix, (store, codec, at) =>
        store.inbox.send("o-1", codec.encode({ name: "approval", payload: { ok: true }, at }, "event"), at),
      );
      bodyCalls.clear();
      const resumed = await runToEnd(store, "o-1");

      expect({ cut, output: withoutTimes(resumed.output) }).toEqual({
        cut,
        output: withoutTimes(crashFree.output),
      });
      expect({ cut, journal: normalize(resumed.journal) }).toEqual({ cut, journal: expected });
      const completedInPrefix = prefix
        .filter((e) => e.type === "StepSucceeded" || (e.type === "StepFailed" && e.retryAt === undefined))
        .map(
          (e) =>
            (
              crashFree.journal.find(
                (s) => s.type === "StepScheduled" && s.op === (e as { op: number }).op,
              ) as { name: string }
            ).name,
        );
      for (const name of completedInPrefix)
        expect({ cut, name, calls: bodyCalls.get(name) ?? 0 }).toEqual({ cut, name, calls: 0 });
    }
  }, 60_000);
});
