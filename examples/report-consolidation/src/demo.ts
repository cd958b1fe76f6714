/**
 * The report-consolidation demo, on the embedded store (LMDB in .stepline/ of this
 * example; no server). It consolidates the same five sources three times: with every
 * source up, with the warehouse flaky (it answers on the third try), and with the
 * support desk down (the report is written without it); then once more with two
 * sources down, which is one more than the map tolerates, so the run fails.
 *
 * Run it from the top of the repository:
 * `pnpm --filter @stepline/example-report-consolidation run demo`.
 */
import { mkdirSync, rmSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type JournalEvent, MapFailedError } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { outages, type SourceName, sourceCalls } from "./services.js";
import { consolidateReport, type ReportSummary } from "./workflow.js";

const here = dirname(fileURLToPath(import.meta.url));
const storePath = resolve(here, "..", ".stepline");
// A fresh store each time: the demo's run ids are fixed names.
rmSync(storePath, { recursive: true, force: true });
mkdirSync(storePath, { recursive: true });

const engine = createEngine({ store: lmdbStore(storePath), pollInterval: 20, log: () => {} });
const worker = engine.worker({ workflows: [consolidateReport] });
await worker.start();
const say = (text: string) => console.log(text);
const SOURCES: SourceName[] = ["crm", "billing", "warehouse", "support", "marketing"];

say(`Stepline demo: consolidating ${SOURCES.join(", ")} into a report, 2 sources at a time`);
say("(embedded store at examples/report-consolidation/.stepline, LMDB, no server)\n");

let ok = true;
async function consolidate(id: string, story: string, breakSources: () => void, expectFailure = false) {
  outages.reset();
  sourceCalls.reset();
  breakSources();
  say(`== ${id}: ${story}`);
  const started = Date.now();
  const run = await engine.client.start(
    consolidateReport,
    { reportId: id, period: "2026-11", sources: SOURCES },
    { id },
  );
  const outcome = await run.result({ timeout: "30s" }).then(
    (summary: ReportSummary) => ({ summary }),
    (error: unknown) => ({ error }),
  );
  say(`   steps: ${stepsOf(await run.history()).join(", ")}`);
  say(`   fetches running at once, at most: ${sourceCalls.peak}`);
  if ("summary" in outcome) {
    const { summary } = outcome;
    const perSource = Object.entries(summary.rowsPerSource).map(([source, rows]) => `${source} ${rows}`);
    say(`   wrote ${summary.location}: ${summary.totalRows} rows (${perSource.join(", ")})`);
    say(`   missing: ${summary.missing.length === 0 ? "none" : summary.missing.join(", ")}`);
  } else {
    const error = outcome.error as Error;
    say(`   failed with ${error.name}: ${error.message.split(". ")[0]}`);
    if (!MapFailedError.is(error)) ok = false;
  }
  say(`   status: ${(await run.describe()).status}, ${Date.now() - started} ms\n`);
  if ("error" in outcome !== expectFailure || sourceCalls.peak > 2) ok = false;
}

await consolidate("november-all", "every source answers", () => {});
await consolidate("november-flaky", "the warehouse resets its first two connections", () =>
  outages.flaky.set("warehouse", 2),
);
await consolidate("november-partial", "the support desk's database is down", () =>
  outages.down.add("support"),
);
await consolidate(
  "november-outage",
  "billing and marketing are both down (one more than tolerated)",
  () => {
    outages.down.add("billing");
    outages.down.add("marketing");
  },
  true,
);

await worker.stop();
await engine.close();
if (!ok) {
  console.error("demo failed: a run did not end as its story says");
  process.exit(1);
}

/** Each step once, with `xN` when it took N attempts, in the order they were first scheduled. */
function stepsOf(history: JournalEvent[]): string[] {
  const tries = new Map<string, number>();
  for (const event of history) {
    if (event.type === "StepScheduled") tries.set(event.name, event.attempt);
  }
  return [...tries].map(([name, n]) => (n > 1 ? `${name} x${n}` : name));
}
