import { InvalidArgumentError } from "@stepline/core";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { type RedisStore, redisStore } from "./redis-store.js";
import { type RedisServer, type RedisServerOptions, startRedisServer } from "./testing/redis-server.js";
import { UnsafeRedisConfigError } from "./unsafe-redis-config-error.js";

// Each case starts its own redis-server with the settings under test, so that no case
// sees another's CONFIG SET and every warning names a server of its own.
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(options: RedisServerOptions): Promise<RedisServer> {
  const started = await startRedisServer(options);
  cleanups.push(() => started.stop());
  return started;
}

/** A store on `url` whose warnings land in `lines`. */
function storeOn(url: string, options: { onUnsafeConfig?: "warn" | "refuse" } = {}) {
  const lines: string[] = [];
  const store: RedisStore = redisStore({ url }, { ...options, log: (line) => lines.push(line) });
  cleanups.push(() => store.close());
  return { store, lines };
}

const started = new TextEncoder().encode("ExecutionStarted");
const create = (store: RedisStore, id: string) =>
  store.executions.create({ id, workflow: "wf", createdAt: 1_000, started });

/** Persistence on and noeviction (Redis's default): nothing to warn about. */
const SAFE: RedisServerOptions = { appendonly: true };

describe("redisStore startup checks", () => {
  it("says nothing about a server with noeviction and persistence, or with save rules only", async () => {
    const aof = await server(SAFE);
    const rdb = await server({ args: ["--save", "3600 1"] });
    for (const { url } of [aof, rdb]) {
      const { store, lines } = storeOn(url);
      await store.ready;
      expect(lines).toEqual([]);
    }
  });

  it("warns in one line when maxmemory-policy may evict keys, naming the server and the fix", async () => {
    const redis = await server({ ...SAFE, args: ["--maxmemory-policy", "allkeys-lru"] });
    const { store, lines } = storeOn(redis.url);
    await store.ready;
    expect(lines).toEqual([
      `@stepline/redis: Redis at 127.0.0.1:${redis.port} has maxmemory-policy allkeys-lru: it may evict keys ` +
        "when memory runs out, and an evicted key is a lost execution (fix: CONFIG SET maxmemory-policy noeviction).",
    ]);
    // A warning, not a refusal: the store works.
    expect((await create(store, "e1")).created).toBe(true);
  });

  it("warns in one line when the server keeps nothing across a restart (appendonly no, no save rules)", async () => {
    const redis = await server({ args: ["--appendonly", "no", "--save", ""] });
    const { store, lines } = storeOn(redis.url);
    await store.ready;
    expect(lines).toEqual([
      `@stepline/redis: Redis at 127.0.0.1:${redis.port} runs without persistence (appendonly no, no save rules): ` +
        "a restart loses every execution (fix: CONFIG SET appendonly yes).",
    ]);
  });

  it("says a line once per log function, however many stores share it", async () => {
    const redis = await server({ args: ["--maxmemory-policy", "volatile-lru"] });
    const lines: string[] = [];
    const log = (line: string) => lines.push(line);
    for (let i = 0; i < 3; i++) {
      const store = redisStore({ url: redis.url }, { log });
      cleanups.push(() => store.close());
      await store.ready;
    }
    expect(lines).toHaveLength(2); // eviction and persistence, once each
    expect(lines[0]).toContain("maxmemory-policy volatile-lru");
    expect(lines[1]).toContain("runs without persistence");
  });

  it('refuses with UnsafeRedisConfigError under onUnsafeConfig: "refuse", then works once the server is fixed', async () => {
    const redis = await server({ args: ["--maxmemory-policy", "allkeys-lfu"] });
    const { store, lines } = storeOn(redis.url, { onUnsafeConfig: "refuse" });
    const refusal = await store.ready.then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(UnsafeRedisConfigError.is(refusal)).toBe(true);
    const error = refusal as UnsafeRedisConfigError;
    expect(error).toBeInstanceOf(UnsafeRedisConfigError);
    expect(error.name).toBe("UnsafeRedisConfigError");
    expect(error.code).toBe("STEPLINE_UNSAFE_REDIS_CONFIG");
    const node = `127.0.0.1:${redis.port}`;
    expect(error.settings).toEqual([
      { node, setting: "maxmemory-policy", found: "allkeys-lfu" },
      { node, setting: "persistence", found: "appendonly no, no save rules" },
    ]);
    expect(error.message).toBe(
      `The Redis store refuses to start: Redis at ${node} has maxmemory-policy allkeys-lfu: it may evict keys ` +
        "when memory runs out, and an evicted key is a lost execution (fix: CONFIG SET maxmemory-policy noeviction); " +
        `Redis at ${node} runs without persistence (appendonly no, no save rules): a restart loses every execution ` +
        "(fix: CONFIG SET appendonly yes). Set the same in redis.conf (or run CONFIG REWRITE) so that it survives a " +
        'restart, or pass redisStore(..., { onUnsafeConfig: "warn" }) to accept the risk. ' +
        'See the @stepline/redis README, "Running Redis for it".',
    );
    expect(lines).toEqual([]); // a refusal is thrown, not logged

    // Every operation is refused too, and writes nothing.
    await expect(create(store, "e1")).rejects.toSatisfy(UnsafeRedisConfigError.is);
    await expect(store.queue.nextDueAt(["wf"])).rejects.toSatisfy(UnsafeRedisConfigError.is);
    const admin = new Redis(redis.url);
    cleanups.push(() => admin.quit());
    expect(await admin.dbsize()).toBe(0);

    // Fixed as the message says: the next operation checks again and goes through.
    await admin.config("SET", "maxmemory-policy", "noeviction");
    await admin.config("SET", "appendonly", "yes");
    expect((await create(store, "e1")).created).toBe(true);
    expect(lines).toEqual([]);
    // Redis refuses SIGTERM while it writes the first append-only file: let it finish.
    while (/aof_rewrite_(in_progress|scheduled):1/.test(await admin.info("persistence"))) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });

  it("refuses a server with one unsafe setting and accepts a safe one under refuse", async () => {
    const unsafe = await server({ args: ["--appendonly", "no", "--save", ""] });
    const refused = storeOn(unsafe.url, { onUnsafeConfig: "refuse" });
    await expect(refused.store.ready).rejects.toThrow(/runs without persistence.*CONFIG SET appendonly yes/);
    expect((await refused.store.ready.catch((e: UnsafeRedisConfigError) => e))?.settings).toHaveLength(1);

    const safe = await server(SAFE);
    const accepted = storeOn(safe.url, { onUnsafeConfig: "refuse" });
    await accepted.store.ready;
    expect((await create(accepted.store, "e1")).created).toBe(true);
  });

  it("warns once that the checks could not run when CONFIG is renamed away, and works even under refuse", async () => {
    // What managed Redis services do: CONFIG is renamed or gone.
    const redis = await server({ args: ["--rename-command", "CONFIG", ""] });
    for (const onUnsafeConfig of ["warn", "refuse"] as const) {
      const { store, lines } = storeOn(redis.url, { onUnsafeConfig });
      await store.ready;
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^@stepline/redis: could not check the settings of Redis at 127\\.0\\.0\\.1:${redis.port}: ` +
            "CONFIG GET was refused \\(ERR unknown command 'config'.*\\)\\. Make sure yourself that " +
            "maxmemory-policy is noeviction and appendonly is yes, or allow the check " +
            "\\(ACL SETUSER <user> \\+config\\|get\\)\\.$",
        ),
      );
      expect((await create(store, `e-${onUnsafeConfig}`)).created).toBe(true);
    }
  });

  it("warns once that the checks could not run for an ACL user without +config, connected by URL", async () => {
    const redis = await server({
      args: ["--user", "worker", "on", ">worker-pw", "~*", "&*", "+@all", "-config"],
    });
    const { store, lines } = storeOn(`redis://worker:worker-pw@127.0.0.1:${redis.port}`);
    await store.ready;
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(
      `could not check the settings of Redis at 127.0.0.1:${redis.port}: CONFIG GET was refused (NOPERM`,
    );
    expect((await create(store, "e1")).created).toBe(true);
  });

  it("rejects an unknown onUnsafeConfig before it connects", () => {
    expect(() => redisStore({ url: "redis://127.0.0.1:1" }, { onUnsafeConfig: "ignore" as "warn" })).toThrow(
      InvalidArgumentError,
    );
    expect(() => redisStore({ url: "redis://127.0.0.1:1" }, { onUnsafeConfig: "ignore" as "warn" })).toThrow(
      'redisStore: onUnsafeConfig must be "warn" or "refuse", not "ignore".',
    );
  });
});
