import { redisStore } from "@stepline/redis";
import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../redis/src/testing/redis-server.js";
import { DEPLOY_FIXTURE, seedDeployStore } from "./testing/fixture-deploy-store.js";
import { runCli } from "./testing/run-cli.js";

const NEW = "packages/cli/src/testing/fixture-deploy-new.ts";
const PREFIX = "check-deploy";
let server: RedisServer;

beforeAll(async () => {
  server = await startRedisServer();
  await seedDeployStore(() => redisStore({ url: server.url, prefix: PREFIX }, { log: () => {} }));
}, 60_000);

/** Every key of the server with its DUMP, for "nothing written". */
async function snapshot(): Promise<[string, string][]> {
  const redis = new Redis(server.url);
  try {
    const keys = (await redis.keys("*")).sort();
    const dumps = await Promise.all(keys.map((key) => redis.dumpBuffer(key)));
    return keys.map((key, i) => [key, dumps[i]?.toString("hex") ?? ""]);
  } finally {
    redis.disconnect();
  }
}

afterAll(async () => {
  await server?.stop();
});

describe("stepline check-deploy on a Redis store", () => {
  it("finds the same incompatible executions as on LMDB, and writes nothing", async () => {
    const before = await snapshot();
    expect(before.length).toBeGreaterThan(20);
    const run = await runCli([
      "check-deploy",
      "--workflows",
      NEW,
      "--include-finished",
      "1",
      "--json",
      "--redis",
      server.url,
      "--prefix",
      PREFIX,
    ]);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(report.checked).toBe(9);
    expect(report.executions.map((e: { id: string }) => e.id).sort()).toEqual(
      Object.entries(DEPLOY_FIXTURE)
        .filter(([, e]) => !e.compatible)
        .map(([id]) => id)
        .sort(),
    );
    expect(report.executions.find((e: { id: string }) => e.id === "ship-old").source).toEqual({
      file: NEW,
      line: 38,
      column: 9,
      of: "requested",
    });
    expect(report.skipped).toEqual([{ workflow: "legacy", executions: 1 }]);
    expect(await snapshot()).toEqual(before);
  }, 60_000);
});
