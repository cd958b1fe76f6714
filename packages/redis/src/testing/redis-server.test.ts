import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { startRedisServer } from "./redis-server.js";

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("startRedisServer", () => {
  it("starts a private server on loopback and stops exactly that process, removing its directory", async () => {
    const server = await startRedisServer({ appendonly: true, appendfsync: "always" });
    const client = new Redis(server.url);
    try {
      expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
      expect(await client.config("GET", "appendonly")).toEqual(["appendonly", "yes"]);
      expect(await client.config("GET", "appendfsync")).toEqual(["appendfsync", "always"]);
      expect(await client.config("GET", "dir")).toEqual(["dir", expect.stringContaining("stepline-redis-")]);
      expect(Number((await client.info("server")).match(/process_id:(\d+)/)?.[1])).toBe(server.pid);
    } finally {
      client.disconnect();
      await server.stop();
    }
    expect(isRunning(server.pid)).toBe(false);
    expect(existsSync(server.dir)).toBe(false);
    await server.stop();
  });

  it("passes extra arguments through, and waits for a server that needs a password", async () => {
    const server = await startRedisServer({
      args: ["--maxmemory-policy", "allkeys-lru", "--requirepass", "pw"],
    });
    const client = new Redis({ port: server.port, password: "pw" });
    try {
      expect(await client.config("GET", "maxmemory-policy")).toEqual(["maxmemory-policy", "allkeys-lru"]);
    } finally {
      client.disconnect();
      await server.stop();
    }
  });

  it("says in one line how to install redis-server when it is missing", async () => {
    process.env.PATH = "/nonexistent";
    const error = await startRedisServer().catch((e: unknown) => e as Error);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      "redis-server is not installed: apt-get install redis-server (the Redis tests start their own server)",
    );
  });
});
