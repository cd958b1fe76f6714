import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type Engine, type Store, type Worker } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { approval, flaky, greet } from "./fixture-workflows.js";

/** A store holding the three known executions, and the worker that ran them (still running). */
export interface FixtureStore {
  /** The LMDB directory, when on LMDB. */
  dir: string;
  engine: Engine;
  worker: Worker;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Ids of the executions {@link populate} leaves behind. */
export const FIXTURE_IDS = { succeeded: "greet-1", failed: "flaky-1", waiting: "approval-1" } as const;

/**
 * Runs the fixture workflows for real on a fresh LMDB store in a temporary directory
 * (or on `store`), with a real engine and worker: `greet-1` succeeds, `flaky-1` fails
 * after 3 attempts, `approval-1` waits for the event "approve" (its inbox holds a
 * "note" that nothing waits for). The worker keeps
 * running, so an event sent later finishes `approval-1`.
 *
 * @example
 * await using fixture = await startFixtureStore();
 * await main(["list", "--store", fixture.dir], io);
 */
export async function startFixtureStore(store?: Store): Promise<FixtureStore> {
  const dir = store ? "" : mkdtempSync(join(tmpdir(), "stepline-cli-"));
  const engine = createEngine({ store: store ?? lmdbStore(dir), pollInterval: 20, log: () => {} });
  const worker = engine.worker({ workflows: [greet, flaky, approval], leaseMs: 5_000 });
  await worker.start();
  const client = engine.client;
  await client.start(greet, "Ada", { id: FIXTURE_IDS.succeeded });
  await client.result(FIXTURE_IDS.succeeded, { timeout: "10s" });
  await client.start(flaky, { id: "o-7" }, { id: FIXTURE_IDS.failed });
  await client.result(FIXTURE_IDS.failed, { timeout: "10s" }).catch(() => {});
  await client.start(approval, { amount: 250 }, { id: FIXTURE_IDS.waiting });
  await waitForStatus(engine, FIXTURE_IDS.waiting, "waiting");
  // An event nothing waits for: it stays in the inbox, unconsumed (inspect shows it).
  await client.sendEvent(FIXTURE_IDS.waiting, "note", { from: "support" });
  await waitForStatus(engine, FIXTURE_IDS.waiting, "waiting");
  return {
    dir,
    engine,
    worker,
    async [Symbol.asyncDispose]() {
      await worker.stop();
      await engine.close();
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The fixture executions in a fresh LMDB directory that nothing in this process holds
 * open: the worker is stopped and the store closed before it resolves. For tests that
 * run the CLI in this process, which opens the directory itself. main.test.ts was the
 * file in flight both times a test run stalled, while it opened the directory a second
 * time next to a live worker's store; the suspect is that second open of one LMDB
 * environment in one process, and this takes it away.
 */
export async function populatedStoreDir(): Promise<{ dir: string; [Symbol.asyncDispose](): Promise<void> }> {
  const fixture = await startFixtureStore();
  await fixture.worker.stop();
  await fixture.engine.close();
  const { dir } = fixture;
  return {
    dir,
    async [Symbol.asyncDispose]() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the execution has this status (10 s at most). */
export async function waitForStatus(engine: Engine, id: string, status: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while ((await engine.client.describe(id)).status !== status) {
    if (Date.now() > deadline) throw new Error(`${id} did not reach status ${status} in 10 s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
