import {
  Codec,
  createEngine,
  type Engine,
  ExecutionAlreadyExistsError,
  InvalidArgumentError,
  type JournalEvent,
  type NewEvent,
  type Store,
  workflow,
} from "@stepline/core";
import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { claimableIds, LEASE_MS, T0 } from "./store-setup.js";

/** An id cut in the middle of an emoji: what an email truncated at a byte limit gives. */
const BAD_ID = "user-\uD83D";
const codec = new Codec();

const echo = workflow("identity-echo", async (ctx, input: unknown) => ctx.step("echo", () => input));

/** The encoded ExecutionStarted of an execution of `workflowName`, as client.start writes it. */
function startedEvent(workflowName: string, input: unknown): Uint8Array {
  const event: JournalEvent = {
    type: "ExecutionStarted",
    seq: 0,
    at: Date.now(),
    workflow: workflowName,
    version: 1,
    input,
    seed: 7,
  };
  return codec.encode(event, "ExecutionStarted");
}

/**
 * Creates an execution through the Store interface, as something that bypasses
 * client.start's checks would (a record written before ids were checked). Returns
 * false when the store refuses it, which it may only do with InvalidArgumentError.
 */
async function createBypassingChecks(store: Store, id: string, workflowName: string): Promise<boolean> {
  try {
    await store.executions.create({
      id,
      workflow: workflowName,
      createdAt: T0,
      started: startedEvent(workflowName, 1),
    });
    return true;
  } catch (error) {
    expect(InvalidArgumentError.is(error), `create refused "${id}" with ${String(error)}`).toBe(true);
    expect((error as Error).message).toContain("unpaired UTF-16 surrogate");
    return false;
  }
}

/** An engine on `store` whose error-level log lines are counted. */
function engineOn(store: Store): { engine: Engine; errors: string[] } {
  const errors: string[] = [];
  const engine = createEngine({
    store,
    pollInterval: 20,
    log: (level, message, fields) => {
      if (level === "error") errors.push(`${message} ${JSON.stringify(fields)}`);
    },
  });
  return { engine, errors };
}

async function waitForStatus(store: Store, id: string, status: string): Promise<void> {
  const deadline = Date.now() + 5_000;
  for (;;) {
    const record = await store.executions.get(id);
    if (record?.status === status) return;
    if (Date.now() > deadline) throw new Error(`"${id}" is ${record?.status}, not ${status}, after 5 s`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Identifiers the stores must keep exactly or refuse, and bad records that must not
 * stop a worker from serving other executions (issue 9, items 2 and 9). The cases
 * after the first run an engine with a worker on the store, with real time.
 */
export const identityCases: readonly ConformanceCase[] = [
  {
    name: "an id with an unpaired surrogate is kept exactly or refused at create, and never blocks the claim of others",
    async run(store) {
      const kept = await createBypassingChecks(store, BAD_ID, "orders");
      await store.executions.create({
        id: "good",
        workflow: "orders",
        createdAt: T0,
        started: startedEvent("orders", 1),
      });
      if (!kept) {
        expect(await claimableIds(store, ["orders"], T0 + 1_000)).toEqual(["good"]);
        return;
      }
      expect((await store.executions.get(BAD_ID))?.id).toBe(BAD_ID);
      const claims = await store.queue.claim({
        owner: "w",
        workflows: ["orders"],
        limit: 10,
        now: T0 + 1_000,
        leaseMs: LEASE_MS,
      });
      expect(claims.map((claim) => claim.lease.executionId).sort()).toEqual(["good", BAD_ID].sort());
      const bad = claims.find((claim) => claim.record.id === BAD_ID);
      expect(bad?.lease.executionId).toBe(BAD_ID);
      expect(await store.journal.read(BAD_ID)).toHaveLength(1);
      await store.queue.release(
        bad!.lease,
        { status: "blocked", dueAt: null, blockedReason: "bad id" },
        T0 + 1_000,
      );
      expect(await store.executions.get(BAD_ID)).toMatchObject({
        id: BAD_ID,
        status: "blocked",
        dueAt: null,
      });
      // Parked: no longer due, however late the claim (the stale-entry loop of issue 9 item 2).
      expect(await claimableIds(store, ["orders"], T0 + 10 * LEASE_MS)).not.toContain(BAD_ID);
    },
  },
  {
    name: "a worker parks an execution whose id is not well-formed as blocked, and runs the others",
    async run(store) {
      const kept = await createBypassingChecks(store, BAD_ID, echo.name);
      const { engine, errors } = engineOn(store);
      const worker = engine.worker({ workflows: [echo], leaseMs: 2_000 });
      await worker.start();
      try {
        const other = await engine.client.start(echo, "served", { id: "other" });
        expect(await other.result({ timeout: "5s" })).toBe("served");
        if (kept) {
          await waitForStatus(store, BAD_ID, "blocked");
          const record = await store.executions.get(BAD_ID);
          expect(record?.blockedReason).toContain(
            "contains an unpaired UTF-16 surrogate (U+D83D at index 5)",
          );
        }
        expect(errors).toEqual([]);
      } finally {
        await worker.stop();
      }
    },
  },
  {
    name: "a journal with a step name that is not well-formed blocks on its first replay, and the worker goes on",
    async run(store) {
      const id = "legacy-step";
      await store.executions.create({
        id,
        workflow: "identity-legacy",
        createdAt: T0,
        started: startedEvent("identity-legacy", 1),
      });
      const [claim] = await store.queue.claim({
        owner: "old-worker",
        workflows: ["identity-legacy"],
        limit: 1,
        now: Date.now(),
        leaseMs: LEASE_MS,
      });
      // What a worker without the name check journaled: MessagePack turns the lone surrogate into U+FFFD.
      const scheduled: NewEvent = { type: "StepScheduled", op: 0, name: "charge-\uD83D", attempt: 1 };
      await store.journal.append(
        claim!.lease,
        {
          expectedSeq: 1,
          events: [codec.encode({ ...scheduled, seq: 1, at: Date.now() } as JournalEvent, "StepScheduled")],
          release: { status: "running", dueAt: Date.now() },
        },
        Date.now(),
      );
      const legacy = workflow("identity-legacy", async (ctx) => ctx.step("charge-\uD83D", () => "charged"));
      const { engine, errors } = engineOn(store);
      const worker = engine.worker({ workflows: [legacy, echo], leaseMs: 2_000 });
      await worker.start();
      try {
        const other = await engine.client.start(echo, "served", { id: "other" });
        expect(await other.result({ timeout: "5s" })).toBe("served");
        await waitForStatus(store, id, "blocked");
        expect((await store.executions.get(id))?.blockedReason).toContain(
          "no longer matches its journal at op 0",
        );
        expect(errors).toEqual([]);
      } finally {
        await worker.stop();
      }
    },
  },
  {
    name: "a step name that is not well-formed fails the execution at the call and journals nothing under it",
    async run(store) {
      const cut = workflow("identity-cut", async (ctx) => ctx.step("charge-\uD83D", () => "charged"));
      const { engine } = engineOn(store);
      const worker = engine.worker({ workflows: [cut], leaseMs: 2_000 });
      await worker.start();
      try {
        const run = await engine.client.start(cut, undefined, { id: "cut" });
        const error = await run.result({ timeout: "5s" }).then(
          () => undefined,
          (thrown: unknown) => thrown as Error,
        );
        expect(InvalidArgumentError.is(error)).toBe(true);
        expect(error?.message).toContain(
          'ctx.step: the step name "charge-\\u{D83D}" contains an unpaired UTF-16 surrogate',
        );
        expect((await run.history()).map((event) => event.type)).toEqual([
          "ExecutionStarted",
          "ExecutionFailed",
        ]);
      } finally {
        await worker.stop();
      }
    },
  },
  {
    name: "client.start attaches to an equal input, refuses a different one, and follows ifExists",
    async run(store) {
      const { engine } = engineOn(store);
      const input = { order: "o-1", amount: 5, tags: ["a"], note: undefined, bytes: new Uint8Array([1, 2]) };
      const first = await engine.client.start(echo, input, { id: "order-o-1" });
      // Equal as the journal holds it: other key order, a Buffer for the Uint8Array.
      const reordered = { bytes: Buffer.from([1, 2]), tags: ["a"], amount: 5, note: undefined, order: "o-1" };
      expect((await engine.client.start(echo, reordered, { id: "order-o-1" })).id).toBe(first.id);

      const different = await engine.client.start(echo, { ...input, amount: 999 }, { id: "order-o-1" }).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(ExecutionAlreadyExistsError.is(different)).toBe(true);
      expect(different?.message).toContain('An execution with id "order-o-1" already exists');
      expect(different?.message).toContain("was started with a different input");
      expect(different?.message).toContain('ifExists: "use-existing"');

      const failed = await engine.client.start(echo, input, { id: "order-o-1", ifExists: "fail" }).then(
        () => undefined,
        (error: unknown) => error as Error,
      );
      expect(ExecutionAlreadyExistsError.is(failed)).toBe(true);
      expect(failed?.message).toContain('ifExists: "fail"');

      const existing = await engine.client.start(
        echo,
        { amount: 999 },
        { id: "order-o-1", ifExists: "use-existing" },
      );
      expect(existing.id).toBe("order-o-1");
      const history = await engine.client.history("order-o-1");
      expect(history.filter((event) => event.type === "ExecutionStarted")).toHaveLength(1);
      expect(history[0]).toMatchObject({ input: { order: "o-1", amount: 5 } });
      expect(await engine.client.list()).toHaveLength(1);
    },
  },
];
