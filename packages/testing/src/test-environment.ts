import {
  type Client,
  createEngine,
  type Duration,
  type Engine,
  type ErrorClass,
  type ExecutionHandle,
  memoryStore,
  parseDuration,
  type StepInfo,
  type Store,
  TERMINAL_STATUSES,
  TimeoutError,
  type Worker,
  type WorkflowDefinition,
} from "@stepline/core";
import { Activity, watchStore } from "./activity.js";
import { type CrashSafetyOptions, type CrashSafetyReport, verifyCrashSafety } from "./crash-safety.js";
import { VirtualClock } from "./virtual-clock.js";

// biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
type AnyWorkflow = WorkflowDefinition<any, any>;

/** A replacement step body: gets the attempt's info and the real body, should it want to call it. */
export type StepMock = (info: StepInfo, real: () => unknown) => unknown;

export interface TestEnvironmentOptions {
  /** The workflows the environment's worker runs. */
  workflows: readonly AnyWorkflow[];
  /**
   * `"memory"` (the default); a function that opens a store in a directory, such as
   * `lmdbStore` from `@stepline/lmdb` (given a fresh temporary directory, removed by
   * `close()`); or a Store of your own. Its times must all come from the engine's
   * clock (the `now` arguments), as memory and LMDB do.
   */
  store?: "memory" | Store | ((directory: string) => Store);
  /** Where virtual time starts, epoch ms. Default 2030-01-01T00:00:00Z. */
  start?: number;
  /** Error classes to rebuild from the journal by name (createEngine's `errors`). */
  errors?: readonly ErrorClass[];
  /** Lease of the worker, in virtual ms. Default 5 000, as a real worker's. */
  leaseMs?: number;
  /** Where the engine's log lines go. Default: dropped. */
  log?: (level: string, message: string, fields: Record<string, unknown>) => void;
}

/** Macrotask turns with nothing started or ended before the environment calls the engine idle. */
const QUIET_TURNS = 20;
/**
 * Quiet rounds to wait, while a runner holds an execution, for a sign that it sleeps,
 * before time moves anyway. A runner replaying a journal does no store call for one
 * macrotask per completion; the sign that it is done is a sleep begun after its last
 * store call (the next due time is then that sleep's own, or an earlier one's).
 */
const PATIENCE_ROUNDS = 50;

const immediate = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A real engine on a virtual clock, for tests. Time stands still unless the test moves
 * it (`advance`) or waits for a result (`run.result()` of a handle from `env.client`, or
 * `env.result(id)`): while a result is awaited and every execution waits on time, with
 * no step body running and no store call in flight, the clock jumps to the next due
 * time, exactly there and never past it. A workflow that sleeps 30 days then finishes
 * in milliseconds, with the journal it would have in real time.
 *
 * @example
 * await using env = await createTestEnvironment({ workflows: [signUp] });
 * env.mockStep("send-email", () => "sent");
 * const run = await env.client.start(signUp, { email: "a@example.com" });
 * expect(await run.result()).toEqual({ status: "expired" });
 * expect(env.now() - env.startedAt).toBe(parseDuration("32d"));
 */
export class TestEnvironment {
  /** The engine's client; handles it returns skip time while their `result()` is awaited. */
  readonly client: Client;
  readonly engine: Engine;
  readonly worker: Worker;
  /** The store as the engine sees it. */
  readonly store: Store;
  /** Virtual time when the environment was made. */
  readonly startedAt: number;
  readonly #clock: VirtualClock;
  readonly #activity: Activity;
  /** The store without the activity tracking: for the environment's own reads, which must not count. */
  readonly #rawStore: Store;
  /** @internal Shared with the environments verifyCrashSafety makes. */
  readonly mocks = new Map<string, StepMock>();
  readonly #workflows: readonly AnyWorkflow[];
  readonly #options: TestEnvironmentOptions;
  readonly #cleanup: () => Promise<void>;
  /** Result waits in progress, with their deadlines (Infinity for none). */
  readonly #deadlines = new Map<symbol, number>();
  #turn: Promise<void> | undefined;
  #closed = false;

  /** @internal Use {@link createTestEnvironment}. */
  constructor(
    options: TestEnvironmentOptions,
    store: Store,
    cleanup: () => Promise<void>,
    /** Runs before every step body (crash-safety.ts counts bodies and loses leases here). */
    beforeStep?: (name: string) => Promise<void> | void,
  ) {
    this.#options = options;
    this.#workflows = options.workflows;
    this.#cleanup = cleanup;
    this.startedAt = options.start ?? Date.UTC(2030, 0, 1);
    this.#clock = new VirtualClock(this.startedAt);
    this.#activity = new Activity();
    this.#clock.onSleep = () => {
      this.#activity.touch();
      return this.#activity.version;
    };
    this.#rawStore = store;
    this.store = watchStore(store, this.#activity);
    this.engine = createEngine({
      store: this.store,
      clock: this.#clock,
      workflows: options.workflows,
      errors: options.errors,
      log: options.log ?? (() => {}),
      pollInterval: 60_000,
      wrapStep: (name, body) => (info) => {
        const mock = this.mocks.get(name) ?? this.mocks.get(name.replace(/#\d+$/, ""));
        const run = Promise.resolve()
          .then(() => beforeStep?.(name))
          .then(() => (mock ? mock(info, () => body(info)) : body(info)));
        return this.#activity.track(run, "body");
      },
    });
    this.worker = this.engine.worker({ workflows: options.workflows, leaseMs: options.leaseMs });
    this.client = this.#skippingClient(this.engine.client);
  }

  /** Virtual time, epoch ms: what `ctx.now()` and every due time of the engine use. */
  now(): number {
    return this.#clock.now();
  }

  /**
   * Replaces the body of every step named `name` (`"email"` also matches the repeated
   * `"email#2"`) with `mock`, from the next attempt on; returns a function that removes it.
   *
   * @example
   * env.mockStep("charge", (info) => ({ chargeId: `ch-${info.attempt}` }));
   */
  mockStep(name: string, mock: StepMock): () => void {
    this.mocks.set(name, mock);
    return () => {
      if (this.mocks.get(name) === mock) this.mocks.delete(name);
    };
  }

  /** Sends an event to an execution's inbox (client.sendEvent) and lets the engine take it in. */
  async sendEvent(id: string, name: string, payload?: unknown): Promise<void> {
    await this.engine.client.sendEvent(id, name, payload);
    await this.#settle();
  }

  /**
   * Moves virtual time forward by `duration`, stopping at every due time on the way
   * and letting the engine do what falls due there before moving on.
   *
   * @example
   * await env.advance("1d");
   * await env.sendEvent(run.id, "confirmed", { at: env.now() });
   */
  async advance(duration: Duration): Promise<void> {
    const target = this.#clock.now() + parseDuration(duration, "env.advance");
    while (this.#clock.now() < target) await this.#step(target);
    await this.#settle();
  }

  /** Waits for an execution's end, skipping time meanwhile; as `client.result(id)`. */
  async result<O = unknown>(id: string, options: { timeout?: Duration } = {}): Promise<O> {
    const key = Symbol(id);
    const deadline =
      options.timeout === undefined
        ? Number.POSITIVE_INFINITY
        : this.#clock.now() + parseDuration(options.timeout, "result() timeout");
    this.#deadlines.set(key, deadline);
    try {
      for (;;) {
        const status = (await this.#rawStore.executions.get(id))?.status;
        const seen = this.#activity.version;
        // Ended, blocked or unknown: client.result says which, with its own errors.
        if (!status || TERMINAL_STATUSES.has(status) || status === "blocked") {
          return await this.engine.client.result<O>(id);
        }
        if (this.#clock.now() >= deadline) {
          throw new TimeoutError(`Execution "${id}" did not finish in time; it is ${status}.`);
        }
        await this.#sharedStep(seen);
      }
    } finally {
      this.#deadlines.delete(key);
    }
  }

  /**
   * Runs `workflow` once, then again after a simulated crash at every position of its
   * journal and after a lost lease in every step, and checks that each run ends the same.
   * Throws CrashSafetyError naming the position and the difference. See crash-safety.ts.
   *
   * @example
   * const report = await env.verifyCrashSafety(signUp, { email: "a@example.com" });
   * expect(report.positions).toBeGreaterThan(5);
   */
  verifyCrashSafety<I>(
    workflow: WorkflowDefinition<I, unknown, never>,
    input: I,
    options: CrashSafetyOptions = {},
  ): Promise<CrashSafetyReport> {
    return verifyCrashSafety(
      { ...this.#options, mocks: this.mocks },
      workflow as AnyWorkflow,
      input,
      options,
    );
  }

  /** Stops the worker, closes the engine and removes a temporary store. Closing twice does nothing. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    // Pending sleeps of a stopping worker end when time reaches them: let it.
    const stopped = this.worker.stop();
    while (!(await Promise.race([stopped.then(() => true), immediate().then(() => false)]))) {
      const next = this.#clock.earliest()?.at;
      if (next !== undefined && !this.#activity.busy) await this.#clock.moveTo(next);
    }
    await this.engine.close();
    await this.#cleanup();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /** @internal Starts the worker. */
  async start(): Promise<void> {
    await this.worker.start();
  }

  /** One step of time for result waiters: shared, so that two waiters do not move time twice. */
  #sharedStep(seen: number): Promise<void> {
    this.#turn ??= this.#step(Math.min(...this.#deadlines.values()), seen).finally(() => {
      this.#turn = undefined;
    });
    return this.#turn;
  }

  /** Resolves when nothing has started or ended for QUIET_TURNS macrotasks and nothing is in flight. */
  async #settle(): Promise<void> {
    for (;;) {
      await this.#activity.idle();
      const { version, sleeps } = this.#activity;
      for (let turn = 0; turn < QUIET_TURNS; turn++) await immediate();
      const quiet = this.#activity.version === version && this.#activity.sleeps === sleeps;
      if (!this.#activity.busy && quiet) return;
    }
  }

  /**
   * Waits until the engine is idle, then moves time to the next due time (at most to
   * `limit`): the store's next due execution when no runner holds one, else the runner's
   * own next wake-up. When nothing at all is due (an execution waits for an event no one
   * sent), time stays and this waits for something to happen after activity `seen`.
   */
  async #step(limit: number, seen = this.#activity.version): Promise<void> {
    for (let round = 0; ; round++) {
      await this.#settle();
      const now = this.#clock.now();
      const earliest = this.#clock.earliest();
      const next = earliest?.at;
      if (this.worker.active > 0) {
        // The earliest sleep began after the last store call: the runners are asleep.
        const asleep = earliest !== undefined && earliest.stamp === this.#activity.version;
        if (next !== undefined && (asleep || round >= PATIENCE_ROUNDS))
          return this.#clock.moveTo(Math.min(next, limit));
        if (next === undefined && round >= PATIENCE_ROUNDS) return this.#waitForActivity(limit, seen);
        continue;
      }
      const names = [...new Set(this.#workflows.map((w) => w.name))];
      const due = await this.store.queue.nextDueAt(names);
      if (due !== null && due > now) return this.#clock.moveTo(Math.min(due, limit));
      if (due !== null && next !== undefined) return this.#clock.moveTo(Math.min(next, limit));
      return this.#waitForActivity(limit, seen);
    }
  }

  /** Nothing is due: a limited move goes to its limit; otherwise wait for the test to act. */
  async #waitForActivity(limit: number, seen: number): Promise<void> {
    if (Number.isFinite(limit)) return this.#clock.moveTo(limit);
    while (this.#activity.version === seen && !this.#closed) await new Promise((r) => setTimeout(r, 1));
  }

  /** The client, with handles whose `result()` skips time (through {@link TestEnvironment.result}). */
  #skippingClient(client: Client): Client {
    const wrapHandle = <O>(handle: ExecutionHandle<O>): ExecutionHandle<O> => ({
      ...handle,
      result: (options) => this.result<O>(handle.id, options),
    });
    return new Proxy(client, {
      get: (target, prop) => {
        const value = Reflect.get(target, prop, target);
        if (typeof value !== "function") return value;
        if (prop === "result")
          return (id: string, options?: { timeout?: Duration }) => this.result(id, options);
        if (prop === "handle") return (id: string) => wrapHandle(target.handle(id));
        if (prop === "start") {
          return async (...args: Parameters<Client["start"]>) => wrapHandle(await target.start(...args));
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
  }
}

/**
 * Makes a {@link TestEnvironment} and starts its worker.
 *
 * @example
 * const env = await createTestEnvironment({ workflows: [signUp], store: lmdbStore }); // from @stepline/lmdb
 * try {
 *   const run = await env.client.start(signUp, { email: "a@example.com" });
 *   await run.result();
 * } finally {
 *   await env.close();
 * }
 */
export async function createTestEnvironment(options: TestEnvironmentOptions): Promise<TestEnvironment> {
  const { store, cleanup } = await openStore(options.store ?? "memory");
  const env = new TestEnvironment(options, store, cleanup);
  await env.start();
  return env;
}

async function openStore(
  choice: "memory" | Store | ((directory: string) => Store),
): Promise<{ store: Store; cleanup: () => Promise<void> }> {
  if (choice === "memory") return { store: memoryStore(), cleanup: async () => {} };
  if (typeof choice !== "function") return { store: choice, cleanup: async () => {} };
  const [{ mkdtemp, rm }, { tmpdir }, { join }] = await Promise.all([
    import("node:fs/promises"),
    import("node:os"),
    import("node:path"),
  ]);
  const dir = await mkdtemp(join(tmpdir(), "stepline-test-"));
  return { store: choice(dir), cleanup: () => rm(dir, { recursive: true, force: true }) };
}
