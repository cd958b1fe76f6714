/**
 * A worker process for the demo: opens the demo's store and runs fulfillOrder
 * until it is told to stop (SIGTERM: graceful) or killed (SIGKILL: the demo's crash).
 */
import { createEngine } from "@stepline/core";
import { openStore } from "./open-store.js";
import { fulfillOrder } from "./workflow.js";

const storePath = process.argv[2];
if (!storePath) throw new Error("usage: worker-process.ts <store path>");

const engine = createEngine({ store: openStore(storePath), pollInterval: 50 });
const worker = engine.worker({ workflows: [fulfillOrder], concurrency: 10, leaseMs: 2_000 });
await worker.start();
process.send?.({ ready: worker.id });

process.on("SIGTERM", async () => {
  await worker.stop();
  await engine.close();
  process.exit(0);
});
