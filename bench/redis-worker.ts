/**
 * A benchmark worker process on Redis: runs tenSteps until SIGTERM, then reports the
 * number of Redis commands it sent, and the CPU time and event-loop utilization it used
 * since it was ready.
 * Usage: node --conditions=@stepline/source --import tsx redis-worker.ts <redis url> <concurrency>
 */
import { createEngine } from "@stepline/core";
import { redisStore } from "@stepline/redis";
import { countRedisCommands } from "./command-counter.js";
import { tenSteps } from "./workflows.js";

const commandsSent = countRedisCommands();
const [url, concurrency] = process.argv.slice(2);
if (!url) throw new Error("usage: redis-worker.ts <redis url> <concurrency>");
const engine = createEngine({ store: redisStore({ url, prefix: "bench" }), log: () => {}, pollInterval: 20 });
const worker = engine.worker({
  workflows: [tenSteps],
  concurrency: Number(concurrency ?? 100),
  leaseMs: 30_000,
});
await worker.start();
// CPU and event-loop use are counted from here: start-up (loading TypeScript) is not the run.
const cpuAtReady = process.cpuUsage();
const loopAtReady = performance.eventLoopUtilization();
process.send?.("ready");
process.on("SIGTERM", async () => {
  const cpu = process.cpuUsage(cpuAtReady);
  const loopBusy = performance.eventLoopUtilization(loopAtReady).utilization;
  await worker.stop();
  await engine.close();
  process.send?.({ commands: commandsSent(), cpuMicros: cpu.user + cpu.system, loopBusy }, () =>
    process.exit(0),
  );
});
