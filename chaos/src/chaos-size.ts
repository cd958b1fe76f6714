/** The size of a chaos run: small enough for CI by default, the full run with STEPLINE_CHAOS=full. */
export function chaosSize(env: Record<string, string | undefined>) {
  const seed = env.STEPLINE_CHAOS_SEED
    ? Number(env.STEPLINE_CHAOS_SEED)
    : Math.floor(Math.random() * 2 ** 31);
  if (env.STEPLINE_CHAOS === "full")
    return {
      executions: 1_000,
      workers: 4,
      faults: 100,
      seed,
      concurrency: 25,
      maxDelayMs: 60,
      startsPerSecond: 25,
      settleMs: 300_000,
    };
  return { executions: 40, workers: 3, faults: 6, seed, concurrency: 6, maxDelayMs: 80, startsPerSecond: 16 };
}
