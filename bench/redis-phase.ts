/**
 * The Redis phase of `pnpm bench`: 10-step workflows on a private redis-server (AOF on,
 * fsync every second) with 1 and with 2 worker processes, the client in this process
 * keeping 100 executions in flight.
 *
 * Figures: journaled steps/s; p50/p99 step latency (time between one step's result
 * being journaled and the next one's, from the journals of the last 200 executions);
 * the Redis commands each step costs (counted where ioredis sends them, in the workers
 * and the client: round trips, not the calls scripts make inside Redis); and the floor:
 * an ioredis pipeline sending the same number of plain commands (SET of 100 bytes),
 * as steps/s. The ratio to the floor is the engine's efficiency on Redis.
 * BENCH_REDIS_IN_FLIGHT changes the 100 executions in flight (and each worker's concurrency).
 */
import { type ChildProcess, fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createEngine, type JournalEvent } from "@stepline/core";
import { redisStore } from "@stepline/redis";
import { Redis } from "ioredis";
import { startRedisServer } from "../packages/redis/src/testing/redis-server.js";
import { countRedisCommands } from "./command-counter.js";
import type { Progress } from "./progress.js";
import { STEPS, tenSteps } from "./workflows.js";

export interface RedisResult {
  workers: number;
  stepsPerSecond: number;
  p50: number;
  p99: number;
  commandsPerStep: number;
  floorStepsPerSecond: number;
}

const IN_FLIGHT = Number(process.env.BENCH_REDIS_IN_FLIGHT ?? 100);
const commandsSent = countRedisCommands();

export async function benchRedis(progress: Progress, seconds: number): Promise<RedisResult[]> {
  const server = await startRedisServer({ appendonly: true, appendfsync: "everysec" });
  const admin = new Redis(server.url);
  const results: RedisResult[] = [];
  try {
    for (const workers of [1, 2]) {
      await admin.flushall();
      const label = `Redis, 10-step workflows, ${workers} worker process${workers === 1 ? "" : "es"}`;
      const children = await Promise.all(Array.from({ length: workers }, () => startWorker(server.url)));
      const clientBefore = commandsSent();
      const { steps, elapsed, ids } = await drive(server.url, seconds, (n) =>
        progress.update(label, n, "steps"),
      );
      progress.done(label);
      const reports = children.map((child) => once(child, "message") as Promise<[{ commands: number }]>);
      for (const child of children) child.kill("SIGTERM");
      let commands = commandsSent() - clientBefore;
      for (const [report] of await Promise.all(reports)) commands += report.commands;
      const latencies = await stepLatencies(server.url, ids.slice(-200));
      const commandsPerStep = commands / steps;
      const floor = await pipelineFloor(admin, Math.round(commands), progress);
      results.push({
        workers,
        stepsPerSecond: steps / elapsed,
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        commandsPerStep,
        floorStepsPerSecond: floor / commandsPerStep,
      });
    }
  } finally {
    admin.disconnect();
    await server.stop();
  }
  return results;
}

function startWorker(url: string): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL("redis-worker.ts", import.meta.url)), [url, String(IN_FLIGHT)], {
    execArgv: ["--conditions=@stepline/source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  return new Promise((resolve, reject) => {
    child.once("message", () => resolve(child));
    child.once("exit", (code) => reject(new Error(`bench worker exited early (${code})`)));
  });
}

/** Starts executions, IN_FLIGHT at a time, for `seconds`; returns steps done and elapsed seconds. */
async function drive(url: string, seconds: number, onProgress: (steps: number) => void) {
  const engine = createEngine({
    store: redisStore({ url, prefix: "bench" }),
    workflows: [tenSteps],
    log: () => {},
  });
  const deadline = Date.now() + seconds * 1000;
  const ids: string[] = [];
  let done = 0;
  let n = 0;
  const started = performance.now();
  const lane = async () => {
    while (Date.now() < deadline) {
      const run = await engine.client.start(tenSteps, { n: n++ });
      await run.result({ timeout: "60s" });
      ids.push(run.id);
      done++;
      onProgress(done * STEPS);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, lane));
  const elapsed = (performance.now() - started) / 1000;
  await engine.close();
  return { steps: done * STEPS, elapsed, ids };
}

/** Milliseconds between consecutive completions in each execution's journal. */
async function stepLatencies(url: string, ids: string[]): Promise<number[]> {
  const engine = createEngine({ store: redisStore({ url, prefix: "bench" }), log: () => {} });
  const latencies: number[] = [];
  for (const id of ids) {
    const history: JournalEvent[] = await engine.client.history(id);
    let previous = history[0]?.at ?? 0;
    for (const event of history) {
      if (event.type !== "StepSucceeded") continue;
      latencies.push(event.at - previous);
      previous = event.at;
    }
  }
  await engine.close();
  return latencies.sort((a, b) => a - b);
}

/** Plain commands per second through one ioredis pipeline, in batches of 1,000. */
async function pipelineFloor(admin: Redis, commands: number, progress: Progress): Promise<number> {
  const value = "x".repeat(100);
  const label = `ioredis pipeline floor, ${commands.toLocaleString("en-US")} SETs`;
  const started = performance.now();
  for (let sent = 0; sent < commands; ) {
    const pipeline = admin.pipeline();
    const batch = Math.min(1_000, commands - sent);
    for (let i = 0; i < batch; i++) pipeline.set(`floor:${(sent + i) % 10_000}`, value);
    await pipeline.exec();
    sent += batch;
    progress.update(label, sent, "commands");
  }
  progress.done(label);
  return commands / ((performance.now() - started) / 1000);
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}
