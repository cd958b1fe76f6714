/**
 * Where the Redis phase's time goes: runs 10-step workflows for 4 s with one worker
 * process and 100 executions in flight (as bench/redis-phase.ts does), and prints
 * steps/s, and the CPU each process used per step and as a share of one core:
 * redis-server (INFO cpu), this client process and the worker process
 * (process.cpuUsage() from when it was ready, reported by the worker), with how busy
 * the worker's event loop was.
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
const redisSeconds = (await redisCpu()) - redisBefore;
const client = process.cpuUsage(clientBefore);
const report = once(worker, "message") as Promise<[{ cpuMicros: number; loopBusy: number }]>;
worker.kill("SIGTERM");
const [{ cpuMicros, loopBusy }] = await report;
const steps = done * 10;
const perStep = (micros: number) => `${Math.round(micros / steps)} us`;
const share = (micros: number) => `${Math.round((micros / 1e6 / seconds) * 100)}%`;
const clientMicros = client.user + client.system;
console.log(`${Math.round(steps / seconds)} steps/s in ${SECONDS} s`);
console.log(
  `CPU per step: redis-server ${perStep(redisSeconds * 1e6)}, client ${perStep(clientMicros)}, ` +
    `worker ${perStep(cpuMicros)}`,
);
console.log(
  `CPU of a core: redis-server ${share(redisSeconds * 1e6)}, client ${share(clientMicros)}, ` +
    `worker ${share(cpuMicros)}; the worker's event loop was busy ${Math.round(loopBusy * 100)}% of the time`,
);
await engine.close();
admin.disconnect();
await server.stop();
