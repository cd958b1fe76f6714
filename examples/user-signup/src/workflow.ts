import { workflow } from "@stepline/core";
import { type Account, accounts, mailer, type SignupInput } from "./services.js";

export type SignupResult =
  | { status: "active"; accountId: string; welcomeSeries: string }
  | { status: "expired"; email: string };

/** The verification window closed before the "verified" event came. */
export class VerificationExpiredError extends Error {
  override name = "VerificationExpiredError";
  constructor(email: string) {
    super(`${email} did not verify in time`);
  }
  /** By name, not instanceof: it works across copies of this module. */
  static is(error: unknown): error is VerificationExpiredError {
    return error instanceof Error && error.name === "VerificationExpiredError";
  }
}

/**
 * User registration: create the account, email a verification link, and wait for the
 * "verified" event. If the link is not clicked in time, the user withdraws
 * (`client.cancel`), or the verification email cannot be sent, the account is deleted
 * by the compensation registered right after it was created.
 */
export const userSignup = workflow("userSignup", async (ctx, input: SignupInput): Promise<SignupResult> => {
  const saga = ctx.compensations();
  let account: Account;
  try {
    const created = await ctx.step("create-account", () => accounts.create(input));
    account = created;
    saga.add("delete-account", () => accounts.delete(created), {
      retry: { maxAttempts: 5, initialInterval: "1s", backoffRate: 2 },
    });
    await ctx.step(
      "send-verification-email",
      () => mailer.sendVerification(created, { idempotencyKey: ctx.key("verification") }),
      { retry: { maxAttempts: 3, initialInterval: "100ms", backoffRate: 2 } },
    );
    // The sleep wins the race when the link is not clicked in time: it resolves undefined.
    const verified = await Promise.race([
      ctx.waitForEvent<{ at: string }>("verified"),
      ctx.sleep("verify-window", input.verifyWithin ?? "2d"),
    ]);
    if (!verified) throw new VerificationExpiredError(input.email);
  } catch (error) {
    // An expired link, a cancellation and a failed email all undo the account.
    await saga.run();
    if (VerificationExpiredError.is(error)) return { status: "expired", email: input.email };
    throw error;
  }
  await ctx.step("activate-account", () => accounts.activate(account));
  const series = await ctx.startChild(
    welcomeSeries,
    { email: input.email, name: input.name, tipsAfter: input.tipsAfter },
    { parentClosePolicy: "abandon" },
  );
  return { status: "active", accountId: account.accountId, welcomeSeries: series.id };
});

/**
 * The onboarding emails after a verified sign-up: a welcome now, tips a few days later.
 * Started by userSignup as an abandoned child, so it runs on after the sign-up ends.
 */
export const welcomeSeries = workflow(
  "welcomeSeries",
  async (ctx, input: { email: string; name: string; tipsAfter?: string }) => {
    await ctx.step("send-welcome-email", () => mailer.sendWelcome(input.email), {
      retry: { maxAttempts: 5, initialInterval: "1s", backoffRate: 2 },
    });
    await ctx.sleep("tips-delay", input.tipsAfter ?? "3d");
    await ctx.step("send-tips-email", () => mailer.sendTips(input.email), {
      retry: { maxAttempts: 5, initialInterval: "1s", backoffRate: 2 },
    });
    return { emailsSent: 2 };
  },
);
