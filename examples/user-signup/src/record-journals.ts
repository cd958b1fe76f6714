/**
 * Records the golden journals in journals/: one real run of each path through
 * userSignup, and the journal of the welcome series the verified sign-up started, on
 * the memory store. packages/compiler/src/examples.test.ts replays them against the
 * current code and checks each against the compiled diagram, so a change that would
 * break replay of running executions fails the build. Re-record only for a
 * deliberate, versioned change:
 * `pnpm --filter @stepline/example-user-signup run record-journals`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, memoryStore } from "@stepline/core";
import { knobs, type SignupInput } from "./services.js";
import { untilJournaled } from "./until-journaled.js";
import { userSignup, welcomeSeries } from "./workflow.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "journals");
const engine = createEngine({ store: memoryStore(), pollInterval: 20, log: () => {} });
const worker = engine.worker({ workflows: [userSignup, welcomeSeries] });
await worker.start();
const { client } = engine;

async function save(file: string, id: string) {
  const history = await client.history(id);
  // Stack traces name files on the recording machine; they play no part in replay.
  const text = JSON.stringify(history, (key, value) => (key === "stack" ? undefined : value), 2);
  writeFileSync(join(out, `${file}.json`), `${text}\n`);
  console.log(`journals/${file}.json: ${history.length} events, ends with ${history.at(-1)?.type}`);
}

const input = (name: string, verifyWithin: string): SignupInput => ({
  email: `${name}@example.com`,
  name,
  verifyWithin,
  tipsAfter: "100ms",
});

// verified: the link is clicked while the workflow waits; the welcome series runs on.
const verified = await client.start(userSignup, input("verified", "1h"), { id: "verified" });
await untilJournaled(client, verified.id, "EventWaitStarted");
await client.sendEvent(verified.id, "verified", { at: "2026-12-02T09:00:00.000Z" });
await verified.result();
await save("verified", verified.id);
await client.result("verified/welcomeSeries", { timeout: "10s" });
await save("welcome-series", "verified/welcomeSeries");

// expired: nobody clicks the link within verifyWithin.
const expired = await client.start(userSignup, input("expired", "200ms"), { id: "expired" });
await expired.result();
await save("expired", expired.id);

// cancelled: the user withdraws while the link is pending; the account is deleted.
const cancelled = await client.start(userSignup, input("cancelled", "1h"), { id: "cancelled" });
await untilJournaled(client, cancelled.id, "EventWaitStarted");
await client.cancel(cancelled.id, { reason: "user withdrew" });
await cancelled.result().catch(() => {});
await save("cancelled", cancelled.id);

// email-failed: the mail provider rejects every attempt of the verification email.
knobs.failVerificationSends = 3;
const failed = await client.start(userSignup, input("email-failed", "1h"), { id: "email-failed" });
await failed.result().catch(() => {});
await save("email-failed", failed.id);

await worker.stop();
process.exit(0);
