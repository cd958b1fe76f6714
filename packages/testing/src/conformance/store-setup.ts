import type { ExecutionRecord, Lease, Release, Store } from "@stepline/core";
import { expect } from "vitest";
import { describeBytes } from "./expect-bytes.js";

/**
 * Base time of every case. Stores take `now` as an argument everywhere, so the suite
 * uses explicit times from here on and never sleeps.
 */
export const T0 = 1_000_000;
/** Lease length used unless a case needs another. */
export const LEASE_MS = 30_000;

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`: readable payloads for journal and inbox entries. */
export function bytesOf(text: string): Uint8Array {
  return encoder.encode(text);
}

/** The bytes `startExecution` gives as journal entry 0 of execution `id`. */
export function startedBytes(id: string): Uint8Array {
  return bytesOf(`ExecutionStarted ${id}`);
}

/** `size` bytes of a fixed pseudo-random pattern (xorshift32), every byte value included. */
export function patternBytes(size: number, seed = 0x9e3779b9): Uint8Array {
  const bytes = new Uint8Array(size);
  let state = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    bytes[i] = state & 0xff;
  }
  return bytes;
}

export interface ExecutionRef {
  id: string;
  workflow: string;
}

/** Creates execution `id` (due at `createdAt`) and checks that it is new. */
export async function startExecution(
  store: Store,
  id: string,
  options: { workflow?: string; createdAt?: number } = {},
): Promise<ExecutionRecord> {
  const { created, record } = await store.executions.create({
    id,
    workflow: options.workflow ?? "orders",
    createdAt: options.createdAt ?? T0,
    started: startedBytes(id),
  });
  expect(created, `create("${id}") reports a new execution`).toBe(true);
  return record;
}

/**
 * Claims `execution` at `now`: a claim of its workflow with limit 1 must return exactly
 * this execution (a case gives each execution its own workflow when it has several due).
 */
export async function claimExecution(
  store: Store,
  execution: ExecutionRef,
  at: { now: number; owner?: string; leaseMs?: number },
): Promise<Lease> {
  const claims = await store.queue.claim({
    owner: at.owner ?? "worker-1",
    workflows: [execution.workflow],
    limit: 1,
    now: at.now,
    leaseMs: at.leaseMs ?? LEASE_MS,
  });
  expect(
    claims.map((claim) => claim.record.id),
    `claim of "${execution.workflow}" at ${at.now}`,
  ).toEqual([execution.id]);
  return claims[0]!.lease;
}

/** Claims `execution` at `now` and hands it back with `release` at once; returns the ended lease. */
export async function claimAndRelease(
  store: Store,
  execution: ExecutionRef,
  release: Release,
  now: number,
): Promise<Lease> {
  const lease = await claimExecution(store, execution, { now });
  await store.queue.release(lease, release, now);
  return lease;
}

/** Ids of the executions claimable by `workflows` at `now` (claims them, with owner "probe"). */
export async function claimableIds(
  store: Store,
  workflows: readonly string[],
  now: number,
): Promise<string[]> {
  const claims = await store.queue.claim({ owner: "probe", workflows, limit: 1000, now, leaseMs: LEASE_MS });
  return claims.map((claim) => claim.record.id);
}

/** Everything the store keeps about one execution, to compare before and after a refused write. */
export async function stateOf(store: Store, id: string) {
  return {
    record: await store.executions.get(id),
    journal: (await store.journal.read(id)).map(describeBytes),
    inbox: (await store.inbox.read(id)).map(describeBytes),
  };
}
