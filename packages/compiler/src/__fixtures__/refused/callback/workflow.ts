import { workflow } from "@stepline/core";

/** Refused: forEach calls the callback on its own schedule and does not await it. */
export const callback = workflow("callback", async (ctx, input: { items: string[] }) => {
  input.items.forEach(async (item) => {
    await ctx.step(`pack-${item}`, () => item);
  });
});
