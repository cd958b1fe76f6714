import type { JournalEvent } from "@stepline/core";
import type { Redis } from "ioredis";
import { bodyRunsKey } from "./fixtures/fault-workflows.js";

/** What the journals of a finished fault test say about duplicated results. */
export interface JournalCounts {
  /** (execution, op) pairs with more than one StepSucceeded: a result recorded twice. */
  duplicatedResults: string[];
  /** Executions that do not have exactly one StepSucceeded for each of ops 0..steps-1. */
  missingResults: string[];
  /** Executions whose journal does not end with exactly one ExecutionSucceeded. */
  notSucceededOnce: string[];
  /** StepScheduled events of an attempt after the first: attempts interrupted by a fault. */
  retriedAttempts: number;
}

/** Counts StepSucceeded per op (and ExecutionSucceeded) in each journal. */
export function countJournals(histories: Map<string, JournalEvent[]>, steps: number): JournalCounts {
  const counts: JournalCounts = {
    duplicatedResults: [],
    missingResults: [],
    notSucceededOnce: [],
    retriedAttempts: 0,
  };
  for (const [id, history] of histories) {
    const succeeded = new Map<number, number>();
    for (const event of history) {
      if (event.type === "StepSucceeded") succeeded.set(event.op, (succeeded.get(event.op) ?? 0) + 1);
      if (event.type === "StepScheduled" && event.attempt > 1) counts.retriedAttempts++;
    }
    for (const [op, n] of succeeded) if (n > 1) counts.duplicatedResults.push(`${id} op ${op}: ${n}`);
    const complete = succeeded.size === steps && [...succeeded.keys()].every((op) => op >= 0 && op < steps);
    if (!complete) counts.missingResults.push(id);
    const ends = history.filter((e) => e.type === "ExecutionSucceeded").length;
    if (ends !== 1 || history[history.length - 1]?.type !== "ExecutionSucceeded") {
      counts.notSucceededOnce.push(id);
    }
  }
  return counts;
}

/** Body runs per execution and op, read from the counters the step bodies increment. */
export async function readBodyRuns(
  admin: Redis,
  ids: readonly string[],
  steps: number,
): Promise<{ total: number; neverRan: number }> {
  const keys = ids.flatMap((id) => Array.from({ length: steps }, (_, op) => bodyRunsKey(id, op)));
  let total = 0;
  let neverRan = 0;
  for (let i = 0; i < keys.length; i += 1_000) {
    for (const value of await admin.mget(keys.slice(i, i + 1_000))) {
      const runs = Number(value ?? 0);
      total += runs;
      if (runs === 0) neverRan++;
    }
  }
  return { total, neverRan };
}
