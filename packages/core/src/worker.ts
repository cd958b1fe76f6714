import { assertNotLoadingDefinitions } from "./definitions-only.js";
import type { EngineEnv } from "./engine-env.js";
import { InvalidArgumentError } from "./errors.js";
import { ExecutionRunner } from "./execution-runner.js";
import { newId } from "./ids.js";
import { checkWorkerOptions } from "./option-checks.js";
import { SETTLED } from "./scheduler.js";
import type { AcceptedVersions } from "./store.js";
import { ANNOUNCE_EVERY_MS } from "./worker-announcements.js";
import type { WorkflowDefinition } from "./workflow.js";
import { acceptedVersionsOf } from "./workflow-versions.js";

/** The default lease: a crashed single-instance service moves again about 3 to 5 s after its restart. */
export const DEFAULT_LEASE_MS = 5_000;

export interface WorkerOptions {
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
  workflows: readonly WorkflowDefinition<any, any>[];
  /** Executions run at once by this worker, an integer from 1 to 100 000. Default 100. */
  concurrency?: number;
  /**
   * Lease length in ms: how long after this worker dies another (or this one, restarted)
   * may take its executions over; renewed every `leaseMs / 3`. Default 5 000. A step body
   * that blocks the event loop for longer than this cannot renew, and its execution is
   * taken over (see docs/getting-started.md, "Leases, crashes and restarts").
   */
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
  /** The versions each workflow's definition runs (`ClaimRequest.versions`). */
  readonly #versions: AcceptedVersions;
  readonly #concurrency: number;
  readonly #leaseMs: number;
  readonly #runners = new Map<string, ExecutionRunner>();
  #running = false;
  #loop: Promise<void> | undefined;
  #renewals: Promise<void> | undefined;
  #idle = new AbortController();
  /**
   * Stops the renew loop of the current start(); each start() makes its own, so a
   * worker stopped and started again renews its leases (worker-restart.test.ts).
   */
  #renewStop = new AbortController();
  /** The stop() in progress, if any: a start() meanwhile waits for it to finish. */
  #stopping: Promise<void> | undefined;
  #runnerLaunched: (() => void) | undefined;
  #unsubscribe: (() => void) | undefined;
  /** When this worker last announced its workflows (`store.workers`), on the engine clock. */
  #announcedAt = Number.NEGATIVE_INFINITY;

  constructor(env: EngineEnv, options: WorkerOptions) {
    if (!Array.isArray(options?.workflows) || options.workflows.length === 0) {
      throw new InvalidArgumentError("engine.worker({ workflows }): give at least one workflow definition.");
    }
    checkWorkerOptions(options);
    this.#env = env;
    env.register(options.workflows);
    this.#names = [...options.workflows.map((w) => w.name), ...env.internalWorkflows.keys()];
    this.#versions = acceptedVersionsOf([...options.workflows, ...env.internalWorkflows.values()]);
    this.#concurrency = options.concurrency ?? 100;
    this.#leaseMs = options.leaseMs ?? DEFAULT_LEASE_MS;
    this.id = options.id ?? `worker-${newId()}`;
  }

  /** Executions this worker is running now. */
  get active(): number {
    return this.#runners.size;
  }

  /**
   * Starts claiming work; resolves at once (after a stop() still in progress, if any).
   * A worker may be started and stopped any number of times.
   */
  async start(): Promise<void> {
    assertNotLoadingDefinitions("Worker.start");
    await this.#stopping;
    if (this.#running) return;
    this.#running = true;
    // Every piece of once-only state is made anew: an aborted signal from the previous
    // run would end this run's renew loop at once and its leases would run out.
    this.#idle = new AbortController();
    this.#renewStop = new AbortController();
    const unsubscribeWake = this.#env.onWake(() => this.#idle.abort(SETTLED));
    const unsubscribeCancel = this.#env.onCancel((id, reason) => this.#runners.get(id)?.cancel(reason));
    const unsubscribeTerminate = this.#env.onTerminated((id) => this.#runners.get(id)?.abandon("terminated"));
    const unsubscribeInbox = this.#env.onInbox((id) => this.#runners.get(id)?.inboxArrived());
    this.#unsubscribe = () => {
      unsubscribeWake();
      unsubscribeCancel();
      unsubscribeTerminate();
      unsubscribeInbox();
    };
    // Awaited once, so that describe() right after start() sees a worker for these workflows.
    await this.#announce();
    this.#loop = this.#claimLoop();
    this.#renewals = this.#renewLoop(this.#renewStop.signal);
  }

  /**
   * Graceful stop: claims nothing more, lets running step bodies finish and journal
   * their results, then hands every execution back (due now) for another worker.
   */
  async stop(): Promise<void> {
    if (!this.#running) return this.#stopping;
    this.#running = false;
    this.#stopping = this.#stop();
    try {
      await this.#stopping;
    } finally {
      this.#stopping = undefined;
    }
  }

  async #stop(): Promise<void> {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#idle.abort(SETTLED);
    for (const runner of this.#runners.values()) runner.stop();
    await this.#loop;
    while (this.#runners.size > 0) await this.#waitForIdle(this.#leaseMs / 3);
    this.#renewStop.abort(SETTLED);
    await this.#renewals;
    this.#runnerLaunched = undefined;
  }

  async #claimLoop(): Promise<void> {
    const env = this.#env;
    while (this.#running) {
      if (env.clock.now() - this.#announcedAt >= ANNOUNCE_EVERY_MS) void this.#announce();
      const free = this.#concurrency - this.#runners.size;
      let claimed = 0;
      if (free > 0) {
        try {
          const claims = await env.store.queue.claim({
            owner: this.id,
            workflows: this.#names,
            versions: this.#versions,
            limit: free,
            now: env.clock.now(),
            leaseMs: this.#leaseMs,
            onSkipped: (executionId, reason) =>
              env.log("error", "skipped a due execution whose record cannot be read", {
                worker: this.id,
                executionId,
                reason,
              }),
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

  /**
   * Tells the store which workflows this worker runs, so that describe and list can
   * say when an execution's workflow has no worker. A failure only delays the notice.
   */
  async #announce(): Promise<void> {
    const env = this.#env;
    this.#announcedAt = env.clock.now();
    try {
      await env.store.workers.announce(this.id, this.#names, this.#announcedAt);
    } catch (error) {
      env.log("warn", "announcing the worker's workflows failed; retrying", {
        worker: this.id,
        error: String(error),
      });
    }
  }

  /** How long to wait before looking for work again: until the next due time, at most the poll interval. */
  async #idleTime(): Promise<number> {
    const env = this.#env;
    if (this.#runners.size >= this.#concurrency) return env.pollInterval;
    try {
      const next = await env.store.queue.nextDueAt(this.#names, this.#versions);
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

  async #renewLoop(stop: AbortSignal): Promise<void> {
    const env = this.#env;
    const renewEvery = this.#leaseMs / 3;
    while (!stop.aborted) {
      if (this.#runners.size === 0) {
        // Nothing to renew: wait for a launch instead of waking every renewEvery.
        await new Promise<void>((resolve) => {
          const done = () => {
            stop.removeEventListener("abort", done);
            resolve();
          };
          this.#runnerLaunched = done;
          stop.addEventListener("abort", done, { once: true });
        });
        this.#runnerLaunched = undefined;
      }
      await env.clock.sleep(renewEvery, stop);
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
