import { createEngine, type Engine, type Store, type WorkflowDefinition } from "@stepline/core";
import * as newCode from "./fixture-deploy-new.js";
import * as oldCode from "./fixture-deploy-old.js";
import { waitForStatus } from "./fixture-store.js";

/**
 * What {@link seedDeployStore} leaves, by id: the status and whether
 * fixture-deploy-new.ts replays it. `greet-1` is finished; the others are in flight.
 */
export const DEPLOY_FIXTURE = {
  "notify-old": { status: "sleeping", compatible: true }, // old code, the patch answers false
  "notify-new": { status: "sleeping", compatible: true }, // new code, PatchApplied and sms
  "approve-old": { status: "waiting", compatible: false }, // "prepare" renamed "draft"
  "approve-blocked": { status: "blocked", compatible: false }, // the new code already blocked it
  "approve-new": { status: "waiting", compatible: true },
  "approve-unclaimed": { status: "running", compatible: true }, // only ExecutionStarted
  "ship-old": { status: "sleeping", compatible: false }, // "label" removed
  "audit-old": { status: "waiting", compatible: false }, // ends after "read"
  "greet-1": { status: "succeeded", compatible: false }, // another output
  "legacy-1": { status: "waiting", compatible: true }, // not in the new module: skipped
} as const;

/**
 * Runs the old code (fixture-deploy-old.ts) and then the new (fixture-deploy-new.ts)
 * for real on the store `open` opens, one engine after the other (an engine takes one
 * definition per name), leaving the executions of {@link DEPLOY_FIXTURE}; each engine
 * is closed (and its store) before the next, and before it resolves.
 *
 * @example
 * await seedDeployStore(() => lmdbStore(dir));
 */
export async function seedDeployStore(open: () => Store): Promise<void> {
  await withEngine(open(), Object.values(oldCode) as WorkflowDefinition[], async (engine) => {
    const { client } = engine;
    await client.start(oldCode.notify, "ann", { id: "notify-old" });
    await client.start(oldCode.approve, 10, { id: "approve-old" });
    await client.start(oldCode.approve, 20, { id: "approve-blocked" });
    await client.start(oldCode.ship, "o-1", { id: "ship-old" });
    await client.start(oldCode.audit, null, { id: "audit-old" });
    await client.start(oldCode.legacy, null, { id: "legacy-1" });
    await client.start(oldCode.greet, "Ada", { id: "greet-1" });
    await client.result("greet-1", { timeout: "10s" });
    for (const id of ["notify-old", "approve-old", "approve-blocked", "ship-old", "audit-old", "legacy-1"]) {
      const { status } = DEPLOY_FIXTURE[id as keyof typeof DEPLOY_FIXTURE];
      await waitForStatus(engine, id, status === "blocked" ? "waiting" : status);
    }
  });
  await withEngine(open(), Object.values(newCode) as WorkflowDefinition[], async (engine) => {
    const { client } = engine;
    await client.start(newCode.notify, "bo", { id: "notify-new" });
    await client.start(newCode.approve, 30, { id: "approve-new" });
    // The new code replays this one when the event wakes it, and blocks it.
    await client.sendEvent("approve-blocked", "decision", true);
    await waitForStatus(engine, "notify-new", "sleeping");
    await waitForStatus(engine, "approve-new", "waiting");
    await waitForStatus(engine, "approve-blocked", "blocked");
  });
  // Started with no worker on the store: it stays running, its journal ExecutionStarted alone.
  await withEngine(open(), [], async (engine) => {
    await engine.client.start(oldCode.approve, 40, { id: "approve-unclaimed" });
  });
}

async function withEngine(
  store: Store,
  workflows: WorkflowDefinition[],
  use: (engine: Engine) => Promise<void>,
): Promise<void> {
  const engine = createEngine({ store, pollInterval: 20, log: () => {} });
  const worker = workflows.length > 0 ? engine.worker({ workflows, leaseMs: 5_000 }) : undefined;
  try {
    await worker?.start();
    await use(engine);
  } finally {
    await worker?.stop();
    await engine.close();
  }
}
