import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type AttributesUpdate, checkAttributes, MAX_ATTRIBUTES, mergeAttributes } from "./attributes.js";
import { Codec } from "./codec.js";
import { ErrorRegistry } from "./error-serialization.js";
import { InvalidArgumentError } from "./errors.js";
import type { JournalEvent, NewEvent } from "./events.js";
import { createEngine, memoryStore, type WorkflowContext, workflow } from "./index.js";
import { checkJournal } from "./journal-rules.js";
import { WorkflowRun } from "./workflow-run.js";

const T0 = 1_700_000_000_000;

function journal(...bodies: NewEvent[]): JournalEvent[] {
  const started: NewEvent = { type: "ExecutionStarted", workflow: "wf", version: 1, input: 1, seed: 1 };
  return [started, ...bodies].map((body, seq) => ({ ...body, seq, at: T0 + seq }) as JournalEvent);
}

function runOf(fn: (ctx: WorkflowContext, input: number) => Promise<unknown>, events: JournalEvent[]) {
  return new WorkflowRun({
    definition: workflow("wf", fn) as never,
    executionId: "exec-1",
    journal: events,
    errors: new ErrorRegistry(),
  });
}

const body = async (ctx: WorkflowContext) => {
  ctx.setAttributes({ customerId: "c-42" });
  await ctx.step("charge", () => "charged");
  ctx.setAttributes({ stage: "charged", customerId: null });
  return "ok";
};

describe("ctx.setAttributes in replay", () => {
  it("live: proposes one AttributesSet per call, with no op index, before and after the step", async () => {
    const run = runOf(body, journal());
    await run.replay();
    expect(run.takeNewEvents()).toEqual([
      { type: "AttributesSet", attributes: { customerId: "c-42" } },
      { type: "StepScheduled", op: 0, name: "charge", attempt: 1 },
    ]);
  });

  it("replay of a journal that has the calls proposes nothing again; the next live call is proposed", async () => {
    const recorded = journal(
      { type: "AttributesSet", attributes: { customerId: "c-42" } },
      { type: "StepScheduled", op: 0, name: "charge", attempt: 1 },
      { type: "StepSucceeded", op: 0, result: "charged", attempt: 1 },
    );
    const run = runOf(body, recorded);
    await run.replay();
    expect(run.blocked).toBeUndefined();
    expect(run.takeNewEvents()).toEqual([
      { type: "AttributesSet", attributes: { stage: "charged", customerId: null } },
      { type: "ExecutionSucceeded", output: "ok" },
    ]);
  });

  it("a journal cut before the first AttributesSet was appended (crash) proposes it again", async () => {
    const run = runOf(body, journal());
    await run.replay();
    expect(run.takeNewEvents().filter((e) => e.type === "AttributesSet")).toHaveLength(1);
  });

  it("refuses a call past MAX_ATTRIBUTES distinct names in a run, naming the limit", async () => {
    const wide = async (ctx: WorkflowContext) => {
      for (let i = 0; i < MAX_ATTRIBUTES; i++) ctx.setAttributes({ [`k${i}`]: i });
      ctx.setAttributes({ k0: null }); // a name already set: fine
      ctx.setAttributes({ extra: 1 });
    };
    const run = runOf(wide, journal());
    await run.replay();
    expect(run.outcome?.type).toBe("failed");
    const failed = run.takeNewEvents().at(-1) as Extract<NewEvent, { type: "ExecutionFailed" }>;
    expect(failed.error.name).toBe("InvalidArgumentError");
    expect(failed.error.message).toContain(
      `${MAX_ATTRIBUTES + 1} distinct attribute names, more than the 32`,
    );
  });
});

describe("checkAttributes: what ctx.setAttributes and where accept", () => {
  const refused: [unknown, RegExp][] = [
    [null, /must be an object of attribute names to values, not null/],
    [["a"], /not an array/],
    ["x", /not string/],
    [{ "bad name": 1 }, /attribute name "bad name" is not a letter or _ followed by/],
    [{ "1st": 1 }, /attribute name "1st"/],
    [{ ["a".repeat(65)]: 1 }, /65 bytes of UTF-8, more than the 64 allowed/],
    [{ a: { nested: true } }, /attribute "a" is object\. An attribute value is a string/],
    [{ a: [1] }, /attribute "a" is an array/],
    [{ a: Number.NaN }, /attribute "a" is NaN; expected a finite number/],
    [{ a: Number.POSITIVE_INFINITY }, /is Infinity/],
    [{ a: undefined }, /attribute "a" is undefined/],
    [{ a: "x".repeat(257) }, /257 bytes of UTF-8, more than the 256 allowed/],
    [{ a: "é".repeat(129) }, /258 bytes/],
    [{ a: "\uD83D" }, /unpaired UTF-16 surrogate/],
    [{ a: 10n }, /is bigint/],
  ];
  for (const [value, message] of refused) {
    it(`refuses ${String(JSON.stringify(value, (_, v) => (typeof v === "bigint" ? `${v}n` : v)))?.slice(0, 40)}`, () => {
      expect(() => checkAttributes(value, "ctx.setAttributes", true)).toThrow(InvalidArgumentError);
      expect(() => checkAttributes(value, "ctx.setAttributes", true)).toThrow(message);
    });
  }

  it("null removes in an update, and is refused in a where filter", () => {
    expect(checkAttributes({ a: null }, "ctx.setAttributes", true)).toEqual({ a: null });
    expect(() => checkAttributes({ a: null }, "client.list: where", false)).toThrow(
      /client\.list: where: attribute "a" is null; a where filter matches values/,
    );
  });

  it("property: any value is accepted (and survives the journal codec unchanged) or refused with InvalidArgumentError", () => {
    const codec = new Codec();
    const name = fc.oneof(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,70}$/), fc.string({ maxLength: 8 }));
    const value = fc.oneof(
      fc.string({ maxLength: 300 }),
      fc.string({ unit: "binary", maxLength: 140 }),
      fc.double(),
      fc.integer(),
      fc.boolean(),
      fc.constant(null),
      fc.constant(undefined),
      fc.object({ maxDepth: 1 }),
      fc.array(fc.integer(), { maxLength: 2 }),
    );
    fc.assert(
      fc.property(fc.dictionary(name, value, { maxKeys: 40 }), (update) => {
        let checked: AttributesUpdate;
        try {
          checked = checkAttributes(update, "ctx.setAttributes", true);
        } catch (error) {
          expect(InvalidArgumentError.is(error)).toBe(true);
          expect((error as Error).message).toMatch(/^ctx\.setAttributes/);
          return;
        }
        const event = { type: "AttributesSet", attributes: checked, seq: 1, at: T0 } as JournalEvent;
        const decoded = codec.decodeEvent(codec.encode(event, "event"), "exec-1", 1);
        expect(decoded).toEqual(event);
        expect(checkJournal([journal()[0], decoded]).ok).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});

describe("AttributesSet in journal rules", () => {
  it("accepts an update, refuses a malformed one with the reason", () => {
    const ok = journal({ type: "AttributesSet", attributes: { a: "x", b: null, c: 2, d: false } });
    expect(checkJournal(ok)).toEqual({ ok: true });
    const bad = journal({ type: "AttributesSet", attributes: { a: { deep: 1 } } } as never);
    const verdict = checkJournal(bad);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.message).toMatch(/^event 1 \(AttributesSet\) has a bad attributes field/);
    const missing = journal({ type: "AttributesSet" } as never);
    expect(!checkJournal(missing).ok).toBe(true);
  });
});

describe("mergeAttributes", () => {
  it("merges over, removes with null, and leaves undefined (not {}) when nothing is left", () => {
    expect(mergeAttributes({ a: 1, b: 2 }, { b: null, c: true })).toEqual({ a: 1, c: true });
    expect(mergeAttributes({ a: 1 }, { a: null })).toBeUndefined();
    expect(mergeAttributes(undefined, { a: null })).toBeUndefined();
  });
});

describe("search attributes through an engine on the memory store", () => {
  it("describe shows the merged attributes; list and count filter by them with status and workflow", async () => {
    const store = memoryStore();
    const engine = createEngine({ store, log: () => {}, pollInterval: 10 });
    const order = workflow("order", async (ctx, input: { customer: string; region: string }) => {
      ctx.setAttributes({ customerId: input.customer, region: input.region, open: true });
      await ctx.step("charge", () => "charged");
      ctx.setAttributes({ open: null, total: 12.5 });
      return "ok";
    });
    const worker = engine.worker({ workflows: [order], leaseMs: 2_000 });
    await worker.start();
    try {
      for (const [id, customer, region] of [
        ["o-1", "c-42", "eu"],
        ["o-2", "c-42", "us"],
        ["o-3", "c-7", "eu"],
      ] as const) {
        await engine.client.start(order, { customer, region }, { id });
        await engine.client.result(id, { timeout: "10s" });
      }
      expect((await engine.client.describe("o-1")).attributes).toEqual({
        customerId: "c-42",
        region: "eu",
        total: 12.5,
      });
      const ids = async (filter: Parameters<typeof engine.client.list>[0]) =>
        (await engine.client.list(filter)).map((d) => d.id);
      expect(await ids({ where: { customerId: "c-42" } })).toEqual(["o-2", "o-1"]);
      expect(await ids({ where: { customerId: "c-42", region: "eu" } })).toEqual(["o-1"]);
      expect(await ids({ where: { customerId: "c-42" }, status: "running" })).toEqual([]);
      expect(await ids({ where: {} })).toEqual(["o-3", "o-2", "o-1"]);
      expect(await engine.client.count({ where: { region: "eu" }, status: "succeeded" })).toBe(2);
      expect(await engine.client.count({ where: { region: "eu" }, workflow: "other" })).toBe(0);
      expect(await engine.client.count({ where: { open: true } })).toBe(0);
      await expect(engine.client.count({ where: { region: ["eu"] } as never })).rejects.toThrow(
        /client\.count: where: attribute "region" is an array/,
      );
      await expect(engine.client.list({ where: "region=eu" } as never)).rejects.toThrow(InvalidArgumentError);
    } finally {
      await worker.stop();
      await engine.close();
    }
  });

  it("a bad ctx.setAttributes call fails the execution with InvalidArgumentError and journals nothing for it", async () => {
    const engine = createEngine({ store: memoryStore(), log: () => {}, pollInterval: 10 });
    const bad = workflow("bad", async (ctx) => {
      ctx.setAttributes({ "customer id": "c-1" });
    });
    const worker = engine.worker({ workflows: [bad], leaseMs: 2_000 });
    await worker.start();
    try {
      await engine.client.start(bad, undefined, { id: "b-1" });
      const error = await engine.client.result("b-1", { timeout: "10s" }).catch((e: unknown) => e);
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect((error as Error).message).toContain('ctx.setAttributes: the attribute name "customer id"');
      const history = await engine.client.history("b-1");
      expect(history.some((e) => e.type === "AttributesSet")).toBe(false);
      expect((await engine.client.describe("b-1")).attributes).toEqual({});
    } finally {
      await worker.stop();
      await engine.close();
    }
  });
});
