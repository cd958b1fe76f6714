/**
 * Kill storm: worker processes SIGKILLed at random while 1,000 executions run. Every
 * execution must complete, no step result may be journaled twice, and the step bodies
 * run again only for the executions the killed workers held: at most kills x concurrency.
 * The storm stops after MAX_KILLS kills (a quiet machine finishes before that): on a
 * loaded one, where each replacement worker takes seconds to start, kills every second
 * would otherwise outpace the work, and the test would measure the machine, not the store.
 */
import { createEngine, type JournalEvent } from "@stepline/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../redis-store.js";
import { type RedisServer, startRedisServer } from "../testing/redis-server.js";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";
import type { WorkerConfig } from "./fixtures/fault-worker.js";
import { countedSteps, countedStepsOutput } from "./fixtures/fault-workflows.js";
import { countJournals, readBodyRuns } from "./history-checks.js";

const EXECUTIONS = 1_000;
const STEPS = 10;
const WORKERS = 4;
const CONCURRENCY = 25;
const LEASE_MS = 1_000;
const KILL_EVERY_MS = 1_000;
const MAX_KILLS = 30;
const PREFIX = "storm";

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  // The workers die here, not Redis; AOF on anyway, as a deployment would run it.
  server = await startRedisServer({ appendonly: true, appendfsync: "always" });
  admin = new Redis(server.url);
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

describe("a kill storm on the Redis store", () => {
  it(`completes ${EXECUTIONS} executions of ${STEPS} steps while a random one of ${WORKERS} workers is SIGKILLed every ${KILL_EVERY_MS} ms`, async () => {
    const config: WorkerConfig = {
      url: server.url,
      prefix: PREFIX,
      workflow: "storm",
      concurrency: CONCURRENCY,
      leaseMs: LEASE_MS,
      tag: "",
    };
    let spawned = 0;
    const spawnWorker = () =>
      spawnFixture("fault-worker.ts", [JSON.stringify({ ...config, tag: `storm-${++spawned}` })], {
        waitReady: false,
      });
    const workers: FixtureProcess[] = await Promise.all(Array.from({ length: WORKERS }, spawnWorker));
    const everyWorker = new Set(workers);
    const storm = countedSteps("storm", STEPS, admin);
    const engine = createEngine({ store: redisStore({ url: server.url, prefix: PREFIX }), log: () => {} });
    let kills = 0;
    let stormOn = true;
    try {
      await Promise.all(workers.map((w) => w.waitForLine((line) => line === "ready", 20_000)));
      const started = performance.now();
      const ids = Array.from({ length: EXECUTIONS }, (_, i) => `storm-${String(i).padStart(4, "0")}`);
      const handles = await Promise.all(ids.map((id) => engine.client.start(storm, null, { id })));

      // Every KILL_EVERY_MS: SIGKILL a random worker by PID and start another in its place.
      const killer = (async () => {
        while (stormOn && kills < MAX_KILLS) {
          await new Promise((resolve) => setTimeout(resolve, KILL_EVERY_MS));
          if (!stormOn) break;
          const slot = Math.floor(Math.random() * WORKERS);
          const victim = workers[slot]!;
          if (victim.alive()) kills++;
          await victim.kill();
          const replacement = await spawnWorker();
          everyWorker.add(replacement);
          workers[slot] = replacement;
        }
      })();
      let outputs: number[];
      try {
        outputs = await Promise.all(handles.map((h) => h.result({ timeout: "120s" })));
      } finally {
        stormOn = false;
        await killer;
      }
      const seconds = (performance.now() - started) / 1000;

      const histories = new Map<string, JournalEvent[]>();
      for (const id of ids) histories.set(id, await engine.client.history(id));
      const counts = countJournals(histories, STEPS);
      const bodies = await readBodyRuns(admin, ids, STEPS);
      const reExecuted = bodies.total - STEPS * EXECUTIONS;
      console.log(
        `[fault] kill storm: ${EXECUTIONS} executions x ${STEPS} steps, ${WORKERS} workers (concurrency ${CONCURRENCY}, ` +
          `leaseMs ${LEASE_MS}), ${kills} kills, all done in ${seconds.toFixed(1)} s; body runs ${bodies.total}, ` +
          `re-executed ${reExecuted} (bound kills x concurrency = ${kills * CONCURRENCY}), ` +
          `retried attempts journaled ${counts.retriedAttempts}, duplicated step results ${counts.duplicatedResults.length}`,
      );

      expect(outputs.every((output) => output === countedStepsOutput(STEPS))).toBe(true);
      expect(counts.duplicatedResults).toEqual([]);
      expect(counts.missingResults).toEqual([]);
      expect(counts.notSucceededOnce).toEqual([]);
      expect(bodies.neverRan).toBe(0);
      expect(kills).toBeGreaterThan(0);
      expect(reExecuted).toBeGreaterThanOrEqual(0);
      expect(reExecuted).toBeLessThanOrEqual(kills * CONCURRENCY);
    } finally {
      stormOn = false;
      await Promise.all([...everyWorker].map((w) => w.kill()));
      await engine.close();
    }
  }, 180_000);
});
