/**
 * Where the Redis phase's time goes: runs 10-step workflows for 4 s with one worker
 * process and 100 executions in flight (as bench/redis-phase.ts does), and prints
 * steps/s with the CPU share of redis-server (INFO cpu), of this client process and
 * of the worker process (process.cpuUsage(), reported by the worker).
 *
 * Run from the top of the repository: `pnpm --filter @stepline/bench run redis-cpu`.
 */
import { fork } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { createEngine } from "@stepline/core";
import { redisStore } from "@stepline/redis";
import { Redis } from "ioredis";
import { startRedisServer } from "../packages/redis/src/testing/redis-server.js";
import { tenSteps } from "./workflows.js";

const SECONDS = 4;
const server = await startRedisServer({ appendonly: true, appendfsync: "everysec" });
const admin = new Redis(server.url);
const worker = fork(fileURLToPath(new URL("redis-worker.ts", import.meta.url)), [server.url, "100"], {
  execArgv: ["--conditions=@stepline/source", "--import", "tsx"],
});
await once(worker, "message");
const redisCpu = async () => {
  const info = await admin.info("cpu");
  return Number(/used_cpu_user:([\d.]+)/.exec(info)?.[1]) + Number(/used_cpu_sys:([\d.]+)/.exec(info)?.[1]);
};
const engine = createEngine({
  store: redisStore({ url: server.url, prefix: "bench" }),
  workflows: [tenSteps],
  log: () => {},
});
const redisBefore = await redisCpu();
const clientBefore = process.cpuUsage();
const started = performance.now();
const deadline = Date.now() + SECONDS * 1000;
let done = 0;
let n = 0;
await Promise.all(
  Array.from({ length: 100 }, async () => {
    while (Date.now() < deadline) {
      await (await engine.client.start(tenSteps, { n: n++ })).result();
      done++;
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
const redisShare = (await redisCpu()) - redisBefore;
const client = process.cpuUsage(clientBefore);
const report = once(worker, "message") as Promise<[{ commands: number; cpuMicros: number }]>;
worker.kill("SIGTERM");
const [{ cpuMicros }] = await report;
const percent = (cpuSeconds: number) => `${Math.round((cpuSeconds / seconds) * 100)}%`;
console.log(
  `${Math.round((done * 10) / seconds)} steps/s; CPU of a core: redis-server ${percent(redisShare)}, ` +
    `client ${percent((client.user + client.system) / 1e6)}, worker ${percent(cpuMicros / 1e6)} ` +
    "(the worker's share covers its whole life, start-up included)",
);
await engine.close();
admin.disconnect();
await server.stop();
