/**
 * The sign-up demo, on the embedded store (LMDB in examples/user-signup/.stepline,
 * gitignored; started afresh each time). It runs one sign-up down each path and tells
 * what happened: which steps ran, whether the account was deleted, how it ended, and
 * the welcome series that goes on after a verified sign-up has ended.
 *
 * Run it from the top of the repository: `pnpm --filter @stepline/example-user-signup run demo`.
 */
import { rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type ExecutionHandle, type JournalEvent } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { calls, knobs, type SignupInput } from "./services.js";
import { untilJournaled } from "./until-journaled.js";
import { userSignup, welcomeSeries } from "./workflow.js";

const storePath = join(dirname(fileURLToPath(import.meta.url)), "..", ".stepline");
rmSync(storePath, { recursive: true, force: true });

const engine = createEngine({ store: lmdbStore(storePath), pollInterval: 20, log: () => {} });
const worker = engine.worker({ workflows: [userSignup, welcomeSeries] });
await worker.start();
const { client } = engine;
const say = (text: string) => console.log(text);
const started = Date.now();

const signup = (name: string, verifyWithin: string): SignupInput => ({
  email: `${name}@example.com`,
  name,
  verifyWithin,
  tipsAfter: "1s",
});

/** Step names in the order they ran, with a retry count: `send-verification-email (3 attempts)`. */
function steps(history: JournalEvent[]): string {
  const attempts = new Map<string, number>();
  for (const event of history) {
    if (event.type === "StepScheduled") attempts.set(event.name, event.attempt);
  }
  return [...attempts].map(([name, n]) => (n > 1 ? `${name} (${n} attempts)` : name)).join(" → ");
}

async function tell(title: string, run: ExecutionHandle<unknown>) {
  const outcome = await run.result({ timeout: "20s" }).then(
    (value) => `returned ${JSON.stringify(value)}`,
    (error: Error) => `threw ${error.name}: ${error.message}`,
  );
  const { status } = await run.describe();
  say(`\n${title}`);
  say(`  steps:  ${steps(await run.history())}`);
  say(`  status: ${status}, ${outcome}`);
}

say(`Stepline sign-up demo on LMDB (${storePath.split("/").slice(-3).join("/")})`);

// 1. Ada clicks the link: the account is activated and the welcome series starts.
const ada = await client.start(userSignup, signup("ada", "1h"), { id: "ada" });
await untilJournaled(client, ada.id, "EventWaitStarted");
await client.sendEvent(ada.id, "verified", { at: new Date().toISOString() });
await tell('ada: "verified" arrives while the sign-up waits', ada);
const series = client.handle("ada/welcomeSeries");
say(`  the sign-up has ended; ada/welcomeSeries is ${(await series.describe()).status} (tips email in 1 s)`);

// 2. Bob never clicks: the 300 ms window closes and the account is deleted.
await tell(
  "bob: the verification window (300ms) closes",
  await client.start(userSignup, signup("bob", "300ms"), { id: "bob" }),
);

// 3. Cy withdraws while the link is pending.
const cy = await client.start(userSignup, signup("cy", "1h"), { id: "cy" });
await untilJournaled(client, cy.id, "EventWaitStarted");
await client.cancel(cy.id, { reason: "user withdrew" });
await tell('cy: client.cancel(id, { reason: "user withdrew" }) while waiting', cy);

// 4. The mail provider is down for Dee: three attempts fail, the account is deleted.
knobs.failVerificationSends = 3;
await tell(
  "dee: the mail provider rejects every attempt",
  await client.start(userSignup, signup("dee", "1h"), { id: "dee" }),
);

await series.result({ timeout: "20s" });
say(`\nada/welcomeSeries: ${steps(await series.history())}, ${(await series.describe()).status}`);

// The services' call log says how often each undo body really ran.
const deleted = calls.filter((call) => call.startsWith("delete-account")).map((call) => call.split(" ")[1]);
say(`\ndelete-account ran for: ${deleted.join(", ")}`);
const expected = ["acct-bob", "acct-cy", "acct-dee"];
if (deleted.join() !== expected.join()) {
  console.error(`demo failed: expected delete-account once for each of ${expected.join(", ")}`);
  process.exitCode = 1;
}
say(`done in ${Date.now() - started} ms`);

await worker.stop();
await engine.close();
