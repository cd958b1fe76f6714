/**
 * A small seeded PRNG (sfc32) behind `ctx.random()` and `ctx.ulid()`: the same seed
 * gives the same sequence on every replay. Not for cryptography.
 */
export function seededRandom(seed: number): () => number {
  let a = 0x9e3779b9;
  let b = 0x243f6a88;
  let c = 0xb7e15162;
  let d = seed >>> 0;
  const next = () => {
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  for (let i = 0; i < 12; i++) next();
  return next;
}

/** A fresh 32-bit seed for a new execution. */
export function newSeed(): number {
  return Math.floor(Math.random() * 4294967296) >>> 0;
}
