import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";

/** A redis-server this test process started, on a loopback port, with its own data directory. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Its data directory (removed by `stop`, unless it was given as `options.dir`). */
  readonly dir: string;
  /** Stops it by PID (SIGTERM, then SIGKILL after 5 s) and removes its own directory. Harmless twice. */
  stop(): Promise<void>;
}

export interface RedisServerOptions {
  /** Append-only file persistence. Default false (no persistence at all: tests are throwaway). */
  appendonly?: boolean;
  /** fsync policy of the append-only file. Default "everysec". */
  appendfsync?: "always" | "everysec";
  /**
   * More command-line arguments, after the helper's own (a later one wins), e.g.
   * `["--maxmemory-policy", "allkeys-lru"]` or `["--rename-command", "CONFIG", ""]`.
   */
  args?: readonly string[];
  /**
   * Listen on this port instead of a free one (one attempt: the start fails if it is
   * taken). With `dir`, starts a stopped server again where its clients look for it.
   */
  port?: number;
  /**
   * Use this data directory instead of a fresh temporary one. It stays the caller's:
   * `stop` leaves it, so a server started again on it reloads its append-only file.
   */
  dir?: string;
}

const NOT_INSTALLED =
  "redis-server is not installed: apt-get install redis-server (the Redis tests start their own server)";

/**
 * Starts a private redis-server for a test file: a free port on 127.0.0.1, a fresh
 * temporary directory, no RDB snapshots, in the foreground of a child process. It never
 * relies on (or touches) a server someone else left running, and `stop` ends exactly
 * the process it started, by PID.
 *
 * @example
 * const server = await startRedisServer();
 * const store = redisStore({ url: server.url });
 * // ...
 * await server.stop();
 */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = findOnPath("redis-server");
  if (!binary) throw new Error(NOT_INSTALLED);
  // The port is free when we look and taken by redis-server a moment later; another
  // process can slip in between, so a start that fails to bind is tried again.
  let lastError: unknown;
  for (let attempt = 0; attempt < (options.port === undefined ? 3 : 1); attempt++) {
    const port = options.port ?? (await freeLoopbackPort());
    const dir = options.dir ?? mkdtempSync(join(tmpdir(), "stepline-redis-"));
    try {
      return await launch(binary, port, dir, options);
    } catch (error) {
      if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
      lastError = error;
    }
  }
  throw lastError;
}

async function launch(binary: string, port: number, dir: string, options: RedisServerOptions) {
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--dir",
    dir,
    "--save",
    "",
    "--appendonly",
    options.appendonly ? "yes" : "no",
    "--appendfsync",
    options.appendfsync ?? "everysec",
    "--daemonize",
    "no",
    "--loglevel",
    "warning",
    ...(options.args ?? []),
  ];
  const child = spawn(binary, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const collect = (chunk: Buffer) => {
    if (output.length < 8_000) output += chunk.toString();
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  const exited = once(child, "exit");
  const pid = child.pid;
  if (pid === undefined) {
    await once(child, "error").catch(() => {});
    throw new Error(`redis-server did not start: ${output.trim() || "no PID"}`);
  }
  const stop = stopper(child, pid, options.dir === undefined ? dir : undefined);
  const ready = await Promise.race([
    waitForPong(port, 10_000).then(
      () => true,
      async (error: unknown) => {
        // Never leave behind a server that does not answer.
        await stop();
        throw error;
      },
    ),
    exited.then(() => false),
  ]);
  if (!ready) {
    await stop();
    throw new Error(`redis-server on port ${port} exited before answering PING: ${output.trim()}`);
  }
  return { url: `redis://127.0.0.1:${port}`, port, pid, dir, stop };
}

/** Stops the child by PID, then removes `ownDir` if given (a directory this module made). */
function stopper(child: ChildProcess, pid: number, ownDir: string | undefined): () => Promise<void> {
  let stopping: Promise<void> | undefined;
  return () => {
    stopping ??= (async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = once(child, "exit");
        process.kill(pid, "SIGTERM");
        const timer = setTimeout(() => {
          if (child.exitCode === null && child.signalCode === null) process.kill(pid, "SIGKILL");
        }, 5_000);
        await exited;
        clearTimeout(timer);
      }
      if (ownDir !== undefined) rmSync(ownDir, { recursive: true, force: true });
    })();
    return stopping;
  };
}

function findOnPath(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** A port that was free on 127.0.0.1 a moment ago: bind port 0, read it, close. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error("no port assigned"))));
    });
  });
}

async function waitForPong(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ping(port)) return;
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** True once the server answers: PONG, or NOAUTH from a server that needs a password. */
async function ping(port: number): Promise<boolean> {
  return /^(\+PONG|-NOAUTH)/.test(await command(port, "PING").catch(() => ""));
}

/**
 * Sends one inline command on a fresh connection and returns the raw reply (a bulk
 * reply whole), without a client library: the helper must work before any client can.
 */
function command(port: number, line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: "127.0.0.1", port });
    let reply = "";
    const complete = () => {
      const bulk = /^\$(\d+)\r\n/.exec(reply);
      if (bulk) return reply.length >= bulk[0].length + Number(bulk[1]) + 2;
      return reply.includes("\r\n");
    };
    socket.setTimeout(1_000, () => {
      socket.destroy();
      reject(new Error(`no reply to ${line}`));
    });
    socket.on("error", (error) => {
      socket.destroy();
      reject(error);
    });
    socket.on("connect", () => socket.write(`${line}\r\n`));
    socket.on("data", (chunk) => {
      reply += chunk.toString();
      if (complete()) {
        socket.destroy();
        resolve(reply);
      }
    });
  });
}
