/**
 * Runs the chaos harness on both stores and exits non-zero on any violation.
 * STEPLINE_CHAOS=full: 1,000 executions per store; otherwise the size `pnpm test` runs.
 * STEPLINE_CHAOS_SEED: the seed to play again (printed by every run).
 * STEPLINE_CHAOS_STORES: `lmdb`, `redis` or `lmdb,redis` (the default).
 */
import { chaosSize } from "./chaos-size.js";
import { runChaos } from "./run-chaos.js";

const stores = (process.env.STEPLINE_CHAOS_STORES ?? "lmdb,redis").split(",") as ("lmdb" | "redis")[];
let violations = 0;
for (const store of stores) {
  const { report } = await runChaos({ store, ...chaosSize(process.env) });
  violations += report.total;
}
process.exit(violations === 0 ? 0 : 1);
