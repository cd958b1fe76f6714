import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  ExecutionAlreadyExistsError,
  ExecutionFinishedError,
  InvalidArgumentError,
  SerializationError,
  workflow,
} from "./index.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";

const types = (history: { type: string }[]) => history.map((e) => e.type);

/** Waits for `count` "item" events and returns their payloads in the order it got them. */
const collect = workflow("collect", async (ctx, count: number) => {
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(await ctx.waitForEvent("item"));
  return items;
});

describe("client.start with an event (signal-with-start)", () => {
  it("starts the execution with the event in its inbox: a workflow waiting for it gets the payload", async () => {
    const { engine } = newEngine();
    const approval = workflow("approval", async (ctx, order: { id: string }) => {
      const decision = await ctx.waitForEvent<{ by: string }>("approve");
      return { order: order.id, approvedBy: decision.by };
    });
    await startWorker(engine, { workflows: [approval] });
    const run = await engine.client.start(
      approval,
      { id: "o-1" },
      { id: "approval-o-1", event: { name: "approve", payload: { by: "ann" } } },
    );
    expect(run.id).toBe("approval-o-1");
    expect(await run.result({ timeout: 5_000 })).toEqual({ order: "o-1", approvedBy: "ann" });
    const inbox = await engine.client.inbox(run.id);
    expect(inbox.map(({ name, payload }) => ({ name, payload }))).toEqual([
      { name: "approve", payload: { by: "ann" } },
    ]);
    // The event was there before the first replay: the wait is answered from the inbox.
    expect(types(await run.history())).toEqual([
      "ExecutionStarted",
      "EventWaitStarted",
      "EventReceived",
      "ExecutionSucceeded",
    ]);
    expect((await run.history())[2]).toMatchObject({
      type: "EventReceived",
      inboxSeq: 0,
      payload: { by: "ann" },
    });
  });

  it("delivers the event to the running execution with the id, whatever the second start's input", async () => {
    const { engine } = newEngine();
    const first = await engine.client.start(collect, 2, {
      id: "cart-1",
      event: { name: "item", payload: "a" },
    });
    const second = await engine.client.start(collect, 99, {
      id: "cart-1",
      event: { name: "item", payload: "b" },
    });
    expect(second.id).toBe(first.id);
    expect((await engine.client.inbox("cart-1")).map((e) => e.payload)).toEqual(["a", "b"]);
    await startWorker(engine, { workflows: [collect] });
    expect(await first.result({ timeout: 5_000 })).toEqual(["a", "b"]);
    const [started] = await first.history();
    expect(started).toMatchObject({ type: "ExecutionStarted", input: 2 });
  });

  it("20 concurrent starts with events on one id: one execution, which gets all 20 events", async () => {
    const { engine, store } = newEngine();
    await startWorker(engine, { workflows: [collect] });
    const handles = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        engine.client.start(collect, 20, { id: "batch-1", event: { name: "item", payload: i } }),
      ),
    );
    expect(new Set(handles.map((h) => h.id))).toEqual(new Set(["batch-1"]));
    const items = (await handles[0]!.result({ timeout: 5_000 })) as number[];
    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(await store.executions.count({ workflow: "collect" })).toBe(1);
  });

  it("refuses a finished execution with the error client.sendEvent gives, writing nothing", async () => {
    const { engine, store } = newEngine();
    await startWorker(engine, { workflows: [collect] });
    const run = await engine.client.start(collect, 1, { id: "done-1", event: { name: "item", payload: 1 } });
    await run.result({ timeout: 5_000 });
    const before = { record: await store.executions.get("done-1"), inbox: await store.inbox.read("done-1") };
    const error = await rejection(
      engine.client.start(collect, 1, { id: "done-1", event: { name: "item", payload: 2 } }),
    );
    const sendError = await rejection(engine.client.sendEvent("done-1", "item", 2));
    expect(ExecutionFinishedError.is(error)).toBe(true);
    expect(error.message).toBe(sendError.message);
    expect(error.message).toMatch(/^Cannot send an event to execution "done-1": it has already succeeded\./);
    expect({ record: await store.executions.get("done-1"), inbox: await store.inbox.read("done-1") }).toEqual(
      before,
    );
  });

  it("refuses an execution of another workflow with ExecutionAlreadyExistsError, delivering nothing", async () => {
    const { engine } = newEngine();
    const other = workflow("other", async (ctx) => ctx.waitForEvent("item"));
    await engine.client.start(other, undefined, { id: "shared-1" });
    const error = await rejection(
      engine.client.start(collect, 1, { id: "shared-1", event: { name: "item", payload: 1 } }),
    );
    expect(ExecutionAlreadyExistsError.is(error)).toBe(true);
    expect(error.message).toContain(
      'it runs workflow "other", not "collect", so client.start did not deliver',
    );
    expect(await engine.client.inbox("shared-1")).toEqual([]);
  });

  it('refuses ifExists "attach" and "fail" with an event before writing; "use-existing" is allowed', async () => {
    const { engine, store } = newEngine();
    for (const ifExists of ["attach", "fail"] as const) {
      const error = await rejection(
        engine.client.start(collect, 1, { id: "policy-1", ifExists, event: { name: "item" } }),
      );
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect(error.message).toContain(`client.start: ifExists "${ifExists}" cannot be combined with event`);
    }
    expect(await store.executions.get("policy-1")).toBeUndefined();
    await engine.client.start(collect, 1, {
      id: "policy-1",
      ifExists: "use-existing",
      event: { name: "item" },
    });
    expect((await engine.client.inbox("policy-1")).map((e) => [e.name, e.payload])).toEqual([
      ["item", undefined],
    ]);
  });
});

describe("client.start event checks (property)", () => {
  it("accepts exactly the events client.sendEvent accepts, with the same error class, and writes nothing when it refuses", async () => {
    const { engine, store } = newEngine();
    await engine.client.start(collect, 1_000, { id: "target" });
    let n = 0;
    const seen = { accepted: 0, refusedName: 0, refusedPayload: 0 };
    const name = fc.oneof(fc.string(), fc.constantFrom("item", "stepline.x", "", "a\u0000b"), fc.anything());
    // Payloads of every kind the codec refuses too: functions, symbols, BigInt, Map, Set,
    // sparse arrays, null prototypes, typed arrays, dates.
    const payload = fc.oneof(
      fc.anything({
        withBigInt: true,
        withMap: true,
        withSet: true,
        withDate: true,
        withTypedArray: true,
        withNullPrototype: true,
        withSparseArray: true,
      }),
      fc.constantFrom(() => 1, Symbol("s"), { nested: [1, () => 2] }),
    );
    const event = fc.oneof(fc.anything(), fc.record({ name, payload }, { requiredKeys: ["name"] }));
    await fc.assert(
      fc.asyncProperty(event, async (value) => {
        const id = `p-${++n}`;
        const started = await engine.client.start(collect, 1, { id, event: value as never }).then(
          () => undefined,
          (error: Error) => error,
        );
        const shape = value !== null && typeof value === "object" && !Array.isArray(value);
        const { name: eventName, payload } = (shape ? value : {}) as { name?: unknown; payload?: unknown };
        if (value === undefined) {
          expect(started).toBeUndefined();
          expect(await store.inbox.read(id)).toEqual([]);
          return;
        }
        if (!shape) {
          expect(InvalidArgumentError.is(started), String(started)).toBe(true);
          expect(started?.message).toMatch(/^client\.start: event must be an object \{ name, payload\? \}/);
          expect(await store.executions.get(id)).toBeUndefined();
          return;
        }
        const sent = await engine.client.sendEvent("target", eventName as string, payload).then(
          () => undefined,
          (error: Error) => error,
        );
        expect(started?.name, `start: ${String(started)}; sendEvent: ${String(sent)}`).toBe(sent?.name);
        if (started) {
          if (InvalidArgumentError.is(started)) seen.refusedName++;
          if (SerializationError.is(started)) seen.refusedPayload++;
          expect(InvalidArgumentError.is(started) || SerializationError.is(started)).toBe(true);
          expect(await store.executions.get(id)).toBeUndefined();
        } else {
          expect((await engine.client.inbox(id)).map((e) => e.name)).toEqual([eventName]);
          seen.accepted++;
        }
      }),
      { numRuns: 200 },
    );
    // Both sides of the rule were exercised.
    expect(
      Object.values(seen).every((count) => count > 0),
      JSON.stringify(seen),
    ).toBe(true);
  });
});
