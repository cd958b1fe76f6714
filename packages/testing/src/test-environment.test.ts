import { parseDuration, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { createTestEnvironment } from "./test-environment.js";

import { describeTestEnvironmentSuite } from "./test-environment-suite.js";

const confirm = workflow("test-env-confirm", async (ctx) => {
  const answer = await ctx.waitForEvent<string>("confirmed", { timeout: "2d" });
  return { answer, at: ctx.now() };
});

describeTestEnvironmentSuite("memory", "memory");

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
