import { describe, expect, it } from "vitest";
import {
  CancelledError,
  ExecutionFinishedError,
  ExecutionNotFoundError,
  InvalidArgumentError,
  type JournalEvent,
  JournalMovedError,
  LeaseLostError,
  memoryStore,
  type Store,
  workflow,
} from "./index.js";
import { deferred, newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";

const types = (history: JournalEvent[]) => history.map((e) => e.type);

describe("client.terminate", () => {
  it("ends a running step at once: its signal aborts, no workflow code runs after, result() rejects", async () => {
    const { engine } = newEngine();
    const seen = { aborted: undefined as unknown, after: 0, finally: 0 };
    const started = deferred();
    const slow = workflow("slow", async (ctx) => {
      try {
        await ctx.step("wait-for-abort", (info) => {
          started.resolve();
          return new Promise((_, reject) => {
            info.signal.addEventListener("abort", () => {
              seen.aborted = info.signal.reason;
              reject(info.signal.reason);
            });
          });
        });
        seen.after++;
      } finally {
        seen.finally++;
      }
    });
    // A long lease: the abort must come from the terminate, not from a renewal.
    await startWorker(engine, { workflows: [slow], leaseMs: 60_000 });
    const run = await engine.client.start(slow, undefined, { id: "slow-1" });
    await started.promise;
    await engine.client.terminate("slow-1", { reason: "operator said so" });

    await waitUntil(() => seen.aborted !== undefined, "the step's signal aborted");
    expect(LeaseLostError.is(seen.aborted)).toBe(true);
    expect(String((seen.aborted as Error).message)).toContain("terminated");
    const error = await rejection(run.result({ timeout: 2_000 }));
    expect(CancelledError.is(error)).toBe(true);
    expect(error.message).toBe('Execution "slow-1" was terminated: operator said so.');
    const history = await run.history();
    expect(types(history)).toEqual(["ExecutionStarted", "ExecutionTerminated"]);
    expect(history[1]).toMatchObject({ type: "ExecutionTerminated", reason: "operator said so", seq: 1 });
    // The step's rejection is never journaled and the catch/finally never ran.
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await run.history()).toHaveLength(2);
    expect(seen).toMatchObject({ after: 0, finally: 0 });
    expect((await run.describe()).status).toBe("terminated");
  });

  it("ends a sleeping execution without a worker; terminating again is ExecutionFinishedError", async () => {
    const { engine } = newEngine();
    const sleeper = workflow("sleeper", async (ctx) => {
      await ctx.sleep("nap", "1h");
    });
    const worker = await startWorker(engine, { workflows: [sleeper] });
    const run = await engine.client.start(sleeper, undefined, { id: "nap-1" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "it sleeps");
    await worker.stop();
    await run.terminate();
    const error = await rejection(run.result());
    expect(error.message).toBe('Execution "nap-1" was terminated.');
    expect((await run.history()).at(-1)).toEqual(
      expect.objectContaining({ type: "ExecutionTerminated", seq: 2 }),
    );
    expect((await run.history()).at(-1)).not.toHaveProperty("reason");

    const again = await rejection(engine.client.terminate("nap-1"));
    expect(ExecutionFinishedError.is(again)).toBe(true);
    expect(again.message).toContain('Cannot terminate execution "nap-1": it has already terminated');
    await expect(run.sendEvent("x")).rejects.toSatisfy(ExecutionFinishedError.is);
  });

  it("reads the journal again when a worker appended between the read and the write", async () => {
    const inner = memoryStore();
    let stale = 1;
    let writes = 0;
    // The first read reports a journal one entry shorter than it is: the write is refused.
    const store: Store = {
      ...inner,
      executions: {
        ...inner.executions,
        async get(id) {
          const record = await inner.executions.get(id);
          if (record && stale-- > 0) return { ...record, journalLength: record.journalLength - 1 };
          return record;
        },
        async terminate(id, request, now) {
          writes++;
          return inner.executions.terminate(id, request, now);
        },
      },
    };
    const { engine } = newEngine({ store });
    const waiter = workflow("waiter", async (ctx) => ctx.waitForEvent("go"));
    await startWorker(engine, { workflows: [waiter] });
    const run = await engine.client.start(waiter, undefined, { id: "w-1" });
    await waitUntil(async () => (await inner.executions.get("w-1"))?.status === "waiting", "it waits");
    await run.terminate({ reason: "moved" });
    expect(writes).toBe(2);
    const history = await run.history();
    expect(types(history)).toEqual(["ExecutionStarted", "EventWaitStarted", "ExecutionTerminated"]);
    expect(history.map((e) => e.seq)).toEqual([0, 1, 2]);
  });

  it("gives up with JournalMovedError when the journal keeps moving", async () => {
    const inner = memoryStore();
    const store: Store = {
      ...inner,
      executions: {
        ...inner.executions,
        async get(id) {
          const record = await inner.executions.get(id);
          return record && { ...record, journalLength: record.journalLength + 1 };
        },
      },
    };
    const { engine } = newEngine({ store });
    await inner.executions.create({ id: "m-1", workflow: "m", createdAt: 0, started: new Uint8Array(1) });
    const error = await rejection(engine.client.terminate("m-1"));
    expect(JournalMovedError.is(error)).toBe(true);
    expect(error.message).toContain('Cannot terminate execution "m-1"');
    expect((await inner.executions.get("m-1"))?.status).toBe("running");
  });

  it("refuses bad input and unknown ids with typed errors", async () => {
    const { engine } = newEngine();
    const missing = await rejection(engine.client.terminate("nope"));
    expect(ExecutionNotFoundError.is(missing)).toBe(true);
    const badReason = await rejection(engine.client.terminate("nope", { reason: 42 as unknown as string }));
    expect(InvalidArgumentError.is(badReason)).toBe(true);
    expect(badReason.message).toContain("reason must be a string, not number");
    const badId = await rejection(engine.client.terminate(""));
    expect(InvalidArgumentError.is(badId)).toBe(true);
  });
});
