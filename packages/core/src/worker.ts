import { assertNotLoadingDefinitions } from "./definitions-only.js";
import type { EngineEnv } from "./engine-env.js";
import { InvalidArgumentError } from "./errors.js";
import { ExecutionRunner } from "./execution-runner.js";
import { newId } from "./ids.js";
import { SETTLED } from "./scheduler.js";
import type { WorkflowDefinition } from "./workflow.js";

export interface WorkerOptions {
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
  workflows: readonly WorkflowDefinition<any, any>[];
  /** Executions run at once by this worker. Default 100. */
  concurrency?: number;
  /** Lease length in ms: how long after this worker dies another may take its executions. Default 30 000. */
  leaseMs?: number;
  /** Identifies this worker as lease owner. Default: a new ULID. */
  id?: string;
}

/**
 * A worker claims due executions of its workflows from the store and runs them.
 * Embed one in any service; several workers, in one process or many, share the work.
 *
 * @example
 * const worker = engine.worker({ workflows: [fulfillOrder], concurrency: 50 });
 * await worker.start();
 * process.on("SIGTERM", () => worker.stop());
 */
export class Worker {
  readonly id: string;
  readonly #env: EngineEnv;
  readonly #names: string[];
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #runners = new Map<string, ExecutionRunner>();
  #running = false;
  #loop: Promise<void> | undefined;
  #renewals: Promise<void> | undefined;
  #idle = new AbortController();
  readonly #renewStop = new AbortController();
  #runnerLaunched: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;

  constructor(env: EngineEnv, options: WorkerOptions) {
    if (!options.workflows || options.workflows.length === 0) {
      throw new InvalidArgumentError("engine.worker({ workflows }): give at least one workflow definition.");
    }
    this.#env = env;
    env.register(options.workflows);
    this.#names = options.workflows.map((w) => w.name);
    this.#concurrency = options.concurrency ?? 100;
    this.#leaseMs = options.leaseMs ?? 30_000;
    if (!(this.#concurrency >= 1)) throw new InvalidArgumentError("worker concurrency must be >= 1.");
    if (!(this.#leaseMs >= 100)) throw new InvalidArgumentError("worker leaseMs must be >= 100.");
    this.id = options.id ?? `worker-${newId()}`;
  }

  /** Executions this worker is running now. */
  get active(): number {
    return this.#runners.size;
  }

  /** Starts claiming work; resolves at once. */
  async start(): Promise<void> {
    assertNotLoadingDefinitions("Worker.start");
    if (this.#running) return;
    this.#running = true;
    const unsubscribeWake = this.#env.onWake(() => this.#idle.abort(SETTLED));
    const unsubscribeCancel = this.#env.onCancel((id, reason) => this.#runners.get(id)?.cancel(reason));
    this.#unsubscribe = () => {
      unsubscribeWake();
      unsubscribeCancel();
    };
    this.#loop = this.#claimLoop();
    this.#renewals = this.#renewLoop();
  }

  /**
   * Graceful stop: claims nothing more, lets running step bodies finish and journal
   * their results, then hands every execution back (due now) for another worker.
   */
  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#unsubscribe?.();
    this.#idle.abort(SETTLED);
    for (const runner of this.#runners.values()) runner.stop();
    await this.#loop;
    while (this.#runners.size > 0) await this.#waitForIdle(this.#leaseMs / 3);
    this.#renewStop.abort(SETTLED);
    await this.#renewals;
  }

  async #claimLoop(): Promise<void> {
    const env = this.#env;
    while (this.#running) {
      const free = this.#concurrency - this.#runners.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const claims = await env.store.queue.claim({
            owner: this.id,
            workflows: this.#names,
            limit: free,
            now: env.clock.now(),
            leaseMs: this.#leaseMs,
          });
          claimed = claims.length;
          for (const claim of claims) this.#launch(new ExecutionRunner(env, claim));
        } catch (error) {
          env.log("error", "claiming work failed; retrying", { worker: this.id, error: String(error) });
        }
        if (claimed === free) continue;
      }
      if (!this.#running) break;
      // Woken while claiming (work was made due meanwhile): claim again without asking
      // the store for its next due time first.
      await this.#waitForIdle(this.#idle.signal.aborted ? 0 : await this.#idleTime());
    }
  }

  /** How long to wait before looking for work again: until the next due time, at most the poll interval. */
  async #idleTime(): Promise<number> {
    const env = this.#env;
    if (this.#runners.size >= this.#concurrency) return env.pollInterval;
    try {
      const next = await env.store.queue.nextDueAt(this.#names);
      if (next === null) return env.pollInterval;
      return Math.max(0, Math.min(env.pollInterval, next - env.clock.now()));
    } catch {
      return env.pollInterval;
    }
  }

  /** Waits `ms`, or less if woken; a wake-up that came while the worker was busy counts at once. */
  #waitForIdle(ms: number): Promise<void> {
    if (this.#idle.signal.aborted) {
      this.#idle = new AbortController();
      return Promise.resolve();
    }
    return this.#env.clock.sleep(ms, this.#idle.signal);
  }

  #launch(runner: ExecutionRunner): void {
    const id = runner.lease.executionId;
    this.#runners.set(id, runner);
    this.#runnerLaunched?.();
    void runner.run().then(() => {
      // A newer runner for the same id (claimed again after failed renewals) keeps its entry.
      if (this.#runners.get(id) === runner) this.#runners.delete(id);
      this.#idle.abort(SETTLED);
    });
  }

  async #renewLoop(): Promise<void> {
    const env = this.#env;
    const renewEvery = this.#leaseMs / 3;
    while (!this.#renewStop.signal.aborted) {
      if (this.#runners.size === 0) {
        // Nothing to renew: wait for a launch instead of waking every renewEvery.
        await new Promise<void>((resolve) => {
          this.#runnerLaunched = resolve;
          this.#renewStop.signal.addEventListener("abort", () => resolve(), { once: true });
        });
        this.#runnerLaunched = undefined;
      }
      await env.clock.sleep(renewEvery, this.#renewStop.signal);
      const runners = [...this.#runners.values()];
      if (runners.length === 0) continue;
      try {
        const renewal = await env.store.queue.renew(
          runners.map((r) => r.lease),
          this.#leaseMs,
          env.clock.now(),
        );
        for (const id of renewal.lost) this.#runners.get(id)?.abandon();
        for (const { executionId, reason } of renewal.cancelRequested) {
          this.#runners.get(executionId)?.cancel(reason);
        }
      } catch (error) {
        env.log("warn", "renewing leases failed; retrying", { worker: this.id, error: String(error) });
      }
    }
  }
}
