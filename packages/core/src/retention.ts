import type { Duration } from "./duration.js";
import type { EngineEnv } from "./engine-env.js";
import { assertExecutionId } from "./identifiers.js";
import {
  checkDuration,
  checkOneOf,
  checkOptionsObject,
  checkString,
  EXECUTION_STATUSES,
} from "./option-checks.js";
import { SETTLED } from "./scheduler.js";
import type { CountFilter } from "./store.js";

/** How often an engine with `retention` looks for finished executions to delete. */
export const RETENTION_EVERY_MS = 60_000;
/** Executions deleted per store call (`executions.pruneFinished`). */
export const RETENTION_BATCH = 100;
/** Batches per round at most, so a backlog is worked off over several rounds, not in one burst. */
const MAX_BATCHES_PER_ROUND = 10;

/**
 * `createEngine({ retention })` (docs/operations.md, "Deleting and retention"): every
 * `RETENTION_EVERY_MS` the engine deletes finished executions whose finish (the
 * `updatedAt` of their terminal record) is older than `retentionMs`, in batches of
 * `RETENTION_BATCH`, oldest first, through the store's index of finish times (nothing
 * else is read). It runs beside the workers, in the engine's own loop: a failed round
 * is logged and tried again at the next one; it never stops a worker. Several engines
 * on one store may all run it: deleting is idempotent (`pruneFinished` skips what
 * another engine deleted first).
 */
export class RetentionLoop {
  readonly #env: EngineEnv;
  readonly #retentionMs: number;
  readonly #stop = new AbortController();
  readonly #done: Promise<void>;

  constructor(env: EngineEnv, retentionMs: number) {
    this.#env = env;
    this.#retentionMs = retentionMs;
    this.#done = this.#loop();
  }

  /** One round: deletes what finished before now minus the retention; returns how many. */
  async pruneOnce(): Promise<number> {
    let deleted = 0;
    for (let batch = 0; batch < MAX_BATCHES_PER_ROUND && !this.#stop.signal.aborted; batch++) {
      const before = this.#env.clock.now() - this.#retentionMs;
      const ids = await this.#env.store.executions.pruneFinished(before, RETENTION_BATCH);
      deleted += ids.length;
      if (ids.length < RETENTION_BATCH) break;
    }
    return deleted;
  }

  async #loop(): Promise<void> {
    const signal = this.#stop.signal;
    while (!signal.aborted) {
      await this.#env.clock.sleep(RETENTION_EVERY_MS, signal);
      if (signal.aborted || this.#env.closed) return;
      try {
        const deleted = await this.pruneOnce();
        if (deleted > 0) this.#env.log("info", "retention deleted finished executions", { deleted });
      } catch (error) {
        if (signal.aborted || this.#env.closed) return;
        this.#env.log("warn", "retention: deleting finished executions failed; trying again later", {
          error: error instanceof Error ? error.message : String(error),
        });
      }
    }
  }

  /** Stops the loop (engine.close); waits for a round in progress. */
  async stop(): Promise<void> {
    this.#stop.abort(SETTLED);
    await this.#done;
  }
}

/** Checks `createEngine({ retention })`: a positive duration ("30d", "12h", ms). */
export function checkRetention(value: unknown): number | undefined {
  return value === undefined
    ? undefined
    : checkDuration(value, "createEngine: retention", { positive: true });
}

/** Checks `client.count(filter)`. */
export function checkCountFilter(filter: CountFilter | undefined): CountFilter {
  const checked = checkOptionsObject(filter, "client.count(filter): filter");
  if (checked.status !== undefined) checkOneOf(checked.status, "client.count: status", EXECUTION_STATUSES);
  if (checked.workflow !== undefined)
    checkString(checked.workflow, "client.count: workflow (a workflow name)");
  return checked.status === undefined && checked.workflow === undefined
    ? {}
    : {
        ...(checked.status === undefined ? {} : { status: checked.status }),
        ...(checked.workflow === undefined ? {} : { workflow: checked.workflow }),
      };
}

/** `client.delete`: see Client.delete. */
export async function deleteExecution(env: EngineEnv, id: string): Promise<void> {
  assertExecutionId(id, "client.delete");
  env.assertOpen("client.delete");
  await env.store.executions.delete(id, env.clock.now());
}

/** The type of `createEngine({ retention })`. */
export type Retention = Duration;
