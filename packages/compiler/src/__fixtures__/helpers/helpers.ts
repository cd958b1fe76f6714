import type { WorkflowContext } from "@stepline/core";
import { body, type FixtureInput } from "../fixture-kit.js";

/** A helper in another file of the package: inlined through the import. */
export async function notifyAll(c: WorkflowContext, input: FixtureInput): Promise<void> {
  await c.step("email", body(input, "email"));
  if (input.flags?.includes("sms")) await c.step("sms", body(input, "sms"));
}
