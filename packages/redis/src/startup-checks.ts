import { InvalidArgumentError, type Store } from "@stepline/core";
import type { Cluster, Redis } from "ioredis";
import {
  describeSettings,
  UnsafeRedisConfigError,
  type UnsafeRedisSetting,
} from "./unsafe-redis-config-error.js";

/** What a store does when the server is configured so that it can lose executions. */
export type UnsafeConfigPolicy = "warn" | "refuse";

/** Where the store's warnings go: one line per call. */
export type RedisStoreLog = (line: string) => void;

/** Options of the startup checks (part of `RedisStoreOptions`). */
export interface StartupCheckOptions {
  /**
   * What to do when the server may evict keys (`maxmemory-policy` other than
   * `noeviction`) or keeps nothing across a restart (`appendonly no` and no `save`
   * rules). "warn" (default): one line each through `log`, and go on. "refuse":
   * `store.ready` and every operation reject with `UnsafeRedisConfigError`.
   */
  onUnsafeConfig?: UnsafeConfigPolicy;
  /**
   * Receives the store's warnings, one line each. Default `console.warn`. A line is
   * said once per log function, however many stores share it.
   */
  log?: RedisStoreLog;
}

/** The settings of one node, or why they could not be read. */
type NodeReport = { node: string; unsafe: UnsafeRedisSetting[] } | { node: string; refused: Error };

const LINE_PREFIX = "@stepline/redis: ";
const warnOnConsole: RedisStoreLog = (line) => console.warn(line);
/**
 * Lines already said, per log function: many stores of one process on one server (a
 * test suite, a store per request) warn once, not once per store.
 */
const said = new WeakMap<RedisStoreLog, Set<string>>();

/**
 * The store's startup checks: reads `maxmemory-policy`, `appendonly` and `save` from
 * the server (from every master of a cluster) with `CONFIG GET`, and warns about, or
 * refuses, a server that can lose executions: one that may evict keys, or that keeps
 * nothing across a restart. Where `CONFIG GET` is not allowed (an ACL without
 * `+config|get`, a managed Redis that renames `CONFIG`), one warning says that the
 * checks could not run; that is never an error.
 *
 * The checks start at once. `ready` settles with the first run. Under "refuse", each
 * operation waits for a run that passed: a refusal (or a run that failed, say the
 * server was unreachable) is retried by the next operation, so fixing the server
 * unblocks a running store. Under "warn" operations never wait.
 */
export class StartupChecks {
  /** Resolves when the first run is done; rejects with its refusal or its error. */
  readonly ready: Promise<void>;
  readonly #client: Redis | Cluster;
  readonly #refuse: boolean;
  readonly #log: RedisStoreLog;
  /** Operations may go ahead without waiting. */
  #cleared: boolean;
  #running: Promise<void> | undefined;

  /** Validate `options` with {@link unsafeConfigPolicy} first: this starts the checks. */
  constructor(client: Redis | Cluster, options: StartupCheckOptions = {}) {
    const policy = unsafeConfigPolicy(options);
    this.#client = client;
    this.#refuse = policy === "refuse";
    this.#cleared = !this.#refuse;
    this.#log = options.log ?? warnOnConsole;
    this.ready = this.#run();
    // Whoever awaits `ready` sees its outcome; nobody awaiting it is no unhandled rejection:
    // under "refuse" every operation reports the refusal itself.
    this.ready.catch(() => {});
  }

  /** Undefined when an operation may go ahead now, else what it must await first. */
  beforeOperation(): Promise<void> | undefined {
    if (this.#cleared) return undefined;
    this.#running ??= this.#run();
    return this.#running;
  }

  /**
   * Under "refuse", makes every operation of the store's nouns wait for checks that
   * passed (in place; the store is returned). Under "warn" the store is left as it is.
   */
  guard<S extends Store>(store: S): S {
    if (!this.#refuse) return store;
    for (const noun of [store.executions, store.journal, store.queue, store.inbox, store.workers]) {
      const methods = noun as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
      for (const [name, method] of Object.entries(methods)) {
        methods[name] = (...args) => {
          const wait = this.beforeOperation();
          return wait ? wait.then(() => method.apply(noun, args)) : method.apply(noun, args);
        };
      }
    }
    return store;
  }

  #run(): Promise<void> {
    const run = this.#check();
    this.#running = run;
    run.then(
      () => {
        this.#cleared = true;
      },
      () => {
        if (this.#running === run) this.#running = undefined;
      },
    );
    return run;
  }

  async #check(): Promise<void> {
    const reports = await readNodeReports(this.#client);
    const refused = reports.filter((r) => "refused" in r);
    if (refused.length > 0) {
      const reason = (refused[0] as { refused: Error }).refused.message;
      this.#say(
        `could not check the settings of Redis at ${refused.map((r) => r.node).join(", ")}: ` +
          `CONFIG GET was refused (${reason}). Make sure yourself that maxmemory-policy is noeviction ` +
          "and appendonly is yes, or allow the check (ACL SETUSER <user> +config|get).",
      );
    }
    const unsafe = reports.flatMap((r) => ("unsafe" in r ? r.unsafe : []));
    if (unsafe.length === 0) return;
    if (this.#refuse) throw new UnsafeRedisConfigError(unsafe);
    for (const sentence of describeSettings(unsafe)) this.#say(`${sentence}.`);
  }

  #say(line: string): void {
    const full = LINE_PREFIX + line;
    const lines = said.get(this.#log) ?? new Set<string>();
    said.set(this.#log, lines);
    if (lines.has(full)) return;
    lines.add(full);
    this.#log(full);
  }
}

/** The policy of `options`, checked (so that a typo fails before a connection opens). */
export function unsafeConfigPolicy(options: StartupCheckOptions): UnsafeConfigPolicy {
  const policy = options.onUnsafeConfig ?? "warn";
  if (policy !== "warn" && policy !== "refuse") {
    throw new InvalidArgumentError(
      `redisStore: onUnsafeConfig must be "warn" or "refuse", not ${JSON.stringify(policy)}.`,
    );
  }
  return policy;
}

/** Reads the settings of each node that holds data: the server, or every master of a cluster. */
async function readNodeReports(client: Redis | Cluster): Promise<NodeReport[]> {
  return Promise.all((await dataNodes(client)).map(readNode));
}

async function dataNodes(client: Redis | Cluster): Promise<Redis[]> {
  if (!client.isCluster) return [client as Redis];
  const cluster = client as Cluster;
  // The masters are known once the cluster client has read the slot map.
  if (cluster.status !== "ready") await cluster.ping();
  return cluster.nodes("master");
}

async function readNode(node: Redis): Promise<NodeReport> {
  const name = node.options.path || `${node.options.host}:${node.options.port}`;
  let policy: string | undefined;
  let appendonly: string | undefined;
  let save: string | undefined;
  try {
    // One parameter per CONFIG GET: several in one call need Redis 7.
    [policy, appendonly, save] = await Promise.all(
      ["maxmemory-policy", "appendonly", "save"].map((parameter) => configGet(node, parameter)),
    );
  } catch (error) {
    if (isRefusal(error)) return { node: name, refused: error as Error };
    throw error;
  }
  const unsafe: UnsafeRedisSetting[] = [];
  if (policy !== undefined && policy !== "noeviction") {
    unsafe.push({ node: name, setting: "maxmemory-policy", found: policy });
  }
  if (appendonly === "no" && save?.trim() === "") {
    unsafe.push({ node: name, setting: "persistence", found: "appendonly no, no save rules" });
  }
  return { node: name, unsafe };
}

/** The value of one parameter; undefined when the server does not know it. */
async function configGet(node: Redis, parameter: string): Promise<string | undefined> {
  const reply: unknown = await node.config("GET", parameter);
  if (Array.isArray(reply)) {
    // RESP2: [name, value].
    const at = reply.indexOf(parameter);
    return at >= 0 ? String(reply[at + 1]) : undefined;
  }
  if (reply instanceof Map) return reply.has(parameter) ? String(reply.get(parameter)) : undefined;
  const value = (reply as Record<string, unknown> | null)?.[parameter];
  return value === undefined ? undefined : String(value);
}

/**
 * The server answered CONFIG GET with an error of its own (NOPERM from an ACL, unknown
 * command when CONFIG is renamed or disabled): the check cannot run, the store can.
 * Authentication errors and lost connections are not refusals: the store cannot work.
 */
function isRefusal(error: unknown): boolean {
  return (
    error instanceof Error && error.name === "ReplyError" && !/^(NOAUTH|WRONGPASS)\b/.test(error.message)
  );
}
