import { redisStore } from "@stepline/redis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RedisServer, startRedisServer } from "../../redis/src/testing/redis-server.js";
import { FIXTURE_IDS, type FixtureStore, startFixtureStore } from "./testing/fixture-store.js";
import { runCli } from "./testing/run-cli.js";

let server: RedisServer;
let fixture: FixtureStore;

beforeAll(async () => {
  server = await startRedisServer();
  fixture = await startFixtureStore(redisStore({ url: server.url, prefix: "cli-test" }, { log: () => {} }));
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
  await server?.stop();
});

describe("stepline on a Redis store", () => {
  it("lists and inspects the executions of a --redis store under its --prefix", async () => {
    const list = await runCli(["list", "--redis", server.url, "--prefix", "cli-test", "--json"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout).map((e: { id: string; status: string }) => [e.id, e.status])).toEqual([
      ["approval-1", "waiting"],
      ["flaky-1", "failed"],
      ["greet-1", "succeeded"],
    ]);
    const inspect = await runCli(["inspect", FIXTURE_IDS.failed], {
      env: { STEPLINE_REDIS_URL: server.url, STEPLINE_REDIS_PREFIX: "cli-test" },
    });
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toMatch(/^status\s+failed$/m);
    expect(inspect.stdout.split("\n").filter((line) => /StepFailed\s+charge/.test(line))).toHaveLength(3);
  });

  it("sees nothing under another prefix, and names the store for an unknown id", async () => {
    const other = await runCli(["list", "--redis", server.url, "--prefix", "elsewhere"]);
    expect(other.stdout).toBe("no executions\n");
    const unknown = await runCli(["inspect", "nope", "--redis", server.url, "--prefix", "cli-test"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      `stepline inspect: no execution "nope" in Redis at ${server.url} (prefix cli-test) (stepline list shows them)\n`,
    );
  });
});
