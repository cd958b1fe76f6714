/**
 * A workflow with an input schema, for `stepline start --module` tests: the schema is
 * a hand-written Standard Schema V1 (what zod, valibot and arktype implement), which
 * accepts `{ email }` with an "@" in it and trims it.
 */
import { workflow } from "@stepline/core";

type Issue = { message: string; path?: readonly PropertyKey[] };

const emailInput = {
  "~standard": {
    version: 1 as const,
    vendor: "stepline-cli-fixture",
    types: undefined as unknown as { input: { email: string }; output: { email: string } },
    validate(value: unknown): { value: { email: string } } | { issues: Issue[] } {
      const email = (value as { email?: unknown } | null)?.email;
      if (typeof email !== "string") return { issues: [{ message: "Expected a string", path: ["email"] }] };
      if (!email.includes("@")) {
        return { issues: [{ message: "Invalid email address:\n  it has no @", path: ["email"] }] };
      }
      return { value: { email: email.trim() } };
    },
  },
};

export const subscribe = workflow("subscribe", async (ctx, input) => ctx.step("confirm", () => input.email), {
  input: emailInput,
});
