import { workflow } from "@stepline/core";
import { body, type FixtureInput } from "../fixture-kit.js";

/** A child workflow in a module of its own: its state is named after "send-welcome", not the variable. */
export const sendWelcome = workflow("send-welcome", async (ctx, input: FixtureInput) => {
  return ctx.step("mail", body(input, "mail"));
});
