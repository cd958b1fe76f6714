import { fileURLToPath } from "node:url";
import { parseDuration } from "@stepline/core";
import { createTestEnvironment, replayJournals } from "@stepline/testing";
import { describe, expect, it } from "vitest";
import { userSignup, welcomeSeries } from "./workflow.js";

/**
 * The sign-up as a user of @stepline/testing tests it: two days of waiting for the
 * verification link in milliseconds, every crash position checked, and the recorded
 * journals replayed against today's code.
 */
describe("userSignup with @stepline/testing", () => {
  it("expires after the 2-day verification window, in virtual time, and deletes the account", async () => {
    await using env = await createTestEnvironment({ workflows: [userSignup, welcomeSeries] });
    const deleted: string[] = [];
    env.mockStep("create-account", () => ({ accountId: "acct-ada", email: "ada@example.com" }));
    env.mockStep("send-verification-email", () => ({ messageId: "msg-1" }));
    env.mockStep("delete-account", (info) => {
      deleted.push(info.executionId);
      return { deleted: true };
    });
    const wall = Date.now();
    const run = await env.client.start(userSignup, { email: "ada@example.com", name: "ada" }, { id: "ada" });
    expect(await run.result()).toEqual({ status: "expired", email: "ada@example.com" });
    expect(Date.now() - wall).toBeLessThan(1_000);
    expect(env.now() - env.startedAt).toBe(parseDuration("2d"));
    expect(deleted).toEqual(["ada"]);
  });

  it("activates an account verified on day 1", async () => {
    await using env = await createTestEnvironment({ workflows: [userSignup, welcomeSeries] });
    env.mockStep("create-account", () => ({ accountId: "acct-bo", email: "bo@example.com" }));
    env.mockStep("send-verification-email", () => ({ messageId: "msg-2" }));
    env.mockStep("activate-account", () => ({ active: true }));
    env.mockStep("send-welcome-email", () => ({ sent: true }));
    const run = await env.client.start(userSignup, { email: "bo@example.com", name: "bo" }, { id: "bo" });
    await env.advance("1d");
    await env.sendEvent(run.id, "verified", { at: new Date(env.now()).toISOString() });
    expect(await run.result()).toEqual({
      status: "active",
      accountId: "acct-bo",
      welcomeSeries: "bo/welcomeSeries",
    });
    expect(env.now() - env.startedAt).toBe(parseDuration("1d"));
  });

  it("is crash-safe: a crash at every journal position and a lost lease in every step end the same", async () => {
    await using env = await createTestEnvironment({ workflows: [userSignup, welcomeSeries] });
    env.mockStep("create-account", () => ({ accountId: "acct-cy", email: "cy@example.com" }));
    env.mockStep("send-verification-email", () => ({ messageId: "msg-3" }));
    env.mockStep("delete-account", () => ({ deleted: true }));
    const report = await env.verifyCrashSafety(userSignup, { email: "cy@example.com", name: "cy" });
    expect(report.output).toEqual({ status: "expired", email: "cy@example.com" });
    expect(report.positions).toBe(report.journal.length - 1);
    expect(report.crashes.filter((c) => c.kind === "lost-lease").map((c) => c.after)).toEqual([
      "create-account",
      "send-verification-email",
      "delete-account",
    ]);
  });

  it("replays every recorded journal in journals/ against the current code", async () => {
    const replayed = await replayJournals(
      [userSignup, welcomeSeries],
      fileURLToPath(new URL("../journals", import.meta.url)),
    );
    expect(replayed.map((r) => r.file.replace(/.*journals\//, ""))).toEqual([
      "cancelled.json",
      "email-failed.json",
      "expired.json",
      "verified.json",
      "welcome-series.json",
    ]);
  });
});
