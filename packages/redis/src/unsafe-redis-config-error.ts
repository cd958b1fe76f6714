import { SteplineError } from "@stepline/core";

/** A server setting that can lose executions, found by the store's startup checks. */
export interface UnsafeRedisSetting {
  /** The server, as `host:port` (a cluster has one entry per master that has the setting). */
  readonly node: string;
  /**
   * `maxmemory-policy`: not `noeviction`, so Redis may evict keys when memory runs out.
   * `persistence`: `appendonly no` and no `save` rules, so a restart loses everything.
   */
  readonly setting: "maxmemory-policy" | "persistence";
  /** What the server has, e.g. `allkeys-lru` or `appendonly no, no save rules`. */
  readonly found: string;
}

const CODE = "STEPLINE_UNSAFE_REDIS_CONFIG";

/**
 * The Redis server is configured so that it can lose executions, and the store was
 * created with `onUnsafeConfig: "refuse"`. `store.ready` rejects with it, and so does
 * every operation until the server is fixed (the store checks again on the next call).
 *
 * @example
 * const store = redisStore({ url }, { onUnsafeConfig: "refuse" });
 * try {
 *   await store.ready;
 * } catch (error) {
 *   if (UnsafeRedisConfigError.is(error)) console.error(error.settings); // what to fix, where
 *   throw error;
 * }
 */
export class UnsafeRedisConfigError extends SteplineError {
  override readonly code = CODE;
  override name = "UnsafeRedisConfigError";
  readonly settings: readonly UnsafeRedisSetting[];

  constructor(settings: readonly UnsafeRedisSetting[]) {
    super(
      `The Redis store refuses to start: ${describeSettings(settings).join("; ")}. ` +
        "Set the same in redis.conf (or run CONFIG REWRITE) so that it survives a restart, or pass " +
        'redisStore(..., { onUnsafeConfig: "warn" }) to accept the risk. ' +
        'See the @stepline/redis README, "Running Redis for it".',
    );
    this.settings = settings;
  }

  /** True for this error from any copy of the package (where `instanceof` fails). */
  static override is(value: unknown): value is UnsafeRedisConfigError {
    return value instanceof Error && (value as { code?: unknown }).code === CODE;
  }
}

/**
 * What is wrong, why it matters and the command that fixes it: one sentence per kind of
 * problem, naming every node that has it (a cluster's masters usually share a config).
 */
export function describeSettings(settings: readonly UnsafeRedisSetting[]): string[] {
  const nodesOf = new Map<string, { setting: UnsafeRedisSetting; nodes: string[] }>();
  for (const setting of settings) {
    const key = `${setting.setting}\0${setting.found}`;
    const group = nodesOf.get(key) ?? { setting, nodes: [] };
    group.nodes.push(setting.node);
    nodesOf.set(key, group);
  }
  return [...nodesOf.values()].map(({ setting, nodes }) => {
    const where = `Redis at ${nodes.join(", ")}`;
    return setting.setting === "maxmemory-policy"
      ? `${where} has maxmemory-policy ${setting.found}: it may evict keys when memory runs out, ` +
          "and an evicted key is a lost execution (fix: CONFIG SET maxmemory-policy noeviction)"
      : `${where} runs without persistence (${setting.found}): a restart loses every execution ` +
          "(fix: CONFIG SET appendonly yes)";
  });
}
