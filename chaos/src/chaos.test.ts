import { describe, expect, it } from "vitest";
import { chaosSize } from "./chaos-size.js";
import { CHECKS } from "./checker.js";
import { runChaos } from "./run-chaos.js";

// The CI size (40 executions, 3 worker processes, 6 faults); STEPLINE_CHAOS=full runs
// 1,000 executions (pnpm --filter @stepline/chaos run chaos). The seed is printed: set
// STEPLINE_CHAOS_SEED to play a run again.
describe.each(["lmdb", "redis"] as const)("chaos on %s", (store) => {
  it("ends every execution as expected under SIGKILL and SIGSTOP, with no violation of any check", async () => {
    const { report } = await runChaos({ store, ...chaosSize({ ...process.env, STEPLINE_CHAOS: undefined }) });
    const violations = Object.fromEntries(CHECKS.map((name) => [name, report.violations[name].slice(0, 5)]));
    expect(violations).toEqual(Object.fromEntries(CHECKS.map((name) => [name, []])));
    expect(report.figures.kills).toBeGreaterThan(0);
    expect(report.figures.stops).toBeGreaterThan(0);
    expect(report.figures.unexplained).toBe(0);
    expect(report.figures.bodyRuns).toBeGreaterThanOrEqual(report.figures.executions * 10);
  }, 90_000);
});
