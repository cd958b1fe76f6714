/**
 * What a chaos execution must produce, computed without the engine: every step's
 * result is a pure function of (input, step index, previous result), whether a step
 * attempt fails is a pure function of (input, step index, attempt). The checker
 * compares the journals with these, so a lost, repeated or reordered step shows.
 */

/** Steps per chaos execution. */
export const STEPS = 10;

export interface ChaosInput {
  n: number;
  /** Step bodies work up to this long (ms): the size of the window a fault can land in. */
  maxDelayMs: number;
}

export interface ChaosOutput {
  n: number;
  values: number[];
}

/** A 32-bit mix (the finalizer of MurmurHash3) of a few integers. */
export function mix(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const part of parts) {
    h = Math.imul(h ^ (part | 0), 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
  }
  return h >>> 0;
}

/** The result of step `index` given the previous step's result (0 before the first). */
export function stepValue(input: ChaosInput, index: number, previous: number): number {
  return mix(input.n, index, previous) % 1_000_000;
}

/** True when this attempt of the step throws (a transient failure: the next attempt succeeds). */
export function attemptFails(input: ChaosInput, index: number, attempt: number): boolean {
  return attempt === 1 && mix(input.n, index, 7) % 8 === 0;
}

/** How long the body of step `index` works before returning, in ms: long enough for a fault to land inside it. */
export function bodyDelayMs(input: ChaosInput, index: number, attempt: number): number {
  return mix(input.n, index, attempt, 3) % Math.max(1, input.maxDelayMs);
}

/** The output every execution with this input must end with. */
export function expectedOutput(input: ChaosInput): ChaosOutput {
  const values: number[] = [];
  let previous = 0;
  for (let index = 0; index < STEPS; index++) {
    previous = stepValue(input, index, previous);
    values.push(previous);
  }
  return { n: input.n, values };
}
