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

  it("update changes the spec with --json; a worker takes it and describe shows the new next tick", async () => {
    const created = await inStore(
      "create",
      "upd",
      "--workflow",
      "report",
      "--every",
      "1h",
      "--input",
      '"eu"',
    );
    expect(created.code).toBe(0);
    const updated = await inStore("update", "upd", "--every", "2h", "--input", '"us"', "--json");
    expect(updated.stderr).toBe("");
    expect(updated.code).toBe(0);
    expect(JSON.parse(updated.stdout)).toEqual({
      id: "upd",
      updated: true,
      changes: { every: "2h", input: "us" },
    });
    const text = await inStore("update", "upd", "--overlap", "allow");
    expect(text.stdout).toBe('updated schedule upd: overlap "allow" (taken by the next worker to run it)\n');
    await withWorker(async () => {
      const d = JSON.parse((await inStore("describe", "upd", "--json")).stdout);
      return d.everyMs === 7_200_000 && d.overlap === "allow";
    });
    const described = JSON.parse((await inStore("describe", "upd", "--json")).stdout);
    expect(described).toMatchObject({ everyMs: 7_200_000, input: "us", overlap: "allow", cron: null });
    expect(Date.parse(described.nextTickAt) % 7_200_000).toBe(0);
    const bad = await inStore("update", "upd", "--timezone", "Europe/Paris");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("timezone is given with cron");
    const none = await inStore("update", "upd");
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("nothing to update");
    const missing = await inStore("update", "nope", "--every", "1m");
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('No schedule with id "nope"');
    expect((await inStore("delete", "upd")).code).toBe(0);
  });

  it("every subcommand's --help (and stepline help schedule SUB) prints its own usage, not the parent's", async () => {
    const parent = await runCli(["schedule", "--help"]);
    expect(parent.code).toBe(0);
    expect(parent.stdout).toContain("Usage: stepline schedule list|describe|create|update|");
    for (const sub of ["list", "describe", "create", "update", "pause", "resume", "trigger", "delete"]) {
      for (const argv of [
        ["schedule", sub, "--help"],
        ["schedule", sub, "-h"],
        ["help", "schedule", sub],
      ]) {
        const help = await runCli(argv);
        expect(help.code, argv.join(" ")).toBe(0);
        expect(help.stderr).toBe("");
        expect(help.stdout, argv.join(" ")).toContain(`Usage: stepline schedule ${sub}`);
        expect(help.stdout).not.toContain("list|describe|create");
      }
    }
    const create = await runCli(["schedule", "create", "--help"]);
    expect(create.stdout).toMatch(/^Create a schedule\n\nUsage: stepline schedule create ID --workflow NAME/);
    expect(create.stdout).toContain("--catchup-window D");
    const unknown = await runCli(["help", "schedule", "reschedule"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('unknown subcommand "reschedule" of schedule');
  });
});
