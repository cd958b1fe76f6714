/**
 * A workflow with query handlers, for `stepline query` tests: it tallies "add" events
 * until told to stop.
 */
import { workflow } from "@stepline/core";

export const tally = workflow("tally", async (ctx, label: string) => {
  const added: number[] = [];
  ctx.onQuery("tally", () => ({ label, count: added.length, total: added.reduce((s, n) => s + n, 0) }));
  ctx.onQuery("added-at-least", (min: number) => added.filter((n) => n >= min));
  ctx.onQuery("broken", () => {
    throw new Error("the handler is broken");
  });
  for (;;) {
    const n = await ctx.waitForEvent<number | null>("add");
    if (n === null) return added;
    added.push(n);
  }
});
