import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";
import { PATIENT, STEP_TIMEOUT } from "./policies.js";

export const vocabulary: Vocabulary = { steps: ["reserve", "charge", "ship", "notify", "audit"] };

const RETRY = { maxAttempts: 5, initialInterval: "1s", backoffRate: 2, jitter: "none" as const };
const FAST = { ...RETRY, maxAttempts: 2 };
const HEARTBEAT = "30s";

/**
 * Retry policies and timeouts taken from constants: of this module, spread and
 * overridden, in an options object declared first, and imported from another module.
 * Each is drawn as written, not as the default policy (issue 12).
 */
export const fulfil = workflow("fulfil", async (ctx, input: FixtureInput) => {
  await ctx.step("reserve", body(input, "reserve"), { retry: RETRY });
  await ctx.step("charge", body(input, "charge"), { retry: { ...RETRY, maxAttempts: 3 } });
  const opts = { retry: FAST, timeout: "2m", heartbeatTimeout: HEARTBEAT };
  await ctx.step("ship", body(input, "ship"), opts);
  await ctx.step("notify", body(input, "notify"), { retry: PATIENT, timeout: STEP_TIMEOUT });
  await ctx.step("audit", body(input, "audit"), { retry: { ...PATIENT, nonRetryable: ["AuditClosed"] } });
});
