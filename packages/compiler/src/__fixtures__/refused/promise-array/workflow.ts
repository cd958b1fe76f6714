import { workflow } from "@stepline/core";

/** Refused: promises pushed into an array, then awaited together: no array literal to read. */
export const promiseArray = workflow("promiseArray", async (ctx, input: { items: string[] }) => {
  const pending: Promise<string>[] = [];
  for (const item of input.items) pending.push(ctx.step(`send-${item}`, () => item));
  await Promise.all(pending);
});
