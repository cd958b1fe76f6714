/**
 * Stand-ins for the services a sign-up touches: the account store and the mailer.
 * Each call takes a little while, as a real one would. Tests and the journal recorder
 * flip the knobs below (or replace a method) to make a call fail; the `calls` log
 * counts how often each body really ran, so a test can check that an undo ran once.
 */
export interface SignupInput {
  email: string;
  name: string;
  /** How long the user has to click the verification link; the default is two days. */
  verifyWithin?: string;
  /** How long the welcome series waits between its two emails; the default is three days. */
  tipsAfter?: string;
}

export interface Account {
  accountId: string;
  email: string;
}

/** Every service call, in order: `create-account ada@example.com`, ... */
export const calls: string[] = [];

/** Knobs a test flips; `reset()` puts them back. */
export const knobs = {
  /** The verification email's first N sends fail with a provider error. */
  failVerificationSends: 0,
};

export function reset(): void {
  calls.length = 0;
  knobs.failVerificationSends = 0;
}

async function call<T>(what: string, value: T): Promise<T> {
  calls.push(what);
  await new Promise((resolve) => setTimeout(resolve, 20 + Math.floor(Math.random() * 40)));
  return value;
}

export class MailProviderError extends Error {
  override name = "MailProviderError";
}

export const accounts = {
  create: (input: SignupInput) =>
    call(`create-account ${input.email}`, {
      accountId: `acct-${input.email.split("@")[0]}`,
      email: input.email,
    } satisfies Account),
  activate: (account: Account) => call(`activate-account ${account.accountId}`, { active: true }),
  delete: (account: Account) => call(`delete-account ${account.accountId}`, { deleted: true }),
};

export const mailer = {
  sendVerification: async (account: Account, options: { idempotencyKey: string }) => {
    if (knobs.failVerificationSends > 0) {
      knobs.failVerificationSends -= 1;
      calls.push(`send-verification-email ${account.email} (failed)`);
      throw new MailProviderError(`mail provider rejected ${account.email}: 503 service unavailable`);
    }
    return call(`send-verification-email ${account.email}`, { messageId: `msg-${options.idempotencyKey}` });
  },
  sendWelcome: (email: string) => call(`send-welcome-email ${email}`, { sent: true }),
  sendTips: (email: string) => call(`send-tips-email ${email}`, { sent: true }),
};
