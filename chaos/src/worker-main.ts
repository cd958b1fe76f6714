/**
 * A chaos worker process: runs the chaos workflow on the store under test until
 * SIGTERM, writing every step-body start and end, claim and append to its own log.
 * Usage: node --conditions=@stepline/source --import tsx worker-main.ts <store> <log file> <lease ms> <concurrency>
 * where <store> is `lmdb:<directory>` or `redis:<url>|<prefix>`.
 */
import { createEngine } from "@stepline/core";
import { chaosWorkflow, onBody } from "./chaos-workflow.js";
import { HistoryLog } from "./history-log.js";
import { loggedStore } from "./logged-store.js";
import { openStore } from "./open-store.js";

const [where, file, lease, concurrency] = process.argv.slice(2);
if (!where || !file)
  throw new Error("usage: worker-main.ts <lmdb:dir | redis:url|prefix> <log file> <lease ms>");
const log = new HistoryLog(file);
const pid = process.pid;

onBody((event) => {
  const { phase, ...rest } = event;
  log.write({ k: phase === "start" ? "body-start" : "body-end", t: Date.now(), pid, ...rest });
});

const engine = createEngine({
  store: loggedStore(openStore(where), log),
  workflows: [chaosWorkflow],
  log: () => {},
  pollInterval: 20,
});
const worker = engine.worker({
  workflows: [chaosWorkflow],
  concurrency: Number(concurrency ?? 5),
  leaseMs: Number(lease ?? 1_000),
});
await worker.start();
log.write({ k: "worker-up", t: Date.now(), pid });
process.send?.("ready");
process.on("SIGTERM", async () => {
  await worker.stop();
  await engine.close();
  process.exit(0);
});
