import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { afterEach, describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { freeLoopbackPort, type RedisServer, startRedisServer } from "./testing/redis-server.js";

// The URL given to redisStore reaches ioredis as it is: its user, password and
// rediss:// scheme decide how the store's client connects. Each case starts its own
// redis-server: the default user needs "admin-pw", and the ACL user "worker" has its
// own password, so a connection that works as "worker" used the URL's user name.
const run = promisify(execFile);
const packageDir = fileURLToPath(new URL("..", import.meta.url));
const AUTH = ["--requirepass", "admin-pw", "--user", "worker", "on", ">worker-pw", "~*", "&*", "+@all"];
const started = new TextEncoder().encode("ExecutionStarted");

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function server(args: string[]): Promise<RedisServer> {
  const redis = await startRedisServer({ appendonly: true, args });
  cleanups.push(() => redis.stop());
  return redis;
}

function admin(port: number): Redis {
  const client = new Redis({ host: "127.0.0.1", port, password: "admin-pw" });
  cleanups.push(() => client.quit());
  return client;
}

describe("redisStore({ url }) connecting", () => {
  it("authenticates with the URL's user name and password", async () => {
    const redis = await server(AUTH);
    const store = redisStore({ url: `redis://worker:worker-pw@127.0.0.1:${redis.port}`, prefix: "auth" });
    cleanups.push(() => store.close());
    await store.ready;
    expect(
      (await store.executions.create({ id: "e1", workflow: "wf", createdAt: 1_000, started })).created,
    ).toBe(true);
    const clients = await admin(redis.port).client("LIST");
    expect(String(clients)).toMatch(/ user=worker /);
    expect(await admin(redis.port).exists(new KeySpace("auth").execution("e1").record)).toBe(1);
  });

  it("authenticates the default user with a password-only URL (redis://:password@host)", async () => {
    const redis = await server(AUTH);
    const store = redisStore({ url: `redis://:admin-pw@127.0.0.1:${redis.port}`, prefix: "auth" });
    cleanups.push(() => store.close());
    await store.ready;
    expect(await store.executions.get("nothing")).toBeUndefined();
  });

  it("fails with the server's WRONGPASS error on a wrong password, in ready and in every operation", async () => {
    const redis = await server(AUTH);
    const store = redisStore({ url: `redis://worker:wrong@127.0.0.1:${redis.port}`, prefix: "auth" });
    cleanups.push(() => store.close());
    const wrongPass = "WRONGPASS invalid username-password pair or user is disabled.";
    await expect(store.ready).rejects.toThrow(wrongPass);
    await expect(store.executions.get("e1")).rejects.toThrow(wrongPass);
    await expect(
      store.executions.create({ id: "e1", workflow: "wf", createdAt: 1_000, started }),
    ).rejects.toThrow(wrongPass);
    expect(await admin(redis.port).dbsize()).toBe(0);
  });

  it("connects over TLS with a rediss:// URL carrying user and password", async (context) => {
    const dir = mkdtempSync(join(tmpdir(), "stepline-tls-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const cert = join(dir, "cert.pem");
    const key = join(dir, "key.pem");
    try {
      // A throwaway self-signed certificate for 127.0.0.1, valid for a day.
      await run("openssl", [
        ...["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"],
        ...["-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1"],
        ...["-addext", "subjectAltName=IP:127.0.0.1"],
      ]);
    } catch (error) {
      context.skip(`openssl could not make a test certificate: ${String(error).split("\n")[0]}`);
    }
    const tlsPort = await freeLoopbackPort();
    const tlsArgs = [
      ...["--tls-port", String(tlsPort), "--tls-cert-file", cert, "--tls-key-file", key],
      ...["--tls-ca-cert-file", cert, "--tls-auth-clients", "no"],
    ];
    let redis: RedisServer;
    try {
      redis = await server([...AUTH, ...tlsArgs]);
    } catch (error) {
      // A redis-server built without TLS does not know the tls-* directives.
      if (/Bad directive[\s\S]*tls-port/i.test(String(error))) {
        context.skip(`this redis-server was built without TLS support: ${String(error).split("\n")[0]}`);
      }
      throw error;
    }

    // In a child process: NODE_EXTRA_CA_CERTS is read when Node starts, and trusting the
    // certificate that way is what an application with a private CA does.
    const url = `rediss://worker:worker-pw@127.0.0.1:${tlsPort}`;
    const { stdout } = await run(
      process.execPath,
      [
        "--conditions=@stepline/source",
        "--import",
        "tsx",
        "src/testing/fixtures/open-store-by-url.ts",
        url,
        "tls",
      ],
      { cwd: packageDir, env: { ...process.env, NODE_EXTRA_CA_CERTS: cert }, timeout: 30_000 },
    ).catch((error: { stdout?: string; stderr?: string }) => {
      throw new Error(`the child failed: ${error.stdout ?? ""} ${error.stderr ?? ""}`);
    });
    // The TLS port speaks only TLS and the default user needs another password: the
    // store connected with TLS, verified the certificate, and logged in as "worker".
    expect(JSON.parse(stdout.trim())).toEqual({ created: true, status: "running", warnings: [] });
    expect(await admin(redis.port).exists(new KeySpace("tls").execution("e1").record)).toBe(1);
  });
});
