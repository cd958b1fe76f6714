import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../../fixture-kit.js";

/**
 * ctx.onUpdate: each handler's body is a machine of its own ("update: addItem"),
 * drawn beside the main flow; the registration and ctx.allUpdatesFinished() are no state.
 */
export const cart = workflow("cart", async (ctx, input: FixtureInput) => {
  let items = 0;
  ctx.onUpdate(
    "addItem",
    async (sku: string) => {
      await ctx.step("reserve", body(input, `reserve-${sku}`), { retry: { maxAttempts: 1 } });
      items += 1;
      return items;
    },
    {
      validate: (sku) => {
        if (typeof sku !== "string") throw new TypeError("sku must be a string");
      },
    },
  );
  await ctx.step("open", body(input, "open"));
  await ctx.waitForEvent("checkout");
  await ctx.allUpdatesFinished();
  await ctx.step("charge", body(input, "charge"));
  return items;
});
