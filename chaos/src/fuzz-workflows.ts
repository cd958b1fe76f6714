import { type Duration, TimeoutError, workflow } from "@stepline/core";
import { type ThrownKind, thrownValue } from "./hostile-values.js";

/** Workflows the API fuzz drives with hostile input; each ends quickly when its input is fine. */

export const echo = workflow("fuzz-echo", async (ctx, input: unknown) => {
  await ctx.step("touch", () => 1);
  return input;
});

export const named = workflow(
  "fuzz-named",
  async (ctx, input: { kind: "step" | "sleep" | "wait" | "key"; name: string }) => {
    if (input.kind === "step") return ctx.step(input.name, () => 1);
    if (input.kind === "sleep") return ctx.sleep(input.name, 1);
    if (input.kind === "key") return ctx.key(input.name);
    try {
      return await ctx.waitForEvent(input.name, { timeout: 1 });
    } catch (error) {
      if (TimeoutError.is(error)) return "timed out";
      throw error;
    }
  },
);

export const thrower = workflow(
  "fuzz-thrower",
  async (ctx, input: { kind: ThrownKind; where: "step" | "workflow" }) => {
    if (input.where === "workflow") throw thrownValue(input.kind);
    return ctx.step(
      "throws",
      () => {
        throw thrownValue(input.kind);
      },
      { retry: { maxAttempts: 1 } },
    );
  },
);

export const durations = workflow(
  "fuzz-durations",
  async (
    ctx,
    input: { d: number | string; where: "sleep" | "sleepUntil" | "timeout" | "retry" | "wait" },
  ) => {
    const d = input.d as Duration;
    if (input.where === "sleep") return ctx.sleep("s", d);
    if (input.where === "sleepUntil") return ctx.sleepUntil("u", input.d as number);
    if (input.where === "timeout") return ctx.step("t", () => 1, { timeout: d });
    if (input.where === "retry")
      return ctx.step(
        "r",
        (info) => {
          if (info.attempt === 1) throw new Error("once");
          return 1;
        },
        { retry: { initialInterval: d, maxAttempts: 2 } },
      );
    try {
      return await ctx.waitForEvent("e", { timeout: d });
    } catch (error) {
      if (TimeoutError.is(error)) return "timed out";
      throw error;
    }
  },
);

export const waiter = workflow("fuzz-waiter", async (ctx, _input: null) => ctx.waitForEvent("go"));

export const canary = workflow("fuzz-canary", async (ctx, input: { n: number }) => {
  const a = await ctx.step("a", () => input.n + 1);
  return ctx.step("b", () => a * 2);
});

export const FUZZ_WORKFLOWS = [echo, named, thrower, durations, waiter, canary];
