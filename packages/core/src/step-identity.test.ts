import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  assertIdentifier,
  InvalidArgumentError,
  identifierProblem,
  MAX_IDENTIFIER_NAME_BYTES,
  parseStepIdentity,
  reservedSuffixProblem,
  StepIdentities,
  stepIdentity,
  workflow,
} from "./index.js";
import { newEngine, rejection, startWorker } from "./testing/engine-kit.js";

/** Names a user may write: the identifier rule and the reserved suffix rule. */
const allowedName = fc
  .string({
    unit: fc.constantFrom("a", "b", "#", "1", "2", "0", "-", "é", "😀"),
    minLength: 1,
    maxLength: 12,
  })
  .filter(
    (name) =>
      identifierProblem(name, MAX_IDENTIFIER_NAME_BYTES) === undefined && !reservedSuffixProblem(name),
  );

describe("the step-identity rule", () => {
  it("parseStepIdentity inverts stepIdentity for every allowed name, so no two operations share an identity", () => {
    fc.assert(
      fc.property(allowedName, fc.integer({ min: 1, max: 10_000 }), (name, occurrence) => {
        expect(parseStepIdentity(stepIdentity(name, occurrence))).toEqual({ name, occurrence });
      }),
    );
    fc.assert(
      fc.property(fc.array(allowedName, { maxLength: 30 }), (names) => {
        const identities = new StepIdentities();
        const issued = names.map((name) => identities.next(name));
        expect(new Set(issued).size).toBe(issued.length);
      }),
    );
  });

  it("reserves # and digits at the end of a name, and only there", () => {
    for (const name of ["charge#2", "charge#1", "charge#0", "x#123"]) {
      expect(() => assertIdentifier(name, "step name", "ctx.step")).toThrow(InvalidArgumentError);
    }
    for (const name of ["a#b", "#1x", "charge#", "#"]) {
      expect(() => assertIdentifier(name, "step name", "ctx.step")).not.toThrow();
    }
    expect(parseStepIdentity("a#b")).toEqual({ name: "a#b", occurrence: 1 });
    expect(parseStepIdentity("charge#02")).toEqual({ name: "charge#02", occurrence: 1 });
  });

  it('refuses a step named "charge#2" at the call, so it cannot share info.key with the second "charge"', async () => {
    const { engine } = newEngine();
    const keys: string[] = [];
    const twice = workflow("charge-twice", async (ctx) => {
      await ctx.step("charge", (info) => keys.push(info.key));
      await ctx.step("charge", (info) => keys.push(info.key));
      await ctx.step("a#b", (info) => keys.push(info.key));
      keys.push(ctx.key("charge"));
      return keys;
    });
    const sneaky = workflow("charge-sneaky", async (ctx) => {
      await ctx.step("charge", () => 1);
      return ctx.step("charge#2", () => 2);
    });
    const keyed = workflow("charge-keyed", async (ctx) => ctx.key("charge#2"));
    await startWorker(engine, { workflows: [twice, sneaky, keyed] });

    expect(
      await (await engine.client.start(twice, undefined, { id: "e" })).result({ timeout: "5s" }),
    ).toEqual(["e:charge", "e:charge#2", "e:a#b", "e:charge"]);
    const run = await engine.client.start(sneaky, undefined, { id: "s" });
    const error = await rejection(run.result({ timeout: "5s" }));
    expect(InvalidArgumentError.is(error)).toBe(true);
    expect(error.message).toContain(
      'ctx.step: the step name "charge#2" ends in "#2": a "#" followed by digits at the end of a name is reserved',
    );
    expect((await run.history()).filter((e) => e.type === "StepScheduled").map((e) => e.name)).toEqual([
      "charge",
    ]);
    const key = await rejection(
      (await engine.client.start(keyed, undefined, { id: "k" })).result({ timeout: "5s" }),
    );
    expect(key.message).toContain('ctx.key: the idempotency key name "charge#2" ends in "#2"');
  });

  it("applies to every operation kind and to workflow names, which name ctx.child operations", () => {
    expect(() => workflow("charge#2", async () => 1)).toThrow(/the workflow name "charge#2" ends in "#2"/);
  });
});
