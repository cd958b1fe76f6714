import { existsSync } from "node:fs";
import { isAbsolute, relative, resolve } from "node:path";
import { type Store, StoreOpenError } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { redisStore } from "@stepline/redis";
import { Redis } from "ioredis";
import { CliError, usageError } from "../cli-error.js";

/** Where the store is, from `--store` / `--redis` / `--prefix` or the environment. */
export interface StoreLocation {
  /** `--redis` or STEPLINE_REDIS_URL. */
  redisUrl?: string;
  /** `--prefix` or STEPLINE_REDIS_PREFIX: the Redis key prefix. */
  redisPrefix?: string;
  /** `--store` or STEPLINE_STORE, resolved; default `.stepline` in the working directory. */
  path: string;
  /** `path` as messages name it: relative to the working directory when inside it. */
  shownPath: string;
}

/** An open store and how to name it in messages. */
export interface OpenedStore {
  store: Store;
  /** `the store at .stepline` or `Redis at redis://127.0.0.1:6379`. */
  label: string;
  close(): Promise<void>;
}

/** The default LMDB store directory, relative to the working directory. */
export const DEFAULT_STORE_PATH = ".stepline";

/**
 * Resolves the store location: flags first, then STEPLINE_REDIS_URL /
 * STEPLINE_REDIS_PREFIX / STEPLINE_STORE, then `.stepline`. `--store` and `--redis`
 * together are a usage error.
 *
 * @example
 * storeLocation({ store: "data" }, process.env, process.cwd()); // { path: "/cwd/data" }
 */
export function storeLocation(
  flags: { store?: string; redis?: string; prefix?: string },
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): StoreLocation {
  if (flags.store !== undefined && flags.redis !== undefined) {
    throw usageError("--store and --redis name two stores: pass one");
  }
  const redisUrl = flags.redis ?? (flags.store === undefined ? env.STEPLINE_REDIS_URL : undefined);
  const path = resolve(cwd, flags.store ?? env.STEPLINE_STORE ?? DEFAULT_STORE_PATH);
  const inside = relative(cwd, path);
  const shownPath = inside !== "" && !inside.startsWith("..") && !isAbsolute(inside) ? inside : path;
  const redisPrefix = flags.prefix ?? env.STEPLINE_REDIS_PREFIX;
  return {
    path,
    shownPath,
    ...(redisUrl ? { redisUrl } : {}),
    ...(redisPrefix ? { redisPrefix } : {}),
  };
}

/**
 * Opens the store. An LMDB directory that does not exist is an error unless `create`
 * (commands that only read must not leave an empty store behind); `readOnly` opens
 * an LMDB store for reading only; a Redis server that
 * does not answer within 3 s is an error, reported in one line.
 *
 * @example
 * const opened = await openStore(storeLocation({}, process.env, process.cwd()), { create: false, log });
 * try { ... } finally { await opened.close(); }
 */
export async function openStore(
  location: StoreLocation,
  options: { create: boolean; readOnly?: boolean | "if-unwritable"; log: (line: string) => void },
): Promise<OpenedStore> {
  if (location.redisUrl) return openRedis(location.redisUrl, location.redisPrefix, options.log);
  const label = `the store at ${location.shownPath}`;
  if (!options.create && !existsSync(location.path)) {
    throw new CliError(
      `no store at ${location.shownPath}: run a workflow there first, or pass --store PATH or --redis URL`,
    );
  }
  let store: Store;
  try {
    // Read-only opens create and write nothing, so they work on a store this user may
    // not write or on a read-only file system (docs/inspect.md, "Read-only stores").
    store = lmdbStore(location.path, { readOnly: options.readOnly === true });
  } catch (error) {
    if (options.readOnly === "if-unwritable" && isUnwritable(error)) {
      options.log(
        `${label} is not writable here, so it is open read-only: sending events and cancelling fail`,
      );
      return openStore(location, { ...options, readOnly: true });
    }
    // StoreOpenError already names the path and the fix.
    if (StoreOpenError.is(error)) throw new CliError(error.message);
    throw new CliError(`cannot open ${label}: ${(error as Error).message}`);
  }
  return { store, label, close: () => store.close() };
}

async function openRedis(
  url: string,
  prefix: string | undefined,
  log: (line: string) => void,
): Promise<OpenedStore> {
  const label = `Redis at ${redactUrl(url)}${prefix ? ` (prefix ${prefix})` : ""}`;
  let connected = false;
  let client: Redis;
  try {
    client = new Redis(url, {
      lazyConnect: true,
      enableAutoPipelining: true,
      connectTimeout: 3_000,
      // Give up at once when the first connection fails; reconnect as usual afterwards (the `ui`).
      retryStrategy: (times) => (connected ? Math.min(times * 200, 2_000) : null),
      maxRetriesPerRequest: 3,
    });
  } catch (error) {
    throw usageError(`--redis ${redactUrl(url)}: ${(error as Error).message}`);
  }
  let lastError: string | undefined;
  client.on("error", (error: Error) => {
    lastError = error.message;
    if (connected) log(`${label}: ${error.message}`);
  });
  try {
    await client.connect();
    connected = true;
  } catch (error) {
    client.disconnect();
    // ioredis rejects with "Connection is closed"; the socket's own error says why.
    throw new CliError(`cannot reach ${label}: ${lastError ?? (error as Error).message}`);
  }
  // The store's startup checks warn about the server's persistence settings: advice for
  // whoever runs workers, not for someone listing executions, so the CLI keeps quiet.
  const store = redisStore(client, { ...(prefix ? { prefix } : {}), log: () => {} });
  return {
    store,
    label,
    close: async () => {
      await store.close();
      client.disconnect();
    },
  };
}

/** A StoreOpenError because this process may not write the store (permissions, read-only file system). */
function isUnwritable(error: unknown): boolean {
  if (!StoreOpenError.is(error)) return false;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  return (
    code === 13 || code === 1 || code === 30 || code === "EACCES" || code === "EPERM" || code === "EROFS"
  );
}

/** The URL with its password replaced by `***`, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, "//$1:***@");
}
