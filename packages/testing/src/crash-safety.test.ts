import { workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { CrashSafetyError } from "./crash-safety.js";
import { createTestEnvironment } from "./test-environment.js";

const charges: string[] = [];
const reserves: number[] = [];

const order = workflow("crash-safety-order", async (ctx, input: { total: number }) => {
  const hold = await ctx.step("reserve", (info) => {
    reserves.push(info.attempt);
    return `hold-${input.total}`;
  });
  const [label, mail] = await Promise.all([ctx.step("label", () => "L-1"), ctx.step("email", () => "sent")]);
  await ctx.sleep("cool-off", "30d");
  const approved = await ctx.waitForEvent<boolean>("approval", { timeout: "2d" });
  const charge = await ctx.step("charge", (info) => {
    charges.push(info.key);
    return `ch-${input.total}`;
  });
  return { hold, label, mail, approved, charge, at: ctx.now(), id: ctx.ulid() };
});

describe("verifyCrashSafety", () => {
  it("crashes a correct workflow at every journal position and in every step, and each run ends the same", async () => {
    await using env = await createTestEnvironment({ workflows: [order] });
    reserves.length = 0;
    const wall = Date.now();
    const report = await env.verifyCrashSafety(
      order,
      { total: 1200 },
      { events: [{ name: "approval", payload: true }] },
    );
    expect(Date.now() - wall).toBeLessThan(5_000);
    expect(report.output).toMatchObject({ hold: "hold-1200", approved: true, charge: "ch-1200" });
    expect(report.positions).toBe(report.journal.length - 1);
    expect(report.positions).toBe(13);
    expect(report.crashes.filter((c) => c.kind === "lost-lease").map((c) => c.after)).toEqual([
      "reserve",
      "label",
      "email",
      "charge",
    ]);
    expect(report.crashes[0]).toEqual({ kind: "crash", at: 1, after: "ExecutionStarted" });
    // The crash-free run; the crashes before its result was journaled (after ExecutionStarted: attempt 1;
    // after its StepScheduled: attempt 2, the interrupted one run again); its lost lease (attempts 1 and 2);
    // the lost leases of the three other steps.
    expect(reserves).toEqual([1, 1, 2, 1, 2, 1, 1, 1]);
  });

  it("uses the environment's step mocks in every run", async () => {
    await using env = await createTestEnvironment({ workflows: [order] });
    charges.length = 0;
    env.mockStep("charge", () => "mocked-charge");
    const report = await env.verifyCrashSafety(
      order,
      { total: 5 },
      { events: [{ name: "approval", payload: false }] },
    );
    expect(report.output).toMatchObject({ approved: false, charge: "mocked-charge" });
    expect(charges).toEqual([]);
  });

  /** A workflow that branches on `pick()` outside a step: Math.random() in real code. */
  const branching = (name: string, pick: () => number) =>
    workflow(name, async (ctx) => {
      const first = await ctx.step("first", () => 1);
      if (pick() > 0.5) await ctx.step("premium", () => "gold");
      else await ctx.step("basic", () => "tin");
      return first;
    });

  it("catches a branch on Math.random() outside a step: the resumed run takes another path", async () => {
    let coin = 0;
    const flaky = branching("crash-safety-random", () => (coin++ % 2 === 0 ? 0.9 : 0.1));
    await using env = await createTestEnvironment({ workflows: [flaky] });
    const error = await env.verifyCrashSafety(flaky, undefined).catch((e: unknown) => e);
    expect(CrashSafetyError.is(error)).toBe(true);
    const crash = error as CrashSafetyError;
    expect(crash.code).toBe("STEPLINE_CRASH_UNSAFE");
    expect(crash.crash).toEqual({ kind: "crash", at: 1, after: "ExecutionStarted" });
    expect(crash.message).toContain(
      'After a crash with 1 journal event(s) durable (the last: ExecutionStarted), the journal differs at event 3: crash-free it has {"type":"StepScheduled","op":1,"name":"premium"}, resumed it has {"type":"StepScheduled","op":1,"name":"basic"}.',
    );
    expect(crash.message).toContain("instead of Date.now(), Math.random()");
  });

  it("catches a branch that changes under replay of a journaled step: a NonDeterminismError", async () => {
    let calls = 0;
    // The same value for the crash-free run and the first three crashes, then another one.
    const flaky = branching("crash-safety-replay-branch", () => (++calls >= 5 ? 0.1 : 0.9));
    await using env = await createTestEnvironment({ workflows: [flaky] });
    const crash = (await env
      .verifyCrashSafety(flaky, undefined)
      .catch((e: unknown) => e)) as CrashSafetyError;
    expect(crash).toBeInstanceOf(CrashSafetyError);
    expect(crash.crash).toEqual({ kind: "crash", at: 4, after: "StepScheduled" });
    expect(crash.message).toMatch(
      /^After a crash with 4 journal event\(s\) durable \(the last: StepScheduled\), the run ended differently: crash-free it returned 1, resumed it failed with ExecutionBlockedError: .*no longer matches its journal at op 1: the journal has step "premium", the code asked for step "basic"/,
    );
    expect(crash.actual).toMatch(/^ExecutionBlockedError: /);
    expect(crash.message.match(/docs\/determinism.md/g)?.length).toBe(2);
  });

  it("catches state changed outside a step: the resumed run returns something else", async () => {
    const seen: string[] = [];
    const leaky = workflow("crash-safety-leaky", async (ctx) => {
      seen.push("visit"); // a side effect outside a step: it runs again on every replay
      await ctx.step("work", () => "done");
      return seen.length;
    });
    await using env = await createTestEnvironment({ workflows: [leaky] });
    const error = (await env
      .verifyCrashSafety(leaky, undefined)
      .catch((e: unknown) => e)) as CrashSafetyError;
    expect(error).toBeInstanceOf(CrashSafetyError);
    expect(error.message).toMatch(
      /^After a crash with 1 journal event\(s\) durable \(the last: ExecutionStarted\), the run ended differently: crash-free it returned 1, resumed it returned \d+\./,
    );
    expect(error.expected).toBe(1);
  });
});
