import { workflow } from "@stepline/core";

/** Refused: a labelled break out of nested loops. */
export const labelledBreak = workflow("labelledBreak", async (ctx, input: { rows: string[][] }) => {
  outer: for (let r = 0; r < input.rows.length; r++) {
    for (let c = 0; c < (input.rows[r]?.length ?? 0); c++) {
      const found = await ctx.step(`look-${r}-${c}`, () => input.rows[r]?.[c] === "x");
      if (found) break outer;
    }
  }
});
