import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type Engine, type JournalEvent, MapFailedError, type Worker } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { outages, type SourceName, sourceCalls, writtenReports } from "./services.js";
import { consolidateReport } from "./workflow.js";

let dir: string;
let engine: Engine;
let worker: Worker;

beforeEach(async () => {
  outages.reset();
  sourceCalls.reset();
  writtenReports.clear();
  dir = mkdtempSync(join(tmpdir(), "stepline-report-"));
  engine = createEngine({ store: lmdbStore(dir), pollInterval: 20, log: () => {} });
  worker = engine.worker({ workflows: [consolidateReport], concurrency: 10, leaseMs: 2_000 });
  await worker.start();
});

afterEach(async () => {
  await worker.stop();
  await engine.close();
  outages.reset();
  rmSync(dir, { recursive: true, force: true });
});

const SOURCES: SourceName[] = ["crm", "billing", "warehouse", "support", "marketing"];
const request = (reportId: string) => ({ reportId, period: "2026-11", sources: SOURCES });

/** `name#attempt` of every step scheduled, in journal order. */
const attempts = (history: JournalEvent[]) =>
  history.flatMap((e) => (e.type === "StepScheduled" ? [`${e.name}#${e.attempt}`] : []));

/** The names of the steps that succeeded, in the order they finished. */
function finished(history: JournalEvent[]): string[] {
  const names = new Map<number, string>();
  return history.flatMap((e) => {
    if (e.type === "StepScheduled") names.set(e.op, e.name);
    return e.type === "StepSucceeded" ? [names.get(e.op) as string] : [];
  });
}

describe("report-consolidation: consolidateReport on the embedded store", () => {
  it("fetches every source two at a time and writes the rows in source order", async () => {
    const run = await engine.client.start(consolidateReport, request("r-all"), { id: "r-all" });
    expect(await run.result({ timeout: "20s" })).toEqual({
      reportId: "r-all",
      location: "s3://reports/r-all.csv",
      totalRows: 13,
      rowsPerSource: { crm: 3, billing: 2, warehouse: 4, support: 2, marketing: 2 },
      missing: [],
    });
    expect(sourceCalls.peak).toBe(2);
    const history = await run.history();
    // crm is the slowest source (300 ms, the others 30-90): billing, after it in the
    // list, finishes first, yet the report keeps source order.
    const normalised = finished(history).filter((name) => name.startsWith("normalise-"));
    expect(normalised.indexOf("normalise-billing")).toBeLessThan(normalised.indexOf("normalise-crm"));
    expect([...new Set(writtenReports.get("r-all")?.map((row) => row.source))]).toEqual(SOURCES);
    const steps = attempts(history);
    expect(steps).toHaveLength(11);
    expect(steps.at(-1)).toBe("write-report#1");
    for (const source of SOURCES) {
      expect(steps.indexOf(`fetch-${source}#1`)).toBeLessThan(steps.indexOf(`normalise-${source}#1`));
    }
    // Items start in source order, the third only once one of the first two is done.
    expect(steps.filter((name) => name.startsWith("fetch-"))).toEqual(SOURCES.map((s) => `fetch-${s}#1`));
    expect((await run.describe()).status).toBe("succeeded");
  });

  it("retries a flaky source until it answers, and leaves nothing out", async () => {
    outages.flaky.set("warehouse", 2);
    const run = await engine.client.start(consolidateReport, request("r-flaky"), { id: "r-flaky" });
    const summary = await run.result({ timeout: "20s" });
    expect(summary.missing).toEqual([]);
    expect(summary.rowsPerSource.warehouse).toBe(4);
    expect(sourceCalls.perSource.get("warehouse")).toBe(3);
    expect(sourceCalls.peak).toBeLessThanOrEqual(2);
    const history = await run.history();
    const warehouse = attempts(history).filter((name) => name.includes("-warehouse#"));
    expect(warehouse).toEqual([
      "fetch-warehouse#1",
      "fetch-warehouse#2",
      "fetch-warehouse#3",
      "normalise-warehouse#1",
    ]);
    const failures = history.flatMap((e) => (e.type === "StepFailed" ? [[e.attempt, e.error.message]] : []));
    expect(failures).toEqual([
      [1, "warehouse: connection reset by peer"],
      [2, "warehouse: connection reset by peer"],
    ]);
    // The flaky item finishes last, and still comes back in its place.
    expect(finished(history).at(-2)).toBe("normalise-warehouse");
    expect([...new Set(writtenReports.get("r-flaky")?.map((row) => row.source))]).toEqual(SOURCES);
  });

  it("writes the report without a source that stays down, and names it as missing", async () => {
    outages.down.add("support");
    const run = await engine.client.start(consolidateReport, request("r-down"), { id: "r-down" });
    expect(await run.result({ timeout: "20s" })).toEqual({
      reportId: "r-down",
      location: "s3://reports/r-down.csv",
      totalRows: 11,
      rowsPerSource: { crm: 3, billing: 2, warehouse: 4, marketing: 2 },
      missing: ["support"],
    });
    expect(sourceCalls.perSource.get("support")).toBe(4);
    expect(sourceCalls.peak).toBeLessThanOrEqual(2);
    const steps = attempts(await run.history());
    expect(steps.filter((name) => name.includes("support"))).toEqual([
      "fetch-support#1",
      "fetch-support#2",
      "fetch-support#3",
      "fetch-support#4",
    ]);
    expect(steps.at(-1)).toBe("write-report#1");
    expect([...new Set(writtenReports.get("r-down")?.map((row) => row.source))]).toEqual(
      SOURCES.filter((s) => s !== "support"),
    );
    expect((await run.describe()).status).toBe("succeeded");
  });

  it("fails with MapFailedError, writing no report, when a second source stays down", async () => {
    outages.down.add("billing");
    outages.down.add("marketing");
    const run = await engine.client.start(consolidateReport, request("r-failed"), { id: "r-failed" });
    const error = await run.result({ timeout: "20s" }).catch((e: unknown) => e);
    expect(MapFailedError.is(error)).toBe(true);
    const failed = error as MapFailedError;
    expect(failed.message).toBe(
      'ctx.map("fetch-sources") failed: 2 of 5 items failed (items 1, 4), more than the 1 that ' +
        'toleratedFailures: 1 allows; the last, item 4, with StepFailedError: Step "fetch-marketing" failed ' +
        "after 4 attempts: SourceUnavailableError: marketing: connection refused. No item was started after " +
        "it; 0 item(s) still in flight were abandoned. Catch errors inside the item callback to go on without " +
        "an item, or set toleratedFailures. See docs/map.md.",
    );
    expect(failed.map).toBe("fetch-sources");
    expect(failed.failedItems).toEqual([1, 4]);
    expect((await run.describe()).status).toBe("failed");
    const steps = attempts(await run.history());
    expect(steps).not.toContain("write-report#1");
    expect(steps.filter((name) => name.startsWith("fetch-billing"))).toHaveLength(4);
    expect(steps.filter((name) => name.startsWith("fetch-marketing"))).toHaveLength(4);
    expect(writtenReports.has("r-failed")).toBe(false);
    expect(sourceCalls.peak).toBeLessThanOrEqual(2);
  });
});
