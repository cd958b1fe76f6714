import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, workflow } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../testing/run-cli.js";

const report = workflow("report", async (ctx, region: string) => ctx.step("run", () => region));

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-schedule-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const inStore = (...args: string[]) => runCli(["schedule", ...args, "--store", dir]);

/** Runs a worker on the store until `done` says so: the schedule takes its control events. */
async function withWorker(done: () => Promise<boolean>): Promise<void> {
  const engine = createEngine({ store: lmdbStore(dir), log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [report], leaseMs: 500 });
  await worker.start();
  try {
    const deadline = Date.now() + 10_000;
    while (!(await done())) {
      if (Date.now() > deadline) throw new Error("timed out waiting for the worker");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await worker.stop();
    await engine.close();
  }
}

describe("stepline schedule", () => {
  it("creates, lists, describes, pauses, triggers and deletes a schedule, with --json", async () => {
    const created = await inStore(
      "create",
      "nightly",
      "--workflow",
      "report",
      "--cron",
      "0 2 * * *",
      "--timezone",
      "Europe/Paris",
      "--input",
      '"eu"',
      "--json",
    );
    expect(created.stderr).toBe("");
    expect(created.code).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({
      id: "nightly",
      workflow: "report",
      cron: "0 2 * * *",
      timezone: "Europe/Paris",
      input: "eu",
      overlap: "skip",
      paused: false,
      started: 0,
    });
    expect(JSON.parse(created.stdout).nextTickAt).toMatch(/T0[01]:00:00\.000Z$/);

    const listed = await inStore("list");
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^id +workflow +when +paused +next tick +started\n/);
    expect(listed.stdout).toContain('nightly  report    cron "0 2 * * *" Europe/Paris  no');

    expect((await inStore("pause", "nightly")).stdout).toBe("paused schedule nightly\n");
    expect(JSON.parse((await inStore("trigger", "nightly", "--json")).stdout)).toEqual({
      id: "nightly",
      triggered: true,
    });
    await withWorker(async () => {
      const described = JSON.parse((await inStore("describe", "nightly", "--json")).stdout);
      return described.paused === true && described.started === 1;
    });
    const described = JSON.parse((await inStore("describe", "nightly", "--json")).stdout);
    expect(described).toMatchObject({ paused: true, nextTickAt: null, started: 1 });
    expect(described.recent).toEqual([expect.stringMatching(/^nightly@.*Z-trigger-1$/)]);

    expect((await inStore("delete", "nightly")).stdout).toBe("deleted schedule nightly\n");
    expect(JSON.parse((await inStore("list", "--json")).stdout)).toEqual([]);
    const gone = await inStore("resume", "nightly");
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('No schedule with id "nightly"');
  });

  it("refuses bad options as usage errors (exit 2) that say what to fix", async () => {
    const bad = await inStore("create", "x", "--workflow", "report", "--cron", "99 * * * *");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('cron "99 * * * *" is not valid');
    const neither = await inStore("create", "x", "--workflow", "report");
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("give exactly one of cron");
    const unknown = await inStore("reschedule", "x");
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "reschedule"');
    const missing = await inStore("pause");
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing ID (usage: stepline schedule pause ID)");
  });
});
