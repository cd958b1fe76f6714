/**
 * Records the golden journals in journals/: one real run of each path through
 * fulfillOrder, on the memory store. packages/compiler/src/examples.test.ts replays
 * them against the current code and checks each against the compiled diagram, so a
 * change that would break replay of running executions fails the build. journals/interrupted.json is not recorded here: it is a journal of
 * `pnpm demo` (ids renamed) in which the worker's SIGKILL cut a charge attempt short.
 * Re-record only for a deliberate, versioned change:
 * `pnpm --filter @stepline/example-order-fulfillment run record-journals`.
 */
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, memoryStore } from "@stepline/core";
import { payments } from "./services.js";
import { fulfillOrder } from "./workflow.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "journals");
const engine = createEngine({ store: memoryStore(), pollInterval: 20 });
const worker = engine.worker({ workflows: [fulfillOrder] });
await worker.start();

async function record(name: string, total: number, approval?: boolean) {
  const run = await engine.client.start(
    fulfillOrder,
    { id: name, items: ["book"], total, coolOff: "50ms" },
    { id: name },
  );
  if (approval !== undefined) await engine.client.sendEvent(run.id, "approval", approval);
  await run.result().catch(() => {});
  const history = await run.history();
  // Stack traces name files on the recording machine; they play no part in replay.
  const text = JSON.stringify(history, (key, value) => (key === "stack" ? undefined : value), 2);
  writeFileSync(join(out, `${name}.json`), `${text}\n`);
  console.log(`journals/${name}.json: ${history.length} events, ends with ${history.at(-1)?.type}`);
}

await record("shipped", 120);
await record("approved", 1500, true);
await record("rejected", 1500, false);
payments.charge = async () => {
  throw new Error("card declined");
};
await record("declined", 80);
await worker.stop();
process.exit(0);
