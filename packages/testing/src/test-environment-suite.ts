/**
 * The cases every store must pass under the test environment's virtual clock: long
 * sleeps and timeouts skipped exactly, an event sent at a virtual time, `advance`
 * stopping at every due time, retry backoffs. `@stepline/testing` runs them on the
 * memory store, `@stepline/lmdb` on LMDB; a store of your own can run them too.
 *
 * @example
 * // packages/lmdb/src/test-environment.test.ts
 * import { describeTestEnvironmentSuite } from "@stepline/testing";
 * import { lmdbStore } from "./lmdb-store.js";
 * describeTestEnvironmentSuite("lmdbStore", lmdbStore);
 */
import { parseDuration, type Store, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { createTestEnvironment } from "./test-environment.js";

const DAY = parseDuration("1d");

/** A sign-up: a welcome mail, 30 days of trial, then 2 days to confirm the plan. */
const signUp = workflow("test-env-sign-up", async (ctx, input: { email: string }) => {
  const mail = await ctx.step("send-welcome", () => `real mail to ${input.email}`);
  await ctx.sleep("trial", "30d");
  const plan = await ctx.waitForEvent<string>("plan-chosen", { timeout: "2d" }).catch(() => undefined);
  return { mail, plan: plan ?? "expired", endedAt: ctx.now() };
});

const confirm = workflow("test-env-confirm", async (ctx) => {
  const answer = await ctx.waitForEvent<string>("confirmed", { timeout: "2d" });
  return { answer, at: ctx.now() };
});

let flakyCalls = 0;
const flaky = workflow("test-env-flaky", async (ctx) => {
  return ctx.step(
    "call-partner",
    () => {
      flakyCalls++;
      if (flakyCalls < 4) throw new Error(`partner down (${flakyCalls})`);
      return "ok";
    },
    { retry: { maxAttempts: 5, initialInterval: "1h", backoffRate: 2, maxInterval: "1d" } },
  );
});

/** Registers the suite with vitest: each case on its own environment on `store` (see TestEnvironmentOptions.store). */
export function describeTestEnvironmentSuite(
  name: string,
  store: "memory" | Store | ((directory: string) => Store),
): void {
  describe(`createTestEnvironment on ${name}`, () => {
    it("runs 30 days of sleep and a 2-day timeout in well under a second, ending exactly 32 days later", async () => {
      await using env = await createTestEnvironment({ workflows: [signUp], store });
      env.mockStep("send-welcome", () => "mocked mail");
      const wall = Date.now();
      const run = await env.client.start(signUp, { email: "a@example.com" });
      const output = await run.result();
      expect(Date.now() - wall).toBeLessThan(1_000);
      expect(output).toEqual({ mail: "mocked mail", plan: "expired", endedAt: env.startedAt + 32 * DAY });
      expect(env.now()).toBe(env.startedAt + 32 * DAY);
      const types = (await run.history()).map((e) => e.type);
      expect(types).toContain("EventWaitTimedOut");
    });

    it("delivers an event sent at virtual day 1, and time stands still until moved", async () => {
      await using env = await createTestEnvironment({ workflows: [confirm], store });
      const run = await env.client.start(confirm, undefined);
      await env.advance("1d");
      expect(env.now()).toBe(env.startedAt + DAY);
      await env.sendEvent(run.id, "confirmed", "yes");
      expect(await run.result()).toEqual({ answer: "yes", at: env.startedAt + DAY });
      expect(env.now()).toBe(env.startedAt + DAY);
    });

    it("advance stops at every due time on the way: a 50-hour sleep inside a 120-hour advance ends at hour 50", async () => {
      const fifty = workflow("test-env-fifty", async (ctx) => {
        await ctx.sleep("wait", "50h");
        const wokeAt = await ctx.step("note-time", () => ctx.now());
        await ctx.waitForEvent("never");
        return wokeAt;
      });
      await using env = await createTestEnvironment({ workflows: [fifty], store });
      const run = await env.client.start(fifty, undefined);
      await env.advance("120h");
      expect(env.now()).toBe(env.startedAt + parseDuration("120h"));
      const history = await run.history();
      const fired = history.find((e) => e.type === "TimerFired");
      expect(fired?.at).toBe(env.startedAt + parseDuration("50h"));
      const noted = history.find((e) => e.type === "StepSucceeded");
      expect(noted && "result" in noted && noted.result).toBe(env.startedAt + parseDuration("50h"));
    });

    it("skips through the backoff of a retried step: 1h, 2h, 4h", async () => {
      flakyCalls = 0;
      await using env = await createTestEnvironment({ workflows: [flaky], store });
      const run = await env.client.start(flaky, undefined);
      expect(await run.result()).toBe("ok");
      expect(flakyCalls).toBe(4);
      expect(env.now()).toBe(env.startedAt + parseDuration("7h"));
    });
  });
}
