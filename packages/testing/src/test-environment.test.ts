import { parseDuration, workflow } from "@stepline/core";
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

describe.each(["memory", "lmdb"] as const)("createTestEnvironment on %s", (store) => {
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

describe("time and running step bodies", () => {
  it("does not move time while a step body runs: a slow body within its 1 s timeout succeeds", async () => {
    const slow = workflow("test-env-slow", async (ctx) => {
      const body = await ctx.step(
        "slow-call",
        () => new Promise<string>((resolve) => setTimeout(() => resolve("done"), 50)),
        { timeout: "1s" },
      );
      await ctx.sleep("after", "1h");
      return body;
    });
    await using env = await createTestEnvironment({ workflows: [slow] });
    const run = await env.client.start(slow, undefined);
    expect(await run.result()).toBe("done");
    expect(env.now()).toBe(env.startedAt + parseDuration("1h"));
  });

  it("keeps time exact while a runner replays a long journal: 60 steps, a nap, a retry held 2 x 100 ms", async () => {
    let tries = 0;
    const long = workflow("test-env-long", async (ctx) => {
      for (let i = 0; i < 60; i++) await ctx.step(`step-${i}`, () => i);
      await ctx.sleep("nap", "1h"); // woken, the runner replays 60 steps' completions first
      await ctx.step(
        "flaky",
        () => {
          if (++tries < 3) throw new Error(`try ${tries}`);
          return tries;
        },
        { retry: { maxAttempts: 3, initialInterval: "100ms", backoffRate: 1 } },
      );
      return ctx.now();
    });
    await using env = await createTestEnvironment({ workflows: [long] });
    const run = await env.client.start(long, undefined);
    expect(await run.result()).toBe(env.startedAt + parseDuration("1h") + 200);
    const retries = (await run.history()).flatMap((e) =>
      e.type === "StepFailed" ? [e.at - env.startedAt] : [],
    );
    expect(retries).toEqual([parseDuration("1h"), parseDuration("1h") + 100]);
  });

  it("moves time to a result() timeout when the execution waits for an event no one sends", async () => {
    await using env = await createTestEnvironment({ workflows: [confirm] });
    const run = await env.client.start(confirm, undefined, { id: "c-1" });
    await expect(run.result({ timeout: "1h" })).rejects.toThrow(
      'Execution "c-1" did not finish in time; it is waiting.',
    );
    expect(env.now()).toBe(env.startedAt + parseDuration("1h"));
  });
});

describe("mockStep", () => {
  it("replaces the body of every step of that name, with the attempt's info and the real body", async () => {
    const twice = workflow("test-env-twice", async (ctx) => {
      const a = await ctx.step("lookup", () => "real-a");
      const b = await ctx.step("lookup", () => "real-b");
      return [a, b];
    });
    await using env = await createTestEnvironment({ workflows: [twice] });
    const seen: string[] = [];
    env.mockStep("lookup", async (info, real) => {
      seen.push(info.key);
      return `mock(${await real()})`;
    });
    const run = await env.client.start(twice, undefined, { id: "twice-1" });
    expect(await run.result()).toEqual(["mock(real-a)", "mock(real-b)"]);
    expect(seen).toEqual(["twice-1:lookup", "twice-1:lookup#2"]);
  });
});
