import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type Engine, StepFailedError, type Worker } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { payments } from "./services.js";
import { fulfillOrder } from "./workflow.js";

let dir: string;
let engine: Engine;
let worker: Worker;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-orders-"));
  engine = createEngine({ store: lmdbStore(dir), pollInterval: 20, log: () => {} });
  worker = engine.worker({ workflows: [fulfillOrder], concurrency: 10, leaseMs: 2_000 });
  await worker.start();
});

afterEach(async () => {
  await worker.stop();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const order = (id: string, total: number) => ({ id, items: ["book"], total, coolOff: "50ms" });

describe("fulfillOrder on the embedded store", () => {
  it("ships a small order without waiting for approval", async () => {
    const run = await engine.client.start(fulfillOrder, order("o-small", 120), { id: "o-small" });
    expect(await run.result({ timeout: "20s" })).toEqual({ status: "shipped" });
    const history = await run.history();
    const steps = history.flatMap((e) => (e.type === "StepScheduled" ? [e.name] : []));
    expect(steps).toEqual(["reserve", "charge", "label", "email"]);
    expect(history.some((e) => e.type === "EventWaitStarted")).toBe(false);
  });

  it("waits for approval on a big order and returns rejected when it is refused", async () => {
    const run = await engine.client.start(fulfillOrder, order("o-big", 1500), { id: "o-big" });
    await engine.client.sendEvent(run.id, "approval", false);
    expect(await run.result({ timeout: "20s" })).toEqual({ status: "rejected" });
    const history = await run.history();
    expect(history.filter((e) => e.type === "EventReceived")).toEqual([
      expect.objectContaining({ payload: false, inboxSeq: 0 }),
    ]);
    expect(history.some((e) => e.type === "TimerStarted")).toBe(false);
  });

  it("releases the hold and fails the order when the charge fails", async () => {
    const charge = payments.charge;
    payments.charge = async () => {
      throw new Error("card declined");
    };
    try {
      const run = await engine.client.start(fulfillOrder, order("o-declined", 80), { id: "o-declined" });
      const error = await run.result({ timeout: "30s" }).catch((e: unknown) => e);
      expect(StepFailedError.is(error)).toBe(true);
      expect((error as Error).message).toBe('Step "charge" failed after 3 attempts: Error: card declined');
      const history = await run.history();
      const names = history.flatMap((e) => (e.type === "StepScheduled" ? [`${e.name}#${e.attempt}`] : []));
      expect(names).toEqual(["reserve#1", "charge#1", "charge#2", "charge#3", "release#1"]);
      expect((await run.describe()).status).toBe("failed");
    } finally {
      payments.charge = charge;
    }
  }, 40_000);
});
