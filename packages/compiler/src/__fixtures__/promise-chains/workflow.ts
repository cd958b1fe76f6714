import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["quote-a", "quote-b", "audit", "fallback", "record", "notify"],
  events: ["approved"],
};

/**
 * `.then(...)` and `.catch(...)` on operations: inside Promise.race (an approval or a
 * timeout, each mapped to a word), inside Promise.all (a step whose failure becomes
 * null, a step followed by another in its callback), and awaited on their own.
 */
export const promiseChains = workflow("promiseChains", async (ctx, input: FixtureInput) => {
  const outcome = await Promise.race([
    ctx.waitForEvent("approved").then(() => "approved"),
    ctx.sleep("approval-window", "1h").then(() => "timeout"),
  ]);
  const [a] = await Promise.all([
    ctx.step("quote-a", body(input, "quote-a")).catch(() => null),
    ctx
      .step("quote-b", body(input, "quote-b"))
      .then((quote) => ctx.step("audit", body(input, `audit`)).then(() => quote)),
  ]);
  await ctx.step("record", body(input, "record")).then(
    () => ctx.step("notify", body(input, "notify")),
    async () => {
      await ctx.step("fallback", body(input, "fallback"));
    },
  );
  return `${outcome} ${a}`;
});
