import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

export const sendReport = workflow("sendReport", async (ctx, input: FixtureInput) => {
  return ctx.step("send", body(input, "send"));
});

export const audit = workflow("audit", async (ctx, input: FixtureInput) => {
  await ctx.step("record", body(input, "record"));
});

/** ctx.startChild: a start that does not wait; handle.result() waits later; a child never awaited is abandoned. */
export const monthEnd = workflow("monthEnd", async (ctx, input: FixtureInput) => {
  const report = await ctx.startChild(sendReport, input, { id: "report-1" });
  await ctx.startChild(audit, input, { parentClosePolicy: "abandon" });
  await ctx.step("close-books", body(input, "close-books"));
  try {
    await report.result();
  } catch {
    await ctx.step("alert", body(input, "alert"));
  }
});
