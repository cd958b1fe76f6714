import { Redis } from "ioredis";
import { afterAll, beforeAll } from "vitest";
import { type RedisServer, startRedisServer } from "./redis-server.js";

/**
 * A redis-server of the test file's own (started in `beforeAll` on a free loopback
 * port, stopped by its PID in `afterAll`) and an admin connection to it.
 *
 * @example
 * const redis = useRedisServer();
 * it("...", async () => {
 *   const store = redisStore({ url: redis.server.url, prefix: "t1" });
 *   await redis.admin.keys("t1*");
 * });
 */
export function useRedisServer(): { readonly server: RedisServer; readonly admin: Redis } {
  let server: RedisServer | undefined;
  let admin: Redis | undefined;
  beforeAll(async () => {
    server = await startRedisServer();
    admin = new Redis(server.url);
  });
  afterAll(async () => {
    await admin?.quit();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined)
      throw new Error("useRedisServer: the server starts in beforeAll; use it in tests");
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get admin() {
      return started(admin);
    },
  };
}
