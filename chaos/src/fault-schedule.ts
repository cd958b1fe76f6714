/** One fault the harness plays on a worker process, `afterMs` after the previous one. */
export interface Fault {
  afterMs: number;
  kind: "kill" | "stop";
  /** Which worker process (by slot: a killed one's replacement keeps the slot). */
  slot: number;
  /** For `stop`: how long until SIGCONT. */
  stopMs: number;
}

/**
 * A seeded generator of numbers in [0, 1) (mulberry32): the same seed gives the same
 * fault schedule and inputs, so a failing run can be played again.
 *
 * @example
 * const random = seededRandom(42);
 * random(); // always the same first number for seed 42
 */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/**
 * The faults of a run: SIGKILLs and SIGSTOPs in equal measure (the first two one of each) on random worker slots,
 * 150 to 700 ms apart; a stop lasts from a fifth of the lease to three leases, so some
 * stopped workers keep their leases and some lose them to another worker.
 *
 * @example
 * const schedule = faultSchedule(seededRandom(1), { faults: 6, workers: 3, leaseMs: 1_000 });
 */
export function faultSchedule(
  random: () => number,
  options: { faults: number; workers: number; leaseMs?: number },
): Fault[] {
  const leaseMs = options.leaseMs ?? 1_000;
  return Array.from({ length: options.faults }, (_, i) => ({
    afterMs: 150 + Math.floor(random() * 550),
    // The first two are one of each, so that even a short schedule has both.
    kind: (i < 2 ? i === 0 : random() < 0.5) ? "kill" : "stop",
    slot: Math.floor(random() * options.workers),
    stopMs: Math.floor(leaseMs * (0.2 + random() * 2.8)),
  }));
}
