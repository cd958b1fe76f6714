import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

/** ctx.patched("id"): the Choice of its `if`, the edge labelled ctx.patched("sms-instead-of-email"). */
export const notify = workflow("notify", async (ctx, input: FixtureInput) => {
  await ctx.step("prepare", body(input, "prepare"));
  if (ctx.patched("sms-instead-of-email")) {
    await ctx.step("sms", body(input, "sms"));
  } else {
    await ctx.step("email", body(input, "email"));
  }
  ctx.deprecatePatch("old-audit");
  await ctx.step("audit", body(input, "audit"));
});
