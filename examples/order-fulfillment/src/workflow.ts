import { workflow } from "@stepline/core";
import { inventory, notify, type Order, payments, ship } from "./services.js";

/** The order-fulfillment workflow of DESIGN.md section 1. */
export const fulfillOrder = workflow("fulfillOrder", async (ctx, order: Order) => {
  const hold = await ctx.step("reserve", () => inventory.reserve(order), {
    retry: { maxAttempts: 5, initialInterval: "1s", backoffRate: 2 },
  });
  try {
    await ctx.step("charge", () => payments.charge(order, { idempotencyKey: ctx.key("charge") }));
  } catch (err) {
    await ctx.step("release", () => inventory.release(hold));
    throw err;
  }
  if (order.total > 1000) {
    const ok = await ctx.waitForEvent<boolean>("approval", { timeout: "2d" });
    if (!ok) return { status: "rejected" as const };
  }
  await ctx.sleep("cool-off", order.coolOff ?? "1h");
  await Promise.all([ctx.step("label", () => ship(order)), ctx.step("email", () => notify(order))]);
  return { status: "shipped" as const };
});
