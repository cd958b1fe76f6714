import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CancelledError,
  createEngine,
  type Engine,
  type JournalEvent,
  StepFailedError,
  type Worker,
} from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { calls, knobs, reset, type SignupInput } from "./services.js";
import { untilJournaled } from "./until-journaled.js";
import { userSignup, welcomeSeries } from "./workflow.js";

let dir: string;
let engine: Engine;
let worker: Worker;

beforeEach(async () => {
  reset();
  dir = mkdtempSync(join(tmpdir(), "stepline-signup-"));
  engine = createEngine({ store: lmdbStore(dir), pollInterval: 20, log: () => {} });
  worker = engine.worker({ workflows: [userSignup, welcomeSeries], concurrency: 10, leaseMs: 2_000 });
  await worker.start();
});

afterEach(async () => {
  await worker.stop();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const signup = (name: string, verifyWithin: string): SignupInput => ({
  email: `${name}@example.com`,
  name,
  verifyWithin,
  tipsAfter: "1500ms",
});

const stepNames = (history: JournalEvent[]) =>
  history.flatMap((e) => (e.type === "StepScheduled" ? [`${e.name}#${e.attempt}`] : []));
const deletions = (name: string) => calls.filter((call) => call === `delete-account acct-${name}`).length;

describe("userSignup on the embedded store", () => {
  it("activates a verified account and leaves the welcome series running after the sign-up ends", async () => {
    const run = await engine.client.start(userSignup, signup("ada", "30s"), { id: "ada" });
    await untilJournaled(engine.client, run.id, "EventWaitStarted");
    await engine.client.sendEvent(run.id, "verified", { at: "2026-12-02T09:00:00.000Z" });

    expect(await run.result({ timeout: "20s" })).toEqual({
      status: "active",
      accountId: "acct-ada",
      welcomeSeries: "ada/welcomeSeries",
    });
    const history = await run.history();
    expect(stepNames(history)).toEqual([
      "create-account#1",
      "send-verification-email#1",
      "activate-account#1",
    ]);
    expect(history.filter((e) => e.type === "ChildStarted")).toEqual([
      expect.objectContaining({ childId: "ada/welcomeSeries", detached: true, parentClosePolicy: "abandon" }),
    ]);
    // The sign-up did not wait for the series: the tips email is still 1.5 s away.
    const series = engine.client.handle("ada/welcomeSeries");
    expect((await series.describe()).status).not.toBe("succeeded");
    expect(calls).not.toContain("send-tips-email ada@example.com");

    expect(await series.result({ timeout: "20s" })).toEqual({ emailsSent: 2 });
    const seriesHistory = await series.history();
    expect(seriesHistory[0]).toMatchObject({ type: "ExecutionStarted", parent: "ada", parentOp: 5 });
    expect(stepNames(seriesHistory)).toEqual(["send-welcome-email#1", "send-tips-email#1"]);
    expect(seriesHistory.filter((e) => e.type === "TimerFired")).toHaveLength(1);
    // An abandoned child's end is not journaled in its parent.
    expect((await run.history()).some((e) => e.type === "ChildSucceeded")).toBe(false);
    expect(deletions("ada")).toBe(0);
  }, 40_000);

  it("deletes the account and returns expired when the link is not clicked in time", async () => {
    const run = await engine.client.start(userSignup, signup("bob", "300ms"), { id: "bob" });
    expect(await run.result({ timeout: "20s" })).toEqual({ status: "expired", email: "bob@example.com" });
    const history = await run.history();
    expect(stepNames(history)).toEqual(["create-account#1", "send-verification-email#1", "delete-account#1"]);
    expect(history.filter((e) => e.type === "TimerFired")).toHaveLength(1);
    expect(history.some((e) => e.type === "EventReceived" || e.type === "ChildStarted")).toBe(false);
    expect(deletions("bob")).toBe(1);
    expect((await run.describe()).status).toBe("succeeded");
  }, 30_000);

  it("deletes the account and ends cancelled when the user withdraws while the link is pending", async () => {
    const run = await engine.client.start(userSignup, signup("cy", "30s"), { id: "cy" });
    await untilJournaled(engine.client, run.id, "EventWaitStarted");
    await engine.client.cancel(run.id, { reason: "user withdrew" });

    const error = await run.result({ timeout: "20s" }).catch((e: unknown) => e);
    expect(CancelledError.is(error)).toBe(true);
    expect((error as CancelledError).reason).toBe("user withdrew");
    const description = await run.describe();
    expect(description.status).toBe("cancelled");
    expect((description.error as CancelledError).reason).toBe("user withdrew");

    const history = await run.history();
    expect(stepNames(history)).toEqual(["create-account#1", "send-verification-email#1", "delete-account#1"]);
    // The cancel came while waiting; the undo step ran after it, then the execution ended.
    const types = history.map((e) => e.type);
    expect(types.slice(types.indexOf("CancelRequested"))).toEqual([
      "CancelRequested",
      "StepScheduled",
      "StepSucceeded",
      "ExecutionCancelled",
    ]);
    expect(history.at(-1)).toMatchObject({ type: "ExecutionCancelled", reason: "user withdrew" });
    expect(deletions("cy")).toBe(1);
  }, 30_000);

  it("deletes the account and fails when the verification email fails after its retries", async () => {
    knobs.failVerificationSends = 3;
    const run = await engine.client.start(userSignup, signup("dee", "30s"), { id: "dee" });
    const error = await run.result({ timeout: "20s" }).catch((e: unknown) => e);
    expect(StepFailedError.is(error)).toBe(true);
    expect((error as Error).message).toBe(
      'Step "send-verification-email" failed after 3 attempts: ' +
        "MailProviderError: mail provider rejected dee@example.com: 503 service unavailable",
    );
    const history = await run.history();
    expect(stepNames(history)).toEqual([
      "create-account#1",
      "send-verification-email#1",
      "send-verification-email#2",
      "send-verification-email#3",
      "delete-account#1",
    ]);
    expect(history.some((e) => e.type === "EventWaitStarted")).toBe(false);
    expect(deletions("dee")).toBe(1);
    expect((await run.describe()).status).toBe("failed");
  }, 30_000);
});
