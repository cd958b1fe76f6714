import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_IDS, populatedStoreDir } from "../testing/fixture-store.js";
import { runCli } from "../testing/run-cli.js";

let fixture: Awaited<ReturnType<typeof populatedStoreDir>>;
let scratch: string;
/** The store imports go into; holds one imported execution. */
let target: string;
let exported: { version: number; events: Record<string, unknown>[]; inbox: unknown[] };

beforeAll(async () => {
  fixture = await populatedStoreDir();
  scratch = mkdtempSync(join(tmpdir(), "stepline-import-"));
  target = join(scratch, "target");
  const file = join(scratch, "greet.json");
  expect((await runCli(["export", FIXTURE_IDS.succeeded, "-o", file, "--store", fixture.dir])).code).toBe(0);
  exported = JSON.parse(readFileSync(file, "utf8"));
  expect((await runCli(["import", file, "--id", "kept", "--store", target])).code).toBe(0);
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

/** The target store's executions, ids and statuses, and one journal: what "unchanged" means. */
async function snapshot() {
  const list = JSON.parse((await runCli(["list", "--store", target, "--json"])).stdout);
  const history = (await runCli(["history", "kept", "--store", target, "--json"])).stdout;
  return { list: list.map((e: { id: string; status: string }) => [e.id, e.status]), history };
}

async function importFile(content: unknown, name = "bad.json") {
  const file = join(scratch, name);
  writeFileSync(file, JSON.stringify(content));
  return runCli(["import", file, "--id", "imported", "--store", target]);
}

describe("stepline import checks the journal before writing anything", () => {
  it("carries the inbox: events nothing waited for come back after a round trip", async () => {
    const file = join(scratch, "approval.msgpack");
    const out = await runCli(["export", FIXTURE_IDS.waiting, "-o", file, "--store", fixture.dir, "--json"]);
    expect(JSON.parse(out.stdout)).toMatchObject({ events: 4, inbox: 1 });
    const other = join(scratch, "inbox-store");
    const imported = await runCli(["import", file, "--store", other]);
    expect(imported.stdout).toBe("imported approval-1 (approval, 4 events, 1 inbox entry) as blocked\n");
    const report = JSON.parse((await runCli(["inspect", "approval-1", "--store", other, "--json"])).stdout);
    expect(report.inbox).toEqual([
      expect.objectContaining({ seq: 0, name: "note", payload: { from: "support" }, consumedBy: null }),
    ]);
  });

  it("names the first bad event: after the end, a completion never scheduled, a missing field", async () => {
    const before = await snapshot();
    const events = structuredClone(exported.events);
    const after = await importFile({
      ...exported,
      events: [...events, { seq: events.length, at: 1, type: "StepScheduled", op: 9, name: "x", attempt: 1 }],
    });
    expect(after.code).toBe(1);
    expect(after.stderr).toBe(
      `stepline import: ${join(scratch, "bad.json")}: event 8 (StepScheduled) follows the terminal event 7; expected nothing after the end; nothing was imported\n`,
    );
    const orphan = structuredClone(exported.events).slice(0, 1);
    orphan.push({ seq: 1, at: 2, type: "StepSucceeded", op: 0, attempt: 1, result: 1 });
    expect((await importFile({ ...exported, events: orphan })).stderr).toContain(
      "event 1 (StepSucceeded) refers to op 0, which no event before it scheduled; expected a StepScheduled for op 0 before it",
    );
    const missing = structuredClone(exported.events);
    delete missing[3]?.fireAt;
    expect((await importFile({ ...exported, events: missing })).stderr).toContain(
      'event 3 (TimerStarted) has no "fireAt"; expected a time in epoch milliseconds',
    );
    expect(await snapshot()).toEqual(before);
  });

  it("refuses an unknown export format version, and still reads version 1 (no inbox)", async () => {
    const future = await importFile({ ...exported, version: 3 });
    expect(future.code).toBe(1);
    expect(future.stderr).toContain(
      "export format version 3 is not one this stepline reads (1, 2); import it with the stepline that exported it, or export it again; nothing was imported",
    );
    const { inbox: _, ...v1 } = { ...exported, version: 1 };
    const old = await importFile(v1, "v1.json");
    expect(old.stdout).toBe("imported imported (greet, 8 events, 0 inbox entries) as succeeded\n");
  });

  it("refuses every mutation of a valid export and leaves the store unchanged (property)", async () => {
    const before = await snapshot();
    const required = ["seq", "at", "type", "op", "name", "attempt", "workflow", "version", "seed", "fireAt"];
    type Events = Record<string, unknown>[];
    const mutation = fc.oneof(
      fc.nat().map((k) => (e: Events) => void e.splice(k % (e.length - 1), 1)),
      fc
        .nat()
        .map(
          (k) => (e: Events) =>
            void e.splice((k % e.length) + 1, 0, structuredClone(e[k % e.length]) as Record<string, unknown>),
        ),
      fc.tuple(fc.nat(), fc.nat()).map(([a, b]) => (e: Events) => {
        const i = a % e.length;
        const j = (i + 1 + (b % (e.length - 1))) % e.length;
        [e[i], e[j]] = [e[j] as Record<string, unknown>, e[i] as Record<string, unknown>];
      }),
      fc.tuple(fc.nat(), fc.nat(), fc.boolean()).map(([a, b, retype]) => (e: Events) => {
        const event = e[a % e.length] as Record<string, unknown>;
        const keys = Object.keys(event).filter((key) => required.includes(key));
        const key = keys[b % keys.length] as string;
        if (retype) event[key] = typeof event[key] === "string" ? 5 : "x";
        else delete event[key];
      }),
      fc.constant((e: Events) => void e.push({ seq: e.length, at: 1, type: "TimerFired", op: 1 })),
    );
    await fc.assert(
      fc.asyncProperty(mutation, async (mutate) => {
        const events = structuredClone(exported.events);
        mutate(events);
        const run = await importFile({ ...exported, events });
        expect(run.code).toBe(1);
        expect(run.stderr).toMatch(/: event \d+ \(\S+\) .*; nothing was imported\n$/);
      }),
      { numRuns: 40 },
    );
    expect(await snapshot()).toEqual(before);
  });
});
