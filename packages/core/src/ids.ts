import { monotonicFactory } from "ulid";

const pool = new Uint32Array(512);
let next = pool.length;

/** Random numbers in [0, 1) from the runtime's crypto, drawn in batches (one call per 512). */
function pooledRandom(): number {
  if (next === pool.length) {
    globalThis.crypto.getRandomValues(pool);
    next = 0;
  }
  return (pool[next++] as number) / 4294967296;
}

/**
 * A new ULID: sortable by creation time, monotonic within a millisecond. The ulid
 * package's default source asks crypto for every character, which showed in
 * profiles of client.start (bench/run.ts).
 */
export const newId: () => string = monotonicFactory(pooledRandom);
