import { workflow } from "@stepline/core";

/** Refused: "#" and digits end the name, a suffix reserved for the occurrences of a repeated name. */
export const reservedName = workflow("reservedName", async (ctx) => {
  await ctx.step("charge", () => 1);
  await ctx.step("charge#2", () => 2);
});
