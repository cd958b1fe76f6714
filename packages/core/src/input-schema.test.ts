import type { StandardSchemaV1 } from "@standard-schema/spec";
import fc from "fast-check";
import * as v from "valibot";
import { describe, expect, expectTypeOf, it } from "vitest";
import { z } from "zod";
import {
  ErrorRegistry,
  type ExecutionHandle,
  ExecutionNotFoundError,
  InputValidationError,
  InvalidArgumentError,
  type JournalEvent,
  type WorkflowInput,
  type WorkflowOutput,
  WorkflowRun,
  workflow,
} from "./index.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";

const signupSchema = z.object({
  email: z.email(),
  plan: z.enum(["free", "pro"]).default("free"),
  name: z.string().trim().min(1),
});

const signup = workflow(
  "signup",
  async (ctx, user) => {
    const greeting = await ctx.step("greet", () => `Welcome ${user.name} (${user.plan})`);
    return { greeting, email: user.email };
  },
  { input: signupSchema },
);

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a throw");
}

const started = (history: JournalEvent[]) =>
  history.find((e) => e.type === "ExecutionStarted") as JournalEvent & { input: unknown };

describe("client.start with an input schema", () => {
  it("journals the schema's output (defaults, trims) and the function receives it", async () => {
    const { engine } = newEngine();
    await startWorker(engine, { workflows: [signup] });
    const run = await engine.client.start(
      signup,
      { email: "ada@example.com", name: "  Ada " },
      { id: "s-1" },
    );
    expect(await run.result({ timeout: "5s" })).toEqual({
      greeting: "Welcome Ada (free)",
      email: "ada@example.com",
    });
    // What replay feeds the function is the journaled, validated value.
    expect(started(await run.history()).input).toEqual({
      email: "ada@example.com",
      plan: "free",
      name: "Ada",
    });
  });

  it("replay feeds the function the journaled value and does not run the schema again", async () => {
    const { engine } = newEngine();
    let validations = 0;
    const counted = z.object({ n: z.number() }).transform((o) => ({ n: o.n, call: ++validations }));
    const seen: unknown[] = [];
    const stamped = workflow(
      "stamped",
      async (_ctx, input) => {
        seen.push(input);
        return input.call;
      },
      { input: counted },
    );
    await engine.client.start(stamped, { n: 1 }, { id: "st-1" });
    const history = await engine.client.history("st-1");
    expect(started(history).input).toEqual({ n: 1, call: 1 });
    for (let replay = 0; replay < 2; replay++) {
      const run = new WorkflowRun({
        definition: stamped as never,
        executionId: "st-1",
        journal: history,
        errors: new ErrorRegistry(),
      });
      await run.replay();
      expect(run.takeNewEvents()).toEqual([{ type: "ExecutionSucceeded", output: 1 }]);
    }
    expect(seen).toEqual([
      { n: 1, call: 1 },
      { n: 1, call: 1 },
    ]);
    expect(validations).toBe(1);
  });

  it("refuses an invalid input with InputValidationError listing each issue's path and message, writing nothing", async () => {
    const { engine, store } = newEngine();
    const error = await rejection(
      engine.client.start(signup, { email: "nope", name: "   ", plan: "gold" } as never, { id: "s-2" }),
    );
    expect(InputValidationError.is(error)).toBe(true);
    expect(error).toBeInstanceOf(InputValidationError);
    const issues = (error as InputValidationError).issues;
    expect(issues.map((i) => i.path)).toEqual([["email"], ["plan"], ["name"]]);
    expect(issues[0]?.message).toBe("Invalid email address");
    expect((error as InputValidationError).workflow).toBe("signup");
    expect(error.message).toBe(
      'client.start: the input of workflow "signup" does not match its input schema: ' +
        `email: Invalid email address; plan: ${issues[1]?.message}; name: ${issues[2]?.message}. ` +
        "Nothing was started. Pass an input the schema accepts, or change the schema given to " +
        'workflow("signup", fn, { input }). See docs/getting-started.md#input-schemas.',
    );
    expect(error.message).not.toContain("\n");
    expect(await engine.client.list()).toEqual([]);
    expect(await rejection(engine.client.describe("s-2"))).toBeInstanceOf(ExecutionNotFoundError);
    expect(await store.executions.get("s-2")).toBeUndefined();
  });

  it("shows nested paths and a refused input itself, and counts issues past ten", async () => {
    const { engine } = newEngine();
    const order = workflow("order", async (_ctx, o) => o.items.length, {
      input: z.object({ items: z.array(z.object({ sku: z.string() })).min(1) }),
    });
    const nested = await rejection(
      engine.client.start(order, { items: [{ sku: "a" }, { sku: 5 }] } as never),
    );
    expect(nested.message).toContain(
      "input schema: items[1].sku: Invalid input: expected string, received number.",
    );
    const root = await rejection(engine.client.start(order, "not an order" as never));
    expect(root.message).toContain("input schema: (input): Invalid input: expected object, received string.");

    const wide = workflow("wide", async (_ctx, o) => o, {
      input: z.object(Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, z.string()]))),
    });
    const many = (await rejection(engine.client.start(wide, {} as never))) as InputValidationError;
    expect(many.issues).toHaveLength(12);
    expect(many.message).toContain("f9: Invalid input: expected string, received undefined; and 2 more.");
    expect(many.message).not.toContain("f10:");
  });

  it("works with valibot, transforms included", async () => {
    const { engine } = newEngine();
    const tagged = workflow("tagged", async (_ctx, input) => input.tags.join("+"), {
      input: v.object({
        email: v.pipe(v.string(), v.email()),
        tags: v.pipe(
          v.string(),
          v.transform((s) => s.split(",")),
        ),
      }),
    });
    await startWorker(engine, { workflows: [tagged] });
    const run = await engine.client.start(tagged, { email: "a@b.co", tags: "x,y" });
    expect(await run.result({ timeout: "5s" })).toBe("x+y");
    expect(started(await run.history()).input).toEqual({ email: "a@b.co", tags: ["x", "y"] });

    const error = (await rejection(
      engine.client.start(tagged, { email: "nope", tags: "x" }),
    )) as InputValidationError;
    expect(InputValidationError.is(error)).toBe(true);
    expect(error.issues).toEqual([{ message: 'Invalid email: Received "nope"', path: ["email"] }]);
    expect(await engine.client.count()).toBe(1);
  });

  it("awaits an async schema (zod refine, valibot pipeAsync)", async () => {
    const { engine } = newEngine();
    const taken = new Set(["ada"]);
    const zodAsync = workflow("claim", async (_ctx, handle) => handle, {
      input: z.string().refine(async (h) => !taken.has(h), "handle is taken"),
    });
    const valibotAsync = workflow("claim-v", async (_ctx, handle) => handle, {
      input: v.pipeAsync(
        v.string(),
        v.checkAsync(async (h) => !taken.has(h), "handle is taken"),
      ),
    });
    for (const definition of [zodAsync, valibotAsync]) {
      await engine.client.start(definition, "grace", { id: `ok-${definition.name}` });
      const error = (await rejection(engine.client.start(definition, "ada"))) as InputValidationError;
      expect(error.issues).toEqual([{ message: "handle is taken", path: [] }]);
    }
    expect((await engine.client.list()).map((e) => e.id).sort()).toEqual(["ok-claim", "ok-claim-v"]);
  });

  it("validates a start by name with the workflow registered on the engine", async () => {
    const { engine } = newEngine({ workflows: [signup] });
    const error = await rejection(engine.client.start("signup", { email: "x" }));
    expect(InputValidationError.is(error)).toBe(true);
    const run = await engine.client.start("signup", { email: "a@b.co", name: "Bo" });
    expect(started(await run.history()).input).toEqual({ email: "a@b.co", plan: "free", name: "Bo" });
  });

  it("attaches a retried start by comparing the validated input", async () => {
    const { engine } = newEngine();
    const input = { email: "a@b.co", name: " Bo " };
    const first = await engine.client.start(signup, input, { id: "again", ifExists: "attach" });
    const second = await engine.client.start(signup, input, { id: "again", ifExists: "attach" });
    expect(second.id).toBe(first.id);
    expect(await engine.client.count()).toBe(1);
  });

  it("property: start succeeds iff the schema's own validate accepts, and writes nothing when it refuses", async () => {
    const schemas: StandardSchemaV1[] = [
      z.object({ sku: z.string().min(1).max(8), qty: z.number().int().positive().max(99) }),
      v.object({
        sku: v.pipe(v.string(), v.minLength(1), v.maxLength(8)),
        qty: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(99)),
      }),
    ];
    const candidate = fc.oneof(
      fc.record({ sku: fc.string({ maxLength: 10 }), qty: fc.integer({ min: -5, max: 120 }) }),
      fc.record(
        {
          sku: fc.oneof(fc.string(), fc.integer()),
          qty: fc.oneof(fc.double(), fc.string()),
          extra: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
      fc.jsonValue(),
    );
    let accepted = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...schemas), candidate, async (schema, value) => {
        const item = workflow("item", async (_ctx, i) => i, { input: schema });
        const { engine, store } = newEngine();
        const own = await schema["~standard"].validate(value);
        const outcome = await engine.client.start(item, value, { id: "p" }).then(
          (handle: ExecutionHandle) => handle,
          (error: Error) => error,
        );
        if (own.issues) {
          refused++;
          expect(InputValidationError.is(outcome)).toBe(true);
          expect((outcome as InputValidationError).issues).toHaveLength(own.issues.length);
          expect(await engine.client.list()).toEqual([]);
          expect(await store.executions.get("p")).toBeUndefined();
        } else {
          accepted++;
          expect(outcome).toMatchObject({ id: "p" });
          expect(started(await engine.client.history("p")).input).toEqual(own.value);
        }
        await engine.close();
      }),
      { numRuns: 300 },
    );
    // Both sides of the "iff" were exercised.
    expect(accepted).toBeGreaterThan(20);
    expect(refused).toBeGreaterThan(20);
  });
});

describe("workflow(name, fn, options)", () => {
  const fn = async () => 1;

  it("refuses an input that is not a Standard Schema V1", () => {
    for (const [input, got] of [
      [{}, "an object."],
      [{ "~standard": { version: 2, validate: () => ({ value: 1 }) } }, "an object whose ~standard"],
      [{ "~standard": { version: 1 } }, "an object whose ~standard"],
      ["z.string()", '"z.string()"'],
      [null, "null"],
      [() => true, "a function"],
    ] as const) {
      const error = thrown(() => workflow("w", fn, { input: input as never }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toContain(
        'workflow("w", fn, { input }): input must be a Standard Schema V1, an object with "~standard": ' +
          "{ version: 1, validate } such as a zod 4, valibot 1 or arktype schema; got ",
      );
      expect(error.message).toContain(`got ${got}`);
    }
    // A function with ~standard (arktype's types are functions) is taken.
    const fnSchema = Object.assign(() => true, {
      "~standard": { version: 1, vendor: "x", validate: (value: unknown) => ({ value }) },
    });
    expect(workflow("w", fn, { input: fnSchema as StandardSchemaV1 }).input).toBe(fnSchema);
  });

  it("refuses unknown option keys, listing the known ones, and a version that is not a positive integer", () => {
    const typo = thrown(() => workflow("w", fn, { inputs: z.string() } as never));
    expect(typo).toBeInstanceOf(InvalidArgumentError);
    expect(typo.message).toBe(
      'workflow("w", fn, options): unknown option "inputs"; the options are version, compatibleVersions, input. Check the spelling.',
    );
    const schemaAsOptions = thrown(() => workflow("w", fn, z.string() as never));
    expect(schemaAsOptions.message).toBe(
      'workflow("w", fn, options): options is a schema; pass it as the input option: ' +
        'workflow("w", fn, { input: schema }).',
    );
    const two = thrown(() => workflow("w", fn, { retry: 1, timeout: "1s" } as never));
    expect(two.message).toContain('unknown options "retry", "timeout";');
    for (const version of [Number.NaN, 0, 1.5, "2", -1]) {
      const error = thrown(() => workflow("w", fn, { version: version as number }));
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect(error.message).toMatch(/^workflow\("w", fn, options\): version must be an integer from 1 to /);
    }
    expect(thrown(() => workflow("w", fn, null as never))).toBeInstanceOf(InvalidArgumentError);
    expect(workflow("w", fn, { version: 3 }).version).toBe(3);
    expect(workflow("w", fn).input).toBeUndefined();
  });

  it("types: start takes the schema's input type, the function gets its output type", () => {
    const schema = z.object({ n: z.string().transform((s) => Number(s)), tag: z.string().optional() });
    const def = workflow(
      "typed",
      async (_ctx, input) => {
        expectTypeOf(input).toEqualTypeOf<{ n: number; tag?: string | undefined }>();
        return input.n > 0;
      },
      { input: schema },
    );
    expectTypeOf<WorkflowInput<typeof def>>().toEqualTypeOf<{ n: string; tag?: string | undefined }>();
    expectTypeOf<WorkflowOutput<typeof def>>().toEqualTypeOf<boolean>();
    const { engine } = newEngine();
    expectTypeOf(engine.client.start<WorkflowInput<typeof def>, boolean>)
      .parameter(1)
      .toEqualTypeOf<{ n: string; tag?: string | undefined }>();
    expectTypeOf(() => engine.client.start(def, { n: "1" })).returns.resolves.toEqualTypeOf<
      ExecutionHandle<boolean>
    >();
    // @ts-expect-error: start takes the schema's input type ({ n: string }), not its output.
    void (() => engine.client.start(def, { n: 1 }));

    const plain = workflow("plain", async (_ctx, x: number) => String(x));
    expectTypeOf<WorkflowInput<typeof plain>>().toEqualTypeOf<number>();
    expectTypeOf<WorkflowOutput<typeof plain>>().toEqualTypeOf<string>();
    // @ts-expect-error: a workflow without schema still takes its function's input type.
    void (() => engine.client.start(plain, "1"));

    workflow("parent", async (ctx, _x: null) => {
      expectTypeOf(ctx.child(def, { n: "2" })).toEqualTypeOf<Promise<boolean>>();
      // @ts-expect-error: ctx.child takes the child schema's input type.
      void (() => ctx.child(def, { n: 2 }));
      return null;
    });
  });
});

describe("ctx.child / ctx.startChild with an input schema", () => {
  const charge = workflow("charge", async (_ctx, c) => `charged ${c.amount} ${c.currency}`, {
    input: z.object({ amount: z.number().positive(), currency: z.string().toUpperCase().default("EUR") }),
  });

  it("starts the child with the schema's output", async () => {
    const { engine } = newEngine();
    const parent = workflow("parent", async (ctx, amount: number) => {
      const detached = await ctx.startChild(charge, { amount: amount + 1, currency: "usd" });
      return [await ctx.child(charge, { amount }), await detached.result()];
    });
    await startWorker(engine, { workflows: [parent, charge] });
    const run = await engine.client.start(parent, 5, { id: "p-ok" });
    expect(await run.result({ timeout: "5s" })).toEqual(["charged 5 EUR", "charged 6 USD"]);
    expect(started(await engine.client.history("p-ok/charge")).input).toEqual({ amount: 6, currency: "USD" });
    expect(started(await engine.client.history("p-ok/charge#2")).input).toEqual({
      amount: 5,
      currency: "EUR",
    });
  });

  it("throws InputValidationError at the call in the parent's code, starting no child", async () => {
    const { engine } = newEngine();
    const parent = workflow("parent", async (ctx, amount: number) => {
      try {
        await ctx.child(charge, { amount });
        return "started";
      } catch (error) {
        return InputValidationError.is(error) ? error.message : `other: ${String(error)}`;
      }
    });
    await startWorker(engine, { workflows: [parent, charge] });
    const run = await engine.client.start(parent, -3, { id: "p-bad" });
    expect(await run.result({ timeout: "5s" })).toBe(
      'ctx.child("charge"): the input of workflow "charge" does not match its input schema: ' +
        "amount: Too small: expected number to be >0. Nothing was started. Pass an input the schema " +
        'accepts, or change the schema given to workflow("charge", fn, { input }). ' +
        "See docs/getting-started.md#input-schemas.",
    );
    expect((await run.history()).map((e) => e.type)).toEqual(["ExecutionStarted", "ExecutionSucceeded"]);
    expect((await engine.client.list()).map((e) => e.id)).toEqual(["p-bad"]);
  });

  it("fails a parent that does not catch it with the InputValidationError, issues kept", async () => {
    const { engine } = newEngine();
    const parent = workflow("parent", async (ctx, _x: null) =>
      ctx.startChild(charge, { amount: "ten" } as never),
    );
    await startWorker(engine, { workflows: [parent, charge] });
    const run = await engine.client.start(parent, null);
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(error).toBeInstanceOf(InputValidationError);
    expect((error as InputValidationError).issues).toEqual([
      { message: "Invalid input: expected number, received string", path: ["amount"] },
    ]);
    expect(error.message).toMatch(/^ctx\.startChild\("charge"\): the input of workflow "charge"/);
  });

  it("refuses an async child schema with InvalidArgumentError saying what to do", async () => {
    const { engine } = newEngine();
    const lookup = workflow("lookup", async (_ctx, s) => s, {
      input: z.string().refine(async () => true),
    });
    const parent = workflow("parent", async (ctx, _x: null) => ctx.child(lookup, "a"));
    await startWorker(engine, { workflows: [parent, lookup] });
    const error = await rejection((await engine.client.start(parent, null)).result({ timeout: "5s" }));
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect(error.message).toBe(
      'ctx.child("lookup"): the input schema of workflow "lookup" is async (it returned a Promise), and ' +
        "workflow code can only validate synchronously, since it waits only on journaled operations. " +
        "Use a schema without async refinements for workflows started as children, or do the async " +
        "check in a ctx.step before the call. See docs/getting-started.md#input-schemas.",
    );
    expect(await engine.client.count()).toBe(1);
  });
});
