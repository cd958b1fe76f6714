import { describe, expect, it } from "vitest";
import {
  type JournalEvent,
  memoryStore,
  StepFailedError,
  StepInterruptedError,
  type Store,
  workflow,
} from "./index.js";
import { deferred, newEngine, rejection, sleep, startWorker, waitUntil } from "./testing/engine-kit.js";

/** A memory store whose lease renewals do nothing: a worker on it loses every lease it holds, as a dead one does. */
function deafStore(): { store: Store; deaf: Store } {
  const store = memoryStore();
  const deaf: Store = {
    ...store,
    queue: { ...store.queue, renew: async () => ({ lost: [], cancelRequested: [] }) },
  };
  return { store, deaf };
}

const scheduledAttempts = (history: JournalEvent[]) =>
  history.flatMap((e) => (e.type === "StepScheduled" ? [e.attempt] : []));

describe("interrupted attempts", () => {
  it("runs again a step whose worker lost its lease during the last attempt maxAttempts allows", async () => {
    const { store, deaf } = deafStore();
    const hang = deferred();
    let calls = 0;
    const once = workflow("once", async (ctx, _input: null) =>
      ctx.step(
        "charge",
        async () => {
          calls++;
          if (calls === 1) await hang.promise; // worker A's attempt never ends
          return `charged on run ${calls}`;
        },
        { retry: { maxAttempts: 1 } },
      ),
    );
    const a = newEngine({ store: deaf });
    await startWorker(a.engine, { workflows: [once], leaseMs: 300 });
    const run = await a.engine.client.start(once, null, { id: "once-1" });
    await waitUntil(() => calls === 1, "worker A runs the only attempt");
    await sleep(350); // A's lease runs out; A looks dead

    const b = newEngine({ store });
    await startWorker(b.engine, { workflows: [once], leaseMs: 300 });
    expect(await b.engine.client.result(run.id, { timeout: 5_000 })).toBe("charged on run 2");
    expect(scheduledAttempts(await b.engine.client.history(run.id))).toEqual([1, 2]);
  });

  it("fails a step that loses its worker every time with StepInterruptedError after maxInterruptions + 1 runs", async () => {
    const { deaf } = deafStore();
    let runs = 0;
    const poison = workflow("poison", async (ctx, _input: null) =>
      ctx.step(
        "explode",
        () => {
          runs++;
          return new Promise(() => {}); // the worker "dies": the attempt never ends, renewals never happen
        },
        { maxInterruptions: 2, retry: { maxAttempts: 5 } },
      ),
    );
    const { engine } = newEngine({ store: deaf });
    await startWorker(engine, { workflows: [poison], leaseMs: 150, concurrency: 10 });
    const run = await engine.client.start(poison, null, { id: "poison-1" });
    const error = await rejection(run.result({ timeout: 10_000 }));
    expect(StepFailedError.is(error)).toBe(true);
    expect(StepInterruptedError.is(error.cause)).toBe(true);
    expect((error.cause as Error).message).toContain("interrupted 3 times");
    expect((error.cause as Error).message).toContain("maxInterruptions (2)");
    expect(runs).toBe(3);
    // Three journaled attempts, none failed: maxAttempts (5) was not what stopped it.
    const history = await run.history();
    expect(scheduledAttempts(history)).toEqual([1, 2, 3]);
    expect(history.filter((e) => e.type === "StepFailed")).toHaveLength(1);
  });
});
