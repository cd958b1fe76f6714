/**
 * Redis outage: redis-server is stopped (SIGTERM, AOF with appendfsync always) while
 * two worker processes run executions, and started again ~3 s later on the same port
 * and data directory. The workers must reconnect on their own (ioredis retries; leases
 * that expired meanwhile are recovered), and every execution must complete once.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type JournalEvent } from "@stepline/core";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { redisStore } from "../redis-store.js";
import { type RedisServer, startRedisServer } from "../testing/redis-server.js";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";
import type { WorkerConfig } from "./fixtures/fault-worker.js";
import { countedSteps, countedStepsOutput } from "./fixtures/fault-workflows.js";
import { countJournals, readBodyRuns } from "./history-checks.js";

const EXECUTIONS = 200;
const STEPS = 5;
const WORKERS = 2;
const CONCURRENCY = 25;
const LEASE_MS = 1_000;
const OUTAGE_MS = 3_000;
const PREFIX = "outage";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("a Redis outage under running workers", () => {
  it(`completes ${EXECUTIONS} executions of ${STEPS} steps when redis-server is stopped for ~${OUTAGE_MS} ms and restarted on its port and AOF`, async () => {
    const dir = mkdtempSync(join(tmpdir(), "stepline-outage-"));
    const servers: RedisServer[] = [];
    const workers: FixtureProcess[] = [];
    let admin: Redis | undefined;
    let engine: ReturnType<typeof createEngine> | undefined;
    try {
      const first = await startRedisServer({ appendonly: true, appendfsync: "always", dir });
      servers.push(first);
      // The test's own client (store and counters), quiet while the server is down.
      admin = new Redis(first.url, { enableAutoPipelining: true });
      admin.on("error", () => {});
      const config: WorkerConfig = {
        url: first.url,
        prefix: PREFIX,
        workflow: "outage",
        concurrency: CONCURRENCY,
        leaseMs: LEASE_MS,
        tag: "",
      };
      workers.push(
        ...(await Promise.all(
          Array.from({ length: WORKERS }, (_, i) =>
            spawnFixture("fault-worker.ts", [JSON.stringify({ ...config, tag: `outage-${i + 1}` })]),
          ),
        )),
      );
      const outage = countedSteps("outage", STEPS, admin);
      const store = redisStore(admin, { prefix: PREFIX });
      engine = createEngine({ store, log: () => {} });
      const ids = Array.from({ length: EXECUTIONS }, (_, i) => `outage-${String(i).padStart(3, "0")}`);
      const handles = await Promise.all(ids.map((id) => engine!.client.start(outage, null, { id })));

      // Some progress first: a fifth of all step bodies have run.
      const total = EXECUTIONS * STEPS;
      let before = 0;
      for (let waited = 0; before < total / 5; waited += 20) {
        if (waited > 20_000) throw new Error(`no progress before the outage: ${before} step bodies ran`);
        await sleep(20);
        before = (await readBodyRuns(admin, ids, STEPS)).total;
      }

      const atStop = (await readBodyRuns(admin, ids, STEPS)).total;
      const down = performance.now();
      await first.stop();
      await sleep(OUTAGE_MS);
      const second = await startRedisServer({
        appendonly: true,
        appendfsync: "always",
        dir,
        port: first.port,
      });
      servers.push(second);
      const up = performance.now();
      // When the workers' step bodies run again: ioredis reconnects with a growing backoff
      // (up to 5 s between attempts), so this may be seconds after the server is back.
      const resumed = (async () => {
        while (atStop < total && (await readBodyRuns(admin!, ids, STEPS)).total <= atStop) await sleep(20);
        return performance.now();
      })();

      const outputs = await Promise.all(handles.map((h) => h.result({ timeout: "40s" })));
      const completed = performance.now();
      const progressAgain = await resumed;

      const histories = new Map<string, JournalEvent[]>();
      for (const id of ids) histories.set(id, await engine.client.history(id));
      const counts = countJournals(histories, STEPS);
      const bodies = await readBodyRuns(admin, ids, STEPS);
      const workerErrors = workers.flatMap((w) => w.lines.filter((line) => line.startsWith("log error")));
      const refused = workers.reduce((n, w) => n + w.lines.filter((l) => l.startsWith("refused")).length, 0);
      console.log(
        `[fault] redis outage: ${EXECUTIONS} executions x ${STEPS} steps, ${WORKERS} workers (leaseMs ${LEASE_MS}); ` +
          `stopped after ${atStop}/${total} step bodies, down ${((up - down) / 1000).toFixed(2)} s ` +
          `(stop + ${OUTAGE_MS} ms + restart); step bodies ran again ${((progressAgain - up) / 1000).toFixed(2)} s ` +
          `and all done ${((completed - up) / 1000).toFixed(2)} s after the restart; ` +
          `workers alive ${workers.filter((w) => w.alive()).length}/${WORKERS}, engine errors logged ${workerErrors.length}, ` +
          `appends refused ${refused}, re-executed bodies ${bodies.total - total}, ` +
          `duplicated step results ${counts.duplicatedResults.length}`,
      );
      for (const line of workerErrors.slice(0, 5)) console.log(`  worker: ${line.slice(0, 300)}`);

      expect(before).toBeLessThan(total);
      expect(workers.every((w) => w.alive())).toBe(true);
      expect(outputs.every((output) => output === countedStepsOutput(STEPS))).toBe(true);
      expect(counts.duplicatedResults).toEqual([]);
      expect(counts.missingResults).toEqual([]);
      expect(counts.notSucceededOnce).toEqual([]);
      expect(bodies.neverRan).toBe(0);
    } finally {
      await Promise.all(workers.map((w) => w.kill()));
      await engine?.close();
      await admin?.quit().catch(() => {});
      admin?.disconnect();
      for (const server of servers) await server.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
