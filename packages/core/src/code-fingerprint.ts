/**
 * A fingerprint of a workflow function's source text, recorded in ExecutionStarted as
 * `codeHash` by the process that starts the execution (or its next run). Only the
 * wording of a NonDeterminismError reads it: when the function that replays a journal
 * has the source of the one that started it, the divergence did not come from a change
 * to that function, and the likely cause is code that does not replay the same way (a
 * clock, randomness, I/O, state kept outside the journal). A change to a helper the
 * function calls does not change it, so the message says so.
 */
import type { JournalEvent } from "./events.js";

// biome-ignore lint/complexity/noBannedTypes: any function's source text is fingerprinted.
const fingerprints = new WeakMap<Function, string>();

/** FNV-1a (32 bits) of `fn.toString()`, as 8 hex digits; computed once per function. */
// biome-ignore lint/complexity/noBannedTypes: any function's source text is fingerprinted.
export function codeFingerprint(fn: Function): string {
  let fingerprint = fingerprints.get(fn);
  if (fingerprint === undefined) {
    const text = fn.toString();
    let hash = 0x811c9dc5;
    for (let i = 0; i < text.length; i++) {
      hash ^= text.charCodeAt(i);
      hash = Math.imul(hash, 0x01000193);
    }
    fingerprint = (hash >>> 0).toString(16).padStart(8, "0");
    fingerprints.set(fn, fingerprint);
  }
  return fingerprint;
}

/** True when `started` (a journal's ExecutionStarted) records the fingerprint of `fn`. */
// biome-ignore lint/complexity/noBannedTypes: any workflow function.
export function startedBySameCode(started: JournalEvent | undefined, fn: Function): boolean {
  const codeHash = started?.type === "ExecutionStarted" ? started.codeHash : undefined;
  return codeHash !== undefined && codeHash === codeFingerprint(fn);
}
