import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  answerQuery,
  createEngine,
  ExecutionNotFoundError,
  InvalidArgumentError,
  identifierProblem,
  type JournalEvent,
  memoryStore,
  NonDeterminismError,
  QueryBlockedError,
  QueryFailedError,
  QueryNotFoundError,
  SerializationError,
  type Store,
  UnknownWorkflowError,
  workflow,
} from "./index.js";
import { QueryHandlers } from "./query-handlers.js";
import { deferred, newEngine, rejection, startWorker, waitUntil } from "./testing/engine-kit.js";

const types = (history: JournalEvent[]) => history.map((e) => e.type);

/** Packs items one step each, then rests; `progress` tells where it is. */
const packRuns = { count: 0 };
const pack = workflow("queryPack", async (ctx, input: { items: string[]; rest: string }) => {
  const packed: string[] = [];
  let phase = "packing";
  ctx.onQuery("progress", () => ({ phase, packed: [...packed] }));
  ctx.onQuery("has", (item: string) => packed.includes(item));
  for (const item of input.items) {
    packed.push(
      await ctx.step("pack", () => {
        packRuns.count++;
        return `packed ${item}`;
      }),
    );
  }
  phase = "resting";
  await ctx.sleep("rest", input.rest);
  phase = "done";
  return packed;
});

/** Everything the store holds of an execution, as bytes: what a query must leave alone. */
async function snapshot(store: Store, id: string) {
  const record = await store.executions.get(id);
  const journal = await store.journal.read(id);
  const inbox = await store.inbox.read(id);
  return {
    record,
    journal: journal.map((entry) => Buffer.from(entry).toString("hex")),
    inbox: inbox.map((entry) => Buffer.from(entry).toString("hex")),
  };
}

describe("client.query", () => {
  it("answers from the state after the journaled steps, during a sleep, running no step and writing nothing", async () => {
    const { engine, store } = newEngine();
    await startWorker(engine, { workflows: [pack] });
    const run = await engine.client.start(pack, { items: ["a", "b"], rest: "1h" }, { id: "pack-1" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "the pack sleeps");
    const before = await snapshot(store, run.id);
    const runsBefore = packRuns.count;
    expect(await run.query("progress")).toEqual({ phase: "resting", packed: ["packed a", "packed b"] });
    expect(await engine.client.query(run.id, "has", "packed b")).toBe(true);
    expect(await engine.client.query(run.id, "has", "packed z")).toBe(false);
    expect(packRuns.count).toBe(runsBefore);
    expect(await snapshot(store, run.id)).toEqual(before);
    expect(types(await run.history())).toEqual([
      "ExecutionStarted",
      "StepScheduled",
      "StepSucceeded",
      "StepScheduled",
      "StepSucceeded",
      "TimerStarted",
    ]);
  });

  it("answers a finished execution from its end state", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [pack] });
    const run = await engine.client.start(pack, { items: ["x"], rest: "1ms" }, { id: "pack-2" });
    expect(await run.result({ timeout: 5_000 })).toEqual(["packed x"]);
    expect(await run.query("progress")).toEqual({ phase: "done", packed: ["packed x"] });
  });

  it("answers during a running step with the state before it, without running the step again", async () => {
    const { engine, store } = newEngine();
    const gate = deferred<string>();
    const entered = deferred();
    let bodies = 0;
    const slow = workflow("querySlow", async (ctx) => {
      let done = 0;
      ctx.onQuery("done", () => done);
      await ctx.step("quick", () => 1);
      done++;
      await ctx.step("slow", () => {
        bodies++;
        entered.resolve();
        return gate.promise;
      });
      done++;
      return done;
    });
    await startWorker(engine, { workflows: [slow] });
    const run = await engine.client.start(slow, undefined, { id: "slow-1" });
    await entered.promise;
    const before = await snapshot(store, run.id);
    expect(await run.query("done")).toBe(1);
    expect(bodies).toBe(1);
    expect(await snapshot(store, run.id)).toEqual(before);
    gate.resolve("ok");
    expect(await run.result({ timeout: 5_000 })).toBe(2);
    expect(await run.query("done")).toBe(2);
    expect(bodies).toBe(1);
  });

  it("leaves an event the workflow has not consumed in the inbox, unconsumed", async () => {
    const { engine, store } = newEngine();
    const approve = workflow("queryApprove", async (ctx) => {
      let state = "waiting";
      ctx.onQuery("state", () => state);
      await ctx.sleep("cool-off", "1h");
      state = String(await ctx.waitForEvent("approve"));
      return state;
    });
    await startWorker(engine, { workflows: [approve] });
    const run = await engine.client.start(approve, undefined, { id: "approve-1" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "it sleeps");
    await run.sendEvent("approve", "yes");
    await waitUntil(async () => (await run.describe()).status === "sleeping", "it sleeps again");
    const before = await snapshot(store, run.id);
    expect(await run.query("state")).toBe("waiting");
    expect(await snapshot(store, run.id)).toEqual(before);
    expect(before.inbox).toHaveLength(1);
    expect(types(await run.history())).not.toContain("EventReceived");
  });

  it("journals nothing the replay proposes: queried before any worker ran it, no step, no patch marker", async () => {
    let steps = 0;
    const patchy = workflow("queryPatch", async (ctx) => {
      const seen = ctx.patched("fix-1") ? "patched" : "old";
      ctx.onQuery("seen", () => seen);
      await ctx.step("first", () => steps++);
      return seen;
    });
    const { engine, store } = newEngine({ workflows: [patchy] });
    const run = await engine.client.start(patchy, undefined, { id: "patch-1" });
    const before = await snapshot(store, run.id);
    // The query's run goes live from op 0: it passes the patch and issues the step, both thrown away.
    expect(await run.query("seen")).toBe("patched");
    expect(await snapshot(store, run.id)).toEqual(before);
    expect(types(await run.history())).toEqual(["ExecutionStarted"]);
    expect(steps).toBe(0);
    await startWorker(engine, { workflows: [patchy] });
    expect(await run.result({ timeout: 5_000 })).toBe("patched");
    expect(steps).toBe(1);
    expect(types(await run.history()).filter((t) => t === "PatchApplied")).toHaveLength(1);
  });

  it("queries the current run of a chain continued as new", async () => {
    const { engine } = newEngine();
    const tally = workflow("queryTally", async (ctx, state: { total: number; run: number }) => {
      let total = state.total;
      ctx.onQuery("tally", () => ({ total, run: state.run }));
      for (let i = 0; i < 2; i++) total += await ctx.waitForEvent<number>("add");
      return ctx.continueAsNew({ total, run: state.run + 1 });
    });
    await startWorker(engine, { workflows: [tally] });
    const run = await engine.client.start(tally, { total: 0, run: 1 }, { id: "tally-1" });
    for (const n of [1, 2, 3, 4, 5]) await run.sendEvent("add", n);
    await waitUntil(async () => (await run.describe()).run === 3, "run 3 starts");
    await waitUntil(
      async () => types(await run.history()).includes("EventReceived"),
      "run 3 has received the fifth event",
    );
    expect(await run.query("tally")).toEqual({ total: 15, run: 3 });
  });
});

describe("client.query refuses", () => {
  it("an unknown query name, listing the registered ones", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [pack] });
    const run = await engine.client.start(pack, { items: [], rest: "1h" }, { id: "unknown-1" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "it sleeps");
    const error = await rejection(run.query("progres"));
    expect(QueryNotFoundError.is(error)).toBe(true);
    expect(error).toBeInstanceOf(QueryNotFoundError);
    expect((error as QueryNotFoundError).registered).toEqual(["progress", "has"]);
    expect(error.message).toBe(
      'Execution "unknown-1" (workflow "queryPack") has no query "progres" (registered: progress, has). ' +
        'Register it with ctx.onQuery("progres", (args) => value) in the workflow body, before the point the ' +
        "execution has reached; see docs/talking-to-executions.md#queries.",
    );
  });

  it("a handler that throws, an async handler and a result that is not plain data, with typed errors", async () => {
    const { engine } = newEngine();
    const bad = workflow("queryBad", async (ctx) => {
      ctx.onQuery("throws", () => {
        throw new RangeError("no such page");
      });
      // @ts-expect-error: the type refuses a handler that returns a promise, and so does the query.
      ctx.onQuery("async", async () => 1);
      // @ts-expect-error: the same for a promise returned by a plain function.
      ctx.onQuery("rejects", () => Promise.reject(new Error("late")));
      ctx.onQuery("function", () => ({ at: () => 1 }));
      ctx.onQuery("map", () => new Map([[1, 2]]));
      await ctx.sleep("forever", "1h");
    });
    await startWorker(engine, { workflows: [bad] });
    const run = await engine.client.start(bad, undefined, { id: "bad-1" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "it sleeps");

    const threw = (await rejection(run.query("throws"))) as QueryFailedError;
    expect(QueryFailedError.is(threw)).toBe(true);
    expect(threw.reason).toBe("threw");
    expect(threw.cause).toBeInstanceOf(RangeError);
    expect(threw.message).toBe(
      'Query "throws" of execution "bad-1" failed: its handler threw RangeError: no such page. ' +
        "The execution is not affected; fix the handler.",
    );
    for (const name of ["async", "rejects"]) {
      const wait = (await rejection(run.query(name))) as QueryFailedError;
      expect(wait.reason).toBe("returned-promise");
      expect(wait.message).toMatch(
        new RegExp(
          `^Query "${name}" of execution "bad-1" returned a promise: query handlers must be synchronous`,
        ),
      );
    }
    const fn = (await rejection(run.query("function"))) as QueryFailedError;
    expect(fn.reason).toBe("not-plain-data");
    expect(SerializationError.is(fn.cause)).toBe(true);
    expect(fn.message).toMatch(
      /^Query "function" of execution "bad-1" returned a value that cannot be sent back: .*\$\.at/,
    );
    expect(((await rejection(run.query("map"))) as QueryFailedError).reason).toBe("not-plain-data");
    // The execution goes on sleeping, untouched.
    expect((await run.describe()).status).toBe("sleeping");
  });

  it("bad names, args and options before reading anything; an unknown execution", async () => {
    const { engine } = newEngine();
    await expect(engine.client.query("x", "")).rejects.toThrow(
      /^client\.query: the query name "" is empty\. A query name is 1 to 256 bytes/,
    );
    await expect(engine.client.query("x", "a\u0000b")).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(engine.client.query("x", "q", () => 1)).rejects.toBeInstanceOf(SerializationError);
    await expect(engine.client.query("x", "q", undefined, { workflow: {} as never })).rejects.toThrow(
      /workflow must be a workflow definition/,
    );
    const missing = await rejection(engine.client.query("nope", "q"));
    expect(ExecutionNotFoundError.is(missing)).toBe(true);
  });

  it("property: a query name is accepted by ctx.onQuery and client.query exactly when it keeps the identifier rule", async () => {
    const { engine } = newEngine();
    const units = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((u) => String.fromCharCode(u)) });
    const names = fc.oneof(units, fc.string({ maxLength: 300 }), fc.constantFrom("", "a#2", "stepline.x"));
    await fc.assert(
      fc.asyncProperty(names, async (name) => {
        const problem = identifierProblem(name, 256);
        const registry = new QueryHandlers();
        const registered = (() => {
          try {
            registry.register(name, () => 1);
            return undefined;
          } catch (error) {
            return error;
          }
        })();
        const queried = await rejection(engine.client.query("no-such-execution", name));
        if (problem === undefined) {
          expect(registered).toBeUndefined();
          expect(registry.names()).toEqual([name]);
          expect(ExecutionNotFoundError.is(queried)).toBe(true);
        } else {
          expect(InvalidArgumentError.is(registered)).toBe(true);
          expect((registered as Error).message).toContain(problem);
          expect(InvalidArgumentError.is(queried)).toBe(true);
          expect(queried.message).toMatch(/^client\.query: the query name /);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("a workflow the engine has not registered, until its definition is given", async () => {
    const store = memoryStore();
    const { engine } = newEngine({ store });
    await startWorker(engine, { workflows: [pack] });
    const run = await engine.client.start(pack, { items: ["a"], rest: "1h" }, { id: "reg-1" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "it sleeps");
    // Another process on the same store, with no worker and no workflows.
    const bare = createEngine({ store, log: () => {} });
    const unknown = await rejection(bare.client.query(run.id, "progress"));
    expect(UnknownWorkflowError.is(unknown)).toBe(true);
    expect(unknown.message).toMatch(/createEngine\(\{ workflows: \[\.\.\.\] \}\)/);
    expect(await bare.client.query(run.id, "progress", undefined, { workflow: pack })).toEqual({
      phase: "resting",
      packed: ["packed a"],
    });
    const other = workflow("other", async () => 1);
    await expect(bare.client.query(run.id, "progress", undefined, { workflow: other })).rejects.toThrow(
      'the execution runs workflow "queryPack", not "other"',
    );
  });

  it("a journal the code does not replay: QueryBlockedError with the divergence as cause", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [pack] });
    const run = await engine.client.start(pack, { items: ["a"], rest: "1h" }, { id: "blocked-1" });
    await waitUntil(async () => (await run.describe()).status === "sleeping", "it sleeps");
    const changed = workflow("queryPack", async (ctx) => {
      ctx.onQuery("progress", () => "new code");
      await ctx.step("weigh", () => 1);
    });
    const error = await rejection(run.query("progress", undefined, { workflow: changed }));
    expect(QueryBlockedError.is(error)).toBe(true);
    expect(NonDeterminismError.is(error.cause)).toBe(true);
    expect(error.message).toBe(
      'Query "progress" of execution "blocked-1" cannot be answered: the workflow code does not replay its ' +
        'journal (at op 0 the journal has step "pack", the code asked for step "weigh"), so it cannot reach ' +
        "the execution's current state. Query it with code that matches its journal (stepline replay-check " +
        "tells); see docs/determinism.md.",
    );
    expect((await run.describe()).status).toBe("sleeping");
  });

  it("a blocked execution: refused with the code that blocked it, answered with code that replays it", async () => {
    const store = memoryStore();
    const v1 = workflow("queryDeploy", async (ctx) => {
      let stage = "start";
      ctx.onQuery("stage", () => stage);
      stage = await ctx.step("one", () => "one done");
      await ctx.waitForEvent("go");
      return stage;
    });
    const v2 = workflow("queryDeploy", async (ctx) => {
      ctx.onQuery("stage", () => "v2");
      await ctx.step("uno", () => "uno done");
    });
    const { engine: first } = newEngine({ store });
    const worker = await startWorker(first, { workflows: [v1] });
    const run = await first.client.start(v1, undefined, { id: "deploy-1" });
    await waitUntil(async () => (await run.describe()).status === "waiting", "v1 waits");
    await worker.stop();
    const { engine: second } = newEngine({ store });
    await startWorker(second, { workflows: [v2] });
    await second.client.sendEvent(run.id, "go");
    await waitUntil(async () => (await run.describe()).status === "blocked", "v2 blocks it");
    const refused = await rejection(second.client.query(run.id, "stage"));
    expect(QueryBlockedError.is(refused)).toBe(true);
    expect(refused.message).toMatch(/^Query "stage" of execution "deploy-1" cannot be answered: .*at op 0/);
    expect(await second.client.query(run.id, "stage", undefined, { workflow: v1 })).toBe("one done");
  });

  it("ctx.onQuery with a bad name or handler fails the workflow with InvalidArgumentError", async () => {
    const { engine } = newEngine();
    const badName = workflow("queryBadName", async (ctx) => ctx.onQuery("stepline\u202Eq", () => 1));
    const badHandler = workflow("queryBadHandler", async (ctx) => ctx.onQuery("q", 42 as never));
    await startWorker(engine, { workflows: [badName, badHandler] });
    const one = await engine.client.start(badName, undefined);
    await expect(one.result({ timeout: 5_000 })).rejects.toThrow(
      /^ctx\.onQuery: the query name "stepline\\u\{202E\}q" contains the bidirectional control U\+202E/,
    );
    // Querying it says why no handler is there: the code threw before registering one.
    const notFound = await rejection(one.query("q"));
    expect(QueryNotFoundError.is(notFound)).toBe(true);
    expect(notFound.message).toMatch(
      /\(its code has registered no query by the end of its journal\)\. Its code threw InvalidArgumentError: ctx\.onQuery: the query name/,
    );
    const two = await engine.client.start(badHandler, undefined);
    await expect(two.result({ timeout: 5_000 })).rejects.toThrow(
      'ctx.onQuery("q", handler): handler must be a function (args) => value, not number.',
    );
  });
});

/** Counts "add" events (summing their payloads) until it has `until` of them. */
const counter = workflow("queryCounter", async (ctx, until: number) => {
  let count = 0;
  let total = 0;
  ctx.onQuery("count", () => ({ count, total }));
  while (count < until) {
    total += await ctx.waitForEvent<number>("add");
    count++;
  }
  return total;
});

describe("queries over journals", () => {
  it("property: at every point of a counter's journal, the answer is what that much of the journal received", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [counter] });
    let n = 0;
    const event = fc.record({
      name: fc.constantFrom("add", "other"),
      payload: fc.integer({ min: -99, max: 99 }),
    });
    await fc.assert(
      fc.asyncProperty(fc.array(event, { maxLength: 8 }), fc.boolean(), async (generated, finish) => {
        // A finished execution takes no more events: when it is to finish, the last one sent is its last add.
        const events = finish
          ? generated.slice(0, generated.findLastIndex((e) => e.name === "add") + 1)
          : generated;
        const adds = events.filter((e) => e.name === "add");
        const until = adds.length + (finish ? 0 : 1);
        const run = await engine.client.start(counter, until, { id: `counter-${n++}` });
        for (const e of events) await run.sendEvent(e.name, e.payload);
        await waitUntil(
          async () => types(await run.history()).filter((t) => t === "EventReceived").length === adds.length,
          "every add is received",
        );
        const sum = adds.reduce((s, e) => s + e.payload, 0);
        expect(await run.query("count")).toEqual({ count: adds.length, total: sum });
        // Every prefix of the journal is a state the execution passed through.
        const journal = await run.history();
        for (let end = 1; end <= journal.length; end++) {
          const prefix = journal.slice(0, end);
          const received = prefix.filter((e) => e.type === "EventReceived");
          const answer = await answerQuery({
            definition: counter,
            executionId: run.id,
            journal: prefix,
            name: "count",
          });
          expect(answer).toEqual({
            count: received.length,
            total: received.reduce((s, e) => s + (e as { payload: number }).payload, 0),
          });
        }
      }),
      { numRuns: 25 },
    );
  }, 60_000);
});
