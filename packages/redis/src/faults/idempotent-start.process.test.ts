/**
 * Idempotent start: several processes start one execution id at the same moment, many
 * times each. Exactly one execution must exist, with one ExecutionStarted, and every
 * call must return that id.
 */
import { createEngine } from "@stepline/core";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redisStore } from "../redis-store.js";
import { type RedisServer, startRedisServer } from "../testing/redis-server.js";
import { type FixtureProcess, spawnFixture } from "./fixture-process.js";

const PROCESSES = 4;
const CALLS = 100;
const ID = "same-id";
const PREFIX = "idem";

let server: RedisServer;
let admin: Redis;

beforeAll(async () => {
  server = await startRedisServer({ appendonly: true, appendfsync: "always" });
  admin = new Redis(server.url);
});

afterAll(async () => {
  await admin?.quit();
  await server?.stop();
});

interface StartReport {
  ids: string[];
  created: number;
  errors: string[];
}

describe("an idempotent start on the Redis store", () => {
  it(`creates one execution when ${PROCESSES} processes each start id "${ID}" ${CALLS} times at once`, async () => {
    const engine = createEngine({ store: redisStore({ url: server.url, prefix: PREFIX }), log: () => {} });
    const starters: FixtureProcess[] = [];
    try {
      starters.push(
        ...(await Promise.all(
          Array.from({ length: PROCESSES }, (_, caller) =>
            spawnFixture("start-same-id.ts", [server.url, PREFIX, ID, String(CALLS), String(caller)]),
          ),
        )),
      );
      const subscribers = await admin.publish("go", "now");
      const reports = await Promise.all(
        starters.map(async (starter) => {
          const line = await starter.waitForLine((l) => l.startsWith("result "), 20_000);
          return JSON.parse(line.slice("result ".length)) as StartReport;
        }),
      );

      const ids = reports.flatMap((r) => r.ids);
      const errors = reports.flatMap((r) => r.errors);
      const created = reports.reduce((n, r) => n + r.created, 0);
      const listed = await engine.client.list();
      const history = await engine.client.history(ID);
      const started = history.filter((e) => e.type === "ExecutionStarted");
      console.log(
        `[fault] idempotent start: ${PROCESSES} processes x ${CALLS} concurrent starts of "${ID}": ` +
          `${ids.length} calls returned, ${ids.filter((id) => id === ID).length} with "${ID}", ${errors.length} errors; ` +
          `creates reported new ${created}; executions listed ${listed.length}; ExecutionStarted ${started.length}; ` +
          `journal ${history.length} events`,
      );

      expect(subscribers).toBe(PROCESSES);
      expect(errors).toEqual([]);
      expect(ids).toHaveLength(PROCESSES * CALLS);
      expect(ids.every((id) => id === ID)).toBe(true);
      expect(created).toBe(1);
      expect(listed.map((e) => e.id)).toEqual([ID]);
      expect(started).toHaveLength(1);
      expect(history).toHaveLength(1);
    } finally {
      await Promise.all(starters.map((starter) => starter.kill()));
      await engine.close();
    }
  }, 60_000);
});
