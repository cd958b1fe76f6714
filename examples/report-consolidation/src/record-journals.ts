/**
 * Records the golden journals in journals/: one real run of each path through
 * consolidateReport, on the memory store. packages/compiler/src/examples.test.ts replays
 * them against the current code and checks each against the compiled diagram, so a
 * change that would break replay of running executions fails the build.
 * Re-record only for a deliberate, versioned change:
 * `pnpm --filter @stepline/example-report-consolidation run record-journals`, then
 * `npx biome check --write examples/report-consolidation` (it formats the JSON).
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, memoryStore } from "@stepline/core";
import { outages, type SourceName } from "./services.js";
import { consolidateReport } from "./workflow.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "journals");
const engine = createEngine({ store: memoryStore(), pollInterval: 20, log: () => {} });
const worker = engine.worker({ workflows: [consolidateReport] });
await worker.start();

const SOURCES: SourceName[] = ["crm", "billing", "warehouse", "support", "marketing"];

async function record(name: string, breakSources: () => void) {
  outages.reset();
  breakSources();
  const run = await engine.client.start(
    consolidateReport,
    { reportId: name, period: "2026-11", sources: SOURCES },
    { id: name },
  );
  await run.result({ timeout: "30s" }).catch(() => {});
  const history = await run.history();
  // Stack traces name files on the recording machine; they play no part in replay.
  const text = JSON.stringify(history, (key, value) => (key === "stack" ? undefined : value), 2);
  writeFileSync(join(out, `${name}.json`), `${text}\n`);
  console.log(`journals/${name}.json: ${history.length} events, ends with ${history.at(-1)?.type}`);
}

await record("all-sources", () => {});
await record("flaky-retried", () => outages.flaky.set("warehouse", 2));
await record("one-down-tolerated", () => outages.down.add("support"));
await record("too-many-down", () => {
  outages.down.add("billing");
  outages.down.add("marketing");
});
outages.reset();
await worker.stop();
process.exit(0);
