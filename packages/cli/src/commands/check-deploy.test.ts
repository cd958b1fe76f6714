import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Codec, memoryStore, type Store, type WorkflowDefinition } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkDeploy } from "../journal/deploy-check.js";
import * as newCode from "../testing/fixture-deploy-new.js";
import { DEPLOY_FIXTURE, seedDeployStore } from "../testing/fixture-deploy-store.js";
import { runCli } from "../testing/run-cli.js";

const NEW = "packages/cli/src/testing/fixture-deploy-new.ts";
const OLD = "packages/cli/src/testing/fixture-deploy-old.ts";
const NOTIFY_ONLY = "packages/cli/src/testing/fixture-deploy-notify.ts";
const NEW_DEFINITIONS = new Map(
  Object.values(newCode).map((d) => [d.name, d as WorkflowDefinition] as const),
);
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-check-deploy-"));
  await seedDeployStore(() => lmdbStore(dir));
}, 60_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every record and journal of the store at `path`, for "nothing written". */
async function snapshot(path: string): Promise<unknown> {
  const store = lmdbStore(path, { readOnly: true });
  try {
    const records = await store.executions.list({ limit: 1_000 });
    const journals = await Promise.all(records.map((r) => store.journal.read(r.id)));
    const inboxes = await Promise.all(records.map((r) => store.inbox.read(r.id)));
    return {
      records,
      journals: journals.map((j) => j.map((e) => [...e])),
      inboxes: inboxes.map((i) => i.length),
    };
  } finally {
    await store.close();
  }
}

describe("stepline check-deploy on LMDB", () => {
  it("finds every execution in flight the new code would block, names the line, exits 1, writes nothing", async () => {
    const before = await snapshot(dir);
    const run = await runCli(["check-deploy", "--workflows", NEW, "--store", dir]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const lines = run.stdout.trimEnd().split("\n");
    const incompatible = lines.filter((line) => line.startsWith("incompatible: "));
    // Newest first; these were started within a few ms, so compare them sorted.
    expect([...incompatible].sort()).toEqual([
      `incompatible: approve-blocked (approve v1, blocked) at op 0: the journal has step "prepare", the code asks for step "draft" [${NEW}:28]; hint: wrap the change in ctx.patched("prepare-to-draft") at ${NEW}:28, keeping the old code in its else branch (docs/versioning.md)`,
      `incompatible: approve-old (approve v1, waiting) at op 0: the journal has step "prepare", the code asks for step "draft" [${NEW}:28]; hint: wrap the change in ctx.patched("prepare-to-draft") at ${NEW}:28, keeping the old code in its else branch (docs/versioning.md)`,
      `incompatible: audit-old (audit v1, waiting) at op 1: the journal has step "write", the code asks for nothing (the workflow returned after op 0), after step "read" [${NEW}:43]; hint: wrap the change in ctx.patched("without-write") right after ${NEW}:43, keeping the old code in its else branch (docs/versioning.md)`,
      `incompatible: ship-old (ship v1, sleeping) at op 1: the journal has step "label", the code asks for sleep "transit" [${NEW}:38]; hint: wrap the change in ctx.patched("label-to-transit") at ${NEW}:38, keeping the old code in its else branch (docs/versioning.md)`,
    ]);
    const table = lines.slice(incompatible.length + 1);
    expect(table).toEqual([
      "workflow  version  checked  compatible  incompatible",
      "--------  -------  -------  ----------  ------------",
      "approve   v1       3        1           2",
      "approve   v2       1        1           0",
      "audit     v1       1        0           1",
      "notify    v1       1        1           0",
      "notify    v2       1        1           0",
      "ship      v1       1        0           1",
      `skipped, not defined in ${NEW}: legacy (1)`,
      `blocked: 4 of 8 executions would block on ${NEW}`,
    ]);
    expect(await snapshot(dir)).toEqual(before);
  }, 60_000);

  it("--json: the documented shape, and --include-finished checks the newest finished ones too", async () => {
    const run = await runCli([
      "check-deploy",
      "--workflows",
      NEW,
      "--include-finished",
      "1",
      "--json",
      "--store",
      dir,
    ]);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(Object.keys(report)).toEqual([
      "workflows",
      "includeFinished",
      "ok",
      "checked",
      "compatible",
      "incompatible",
      "executions",
      "summary",
      "resumable",
      "skipped",
      "otherVersions",
    ]);
    expect(report).toMatchObject({
      workflows: NEW,
      includeFinished: 1,
      ok: false,
      checked: 9,
      compatible: 4,
    });
    expect(report.incompatible).toBe(5);
    const ids = report.executions.map((e: { id: string }) => e.id).sort();
    const expected = Object.entries(DEPLOY_FIXTURE)
      .filter(([, e]) => !e.compatible)
      .map(([id]) => id)
      .sort();
    expect(ids).toEqual(expected);
    expect(report.executions.find((e: { id: string }) => e.id === "approve-old")).toEqual({
      id: "approve-old",
      workflow: "approve",
      version: 1,
      status: "waiting",
      op: 0,
      recorded: 'step "prepare"',
      requested: 'step "draft"',
      after: null,
      source: { file: NEW, line: 28, column: 11, of: "requested" },
      message: expect.stringMatching(/^Execution approve-old no longer matches its journal at op 0/),
      hint: `wrap the change in ctx.patched("prepare-to-draft") at ${NEW}:28, keeping the old code in its else branch (docs/versioning.md)`,
    });
    const greet = report.executions.find((e: { id: string }) => e.id === "greet-1");
    expect(greet).toMatchObject({
      status: "succeeded",
      op: "end",
      recorded: 'output "Hello, Ada"',
      requested: 'output "HELLO, ADA"',
      source: { file: NEW, line: 47, of: "workflow" },
      hint:
        "the change alters how a finished execution ended; if its journal must replay (a redrive), " +
        `guard the change with ctx.patched("name-of-the-change") in workflow greet (${NEW}:47)`,
    });
    expect(report.summary.find((w: { workflow: string }) => w.workflow === "greet")).toEqual({
      workflow: "greet",
      checked: 1,
      compatible: 0,
      incompatible: 1,
      versions: [{ version: 1, checked: 1, compatible: 0, incompatible: 1 }],
    });
    expect(report.resumable).toEqual([]);
    expect(report.skipped).toEqual([{ workflow: "legacy", executions: 1 }]);
  }, 60_000);

  it("exits 0 when every execution replays, skipping the workflows the module does not define", async () => {
    const run = await runCli(["check-deploy", "--workflows", NOTIFY_ONLY, "--store", dir]);
    expect(run.code).toBe(0);
    expect(run.stdout.trimEnd().split("\n")).toEqual([
      "workflow  version  checked  compatible  incompatible",
      "--------  -------  -------  ----------  ------------",
      "notify    v1       1        1           0",
      "notify    v2       1        1           0",
      `skipped, not defined in ${NOTIFY_ONLY}: approve (4), audit (1), legacy (1), ship (1)`,
      `ok: all 2 executions replay against ${NOTIFY_ONLY}`,
    ]);
    // The old code (v1, no compatibleVersions) does not run what the new code started (v2):
    // a rollback leaves those to the v2 workers, and the gate does not replay them against it.
    const old = await runCli(["check-deploy", "--workflows", OLD, "--json", "--store", dir]);
    expect(old.code).toBe(0);
    const oldReport = JSON.parse(old.stdout);
    expect(oldReport.executions).toEqual([]);
    expect(oldReport.otherVersions).toEqual([
      { workflow: "approve", version: 2, executions: 1 },
      { workflow: "notify", version: 2, executions: 1 },
    ]);
    // The execution the new code blocked replays on the old code again: resume would move it.
    expect(oldReport.resumable).toEqual(["approve-blocked"]);
    const oldText = await runCli(["check-deploy", "--workflows", OLD, "--store", dir]);
    expect(oldText.stdout).toContain(
      "\nresumable: 1 blocked execution replays on this code (approve-blocked); once it is deployed, stepline resume ID moves each on\n",
    );
    expect(oldText.stdout).toContain(
      "\nnot run by this code, left to the workers of their version (it neither has it nor lists it in compatibleVersions): approve v2 (1), notify v2 (1)\n",
    );
  }, 60_000);

  it("says so when the workflow is not defined in the file it reads (a re-export)", async () => {
    const module = "packages/cli/src/testing/fixture-deploy-approve.ts";
    const run = await runCli(["check-deploy", "--workflows", module, "--store", dir]);
    expect(run.code).toBe(1);
    expect(
      run.stdout
        .split("\n")
        .filter((line) => line.startsWith("incompatible: "))
        .sort(),
    ).toEqual(
      ["approve-blocked (approve v1, blocked)", "approve-old (approve v1, waiting)"].map(
        (who) =>
          `incompatible: ${who} at op 0: the journal has step "prepare", the code asks for step "draft" ` +
          `[source line not found in ${module}]; hint: wrap the change in ctx.patched("prepare-to-draft") ` +
          "where workflow approve issues op 0, keeping the old code in its else branch (docs/versioning.md)",
      ),
    );
  }, 60_000);

  it("refuses a service's entry point before importing it, as replay-check does", async () => {
    const run = await runCli([
      "check-deploy",
      "--workflows",
      "packages/cli/src/testing/fixture-server.ts",
      "--store",
      dir,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe("");
    expect(run.stderr).toMatch(
      /^stepline check-deploy: packages\/cli\/src\/testing\/fixture-server\.ts runs code when imported, and stepline check-deploy must run none of the service: .*Point --workflows at a module that only defines workflows/,
    );
  });

  it("usage errors exit 2 and open no store", async () => {
    const missing = await runCli(["check-deploy", "--store", dir]);
    expect(missing).toEqual({
      code: 2,
      stdout: "",
      stderr:
        "stepline check-deploy: missing --workflows FILE (usage: stepline check-deploy --workflows FILE [--include-finished N] [--json])\n",
    });
    fc.assert(
      fc.asyncProperty(
        fc.string().filter((s) => !/^[0-9]+$/.test(s)),
        async (text) => {
          const run = await runCli([
            "check-deploy",
            "--workflows",
            NEW,
            `--include-finished=${text}`,
            "--store",
            join(dir, "none"),
          ]);
          expect(run.code).toBe(2);
          expect(run.stderr).toBe(
            `stepline check-deploy: --include-finished must be a whole number (0 or more), got "${text}"\n`,
          );
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe("stepline check-deploy on a journal it cannot decode", () => {
  it("prints it as unreadable, exits 1, and checks the others", async () => {
    const other = mkdtempSync(join(tmpdir(), "stepline-check-deploy-bad-"));
    try {
      const store = lmdbStore(other);
      await store.executions.create({
        id: "bad-1",
        workflow: "approve",
        createdAt: 1,
        started: new Uint8Array([0xc1]),
      });
      await store.close();
      const run = await runCli(["check-deploy", "--workflows", NEW, "--store", other]);
      expect(run.code).toBe(1);
      const lines = run.stdout.trimEnd().split("\n");
      expect(lines[0]).toMatch(
        /^unreadable: bad-1 \(approve v\?, running\): the journal \(1 entries\) cannot be replayed: .+; hint: its journal cannot be decoded, whatever the code \(a store or codec problem\): look at it with stepline inspect bad-1$/,
      );
      expect(lines.slice(2)).toEqual([
        "workflow  version  checked  compatible  incompatible",
        "--------  -------  -------  ----------  ------------",
        "approve   v?       1        0           1",
        `blocked: 1 of 1 executions would block on ${NEW}`,
      ]);
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("checkDeploy, the core of the gate", () => {
  it("gives the same report a page at a time as in one page", async () => {
    const store = lmdbStore(dir, { readOnly: true });
    try {
      const whole = await checkDeploy(store, NEW_DEFINITIONS, { includeFinished: 5 });
      const paged = await checkDeploy(store, NEW_DEFINITIONS, { includeFinished: 5, pageSize: 2 });
      expect(paged).toEqual(whole);
      expect(whole.checked).toBe(9);
      expect(whole.incompatible.map((e) => e.id).sort()).toEqual([
        "approve-blocked",
        "approve-old",
        "audit-old",
        "greet-1",
        "ship-old",
      ]);
    } finally {
      await store.close();
    }
  });

  it("reports any journal it cannot decode as incompatible (op null), and never throws", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ maxLength: 40 }), { minLength: 1, maxLength: 4 }),
        async (entries) => {
          const store: Store = memoryStore();
          await store.executions.create({
            id: "bad-1",
            workflow: "approve",
            createdAt: 1,
            started: entries[0] as Uint8Array,
          });
          const report = await checkDeploy(store, NEW_DEFINITIONS);
          expect(report.checked).toBe(1);
          expect(report.incompatible).toHaveLength(1);
          expect(report.incompatible[0]?.divergence.op).toBeNull();
          expect(report.incompatible[0]?.divergence.message).toMatch(
            /^the journal \(1 entries\) cannot be replayed: /,
          );
        },
      ),
      { numRuns: 100 },
    );
    // A well-formed journal of a workflow the module lacks is skipped, not replayed.
    const store = memoryStore();
    const started = new Codec().encode(
      { type: "ExecutionStarted", seq: 0, at: 1, workflow: "gone", version: 1, input: null, seed: 1 },
      "test",
    );
    await store.executions.create({ id: "gone-1", workflow: "gone", createdAt: 1, started });
    expect(await checkDeploy(store, NEW_DEFINITIONS)).toEqual({
      checked: 0,
      compatible: 0,
      incompatible: [],
      otherVersions: [],
      workflows: [],
      resumable: [],
      skipped: [{ workflow: "gone", executions: 1 }],
    });
  });
});
