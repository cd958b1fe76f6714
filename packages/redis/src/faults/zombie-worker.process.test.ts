/**
 * Zombie worker: a worker process is frozen (SIGSTOP) inside a long step, past its
 * lease; a second worker takes the execution over and finishes it; then the first is
 * thawed (SIGCONT) and finishes its step. The fencing token must refuse every append of
 * the zombie: the journal stays exactly as the second worker left it.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, type JournalEvent } from "@stepline/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../redis-store.js";
import { type RedisServer, startRedisServer } from "../testing/redis-server.js";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";
import type { WorkerConfig } from "./fixtures/fault-worker.js";
import { heldStep } from "./fixtures/fault-workflows.js";

const LEASE_MS = 800;
const PREFIX = "zombie";

let server: RedisServer;
let admin: Redis;
let signalDir: string;

beforeAll(async () => {
  server = await startRedisServer({ appendonly: true, appendfsync: "always" });
  admin = new Redis(server.url);
  signalDir = mkdtempSync(join(tmpdir(), "stepline-zombie-"));
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
  rmSync(signalDir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(what: string, ready: () => boolean | Promise<boolean>, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(10);
  }
}

describe("a zombie worker on the Redis store", () => {
  it(`journals nothing from a worker frozen past its lease (${LEASE_MS} ms) once it is thawed`, async () => {
    const config = (tag: string): string =>
      JSON.stringify({
        url: server.url,
        prefix: PREFIX,
        workflow: "held",
        concurrency: 1,
        leaseMs: LEASE_MS,
        tag,
        signalDir,
      } satisfies WorkerConfig);
    const engine = createEngine({ store: redisStore({ url: server.url, prefix: PREFIX }), log: () => {} });
    const processes: FixtureProcess[] = [];
    try {
      const zombie = await spawnFixture("fault-worker.ts", [config("zombie")]);
      processes.push(zombie);
      const run = await engine.client.start(heldStep(signalDir, "test"), null, { id: "zombie-1" });

      // The zombie is inside "hold" (op 1), and its StepScheduled is journaled.
      await until("the first worker is inside the held step", async () => {
        if (!existsSync(join(signalDir, "entered-zombie"))) return false;
        return (await run.history()).some((e) => e.type === "StepScheduled" && e.op === 1);
      });
      zombie.signal("SIGSTOP");
      const frozen = performance.now();
      await sleep(LEASE_MS + 400);

      const rescuer = await spawnFixture("fault-worker.ts", [config("rescuer")]);
      processes.push(rescuer);
      await until("the second worker is inside the held step", () =>
        existsSync(join(signalDir, "entered-rescuer")),
      );
      writeFileSync(join(signalDir, "release"), "");
      expect(await run.result({ timeout: "10s" })).toBe("held-by-rescuer");
      const finished = await run.history();

      zombie.signal("SIGCONT");
      const thawed = performance.now();
      const refusedLine = await zombie
        .waitForLine((line) => line.startsWith("refused"), 5_000)
        .catch(() => undefined);
      // Time for anything else the zombie might write: a renewal, a release.
      await sleep(LEASE_MS);
      const after = await run.history();
      const refused = zombie.lines.filter((line) => line.startsWith("refused")).length;

      const succeeded = (history: JournalEvent[]) =>
        history.filter((e) => e.type === "StepSucceeded").map((e) => (e as { op: number }).op);
      const zombieEvents = after.filter((e) => JSON.stringify(e).includes("held-by-zombie"));
      console.log(
        `[fault] zombie worker: frozen ${((thawed - frozen) / 1000).toFixed(2)} s (leaseMs ${LEASE_MS}); ` +
          `appends refused after SIGCONT ${refused}; events journaled under the stale token ` +
          `${after.length - finished.length + zombieEvents.length}; journal ${after.length} events, ` +
          `StepSucceeded ops [${succeeded(after).join(",")}], zombie alive ${zombie.alive()}`,
      );

      expect(refusedLine).toBeDefined();
      expect(refused).toBeGreaterThanOrEqual(1);
      expect(zombieEvents).toEqual([]);
      expect(after).toEqual(finished);
      expect(succeeded(after).sort()).toEqual([0, 1, 2]);
      expect(after.filter((e) => e.type === "ExecutionSucceeded")).toHaveLength(1);
      expect(after.filter((e) => e.type === "StepSucceeded" && e.op === 1)).toMatchObject([
        { result: "held-by-rescuer" },
      ]);
      expect(zombie.alive()).toBe(true);
    } finally {
      for (const child of processes) child.signal("SIGCONT");
      await Promise.all(processes.map((child) => child.kill()));
      await engine.close();
    }
  }, 60_000);
});
