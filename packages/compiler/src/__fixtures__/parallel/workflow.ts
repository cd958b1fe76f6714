import { workflow } from "@stepline/core";
import { body, type FixtureInput, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = {
  steps: ["label", "email", "sms", "push", "mirror-1", "mirror-2", "archive"],
};

/** Promise.all, allSettled and race over operations: Parallel states, one branch per element. */
export const parallel = workflow("parallel", async (ctx, input: FixtureInput) => {
  await Promise.all([
    ctx.step("label", body(input, "label")),
    (async () => {
      await ctx.step("email", body(input, "email"));
      await ctx.step("sms", body(input, "sms"));
    })(),
  ]);
  await Promise.allSettled([ctx.step("push", body(input, "push")), ctx.sleep("grace", "5m")]);
  const fastest = await Promise.race([
    ctx.step("mirror-1", body(input, "mirror-1")),
    ctx.step("mirror-2", body(input, "mirror-2")),
  ]);
  await ctx.step("archive", body(input, fastest));
});
