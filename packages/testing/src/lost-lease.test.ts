import { createEngine, memoryStore, type Store, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { fakeClock } from "./fake-clock.js";

describe("a lost lease on a fake clock", () => {
  it("runs the only attempt maxAttempts allows again when its worker's lease ran out during it", async () => {
    const clock = fakeClock();
    const store = memoryStore();
    // Worker A's renewals do nothing: once its lease runs out, it is as good as dead.
    const deaf: Store = {
      ...store,
      queue: { ...store.queue, renew: async () => ({ lost: [], cancelRequested: [] }) },
    };
    let calls = 0;
    const charge = workflow("charge", async (ctx, amount: number) =>
      ctx.step(
        "charge",
        async () => {
          calls++;
          if (calls === 1) await new Promise(() => {}); // worker A's attempt never ends
          return `charged ${amount} on run ${calls}`;
        },
        { retry: { maxAttempts: 1 } },
      ),
    );
    const options = { clock, pollInterval: 3_600_000, log: () => {} };
    const a = createEngine({ ...options, store: deaf });
    const workerA = a.worker({ workflows: [charge], leaseMs: 30_000 });
    await workerA.start();
    const run = await a.client.start(charge, 20, { id: "charge-1" });
    await clock.advance("1s"); // A runs attempt 1; its StepScheduled is journaled after 20 ms
    expect(calls).toBe(1);
    // A is not stopped: a graceful stop would wait for its hung body. Either worker may take over.
    const b = createEngine({ ...options, store });
    const workerB = b.worker({ workflows: [charge], leaseMs: 30_000 });
    await workerB.start();
    await clock.advance("40s"); // A's lease has run out: the execution is claimed again
    expect(await b.client.result(run.id, { timeout: "1m" })).toBe("charged 20 on run 2");
    const attempts = (await b.client.history(run.id)).flatMap((e) =>
      e.type === "StepScheduled" ? [e.attempt] : [],
    );
    expect(attempts).toEqual([1, 2]);
    await workerB.stop();
  });
});
