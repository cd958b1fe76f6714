import type { Codec } from "./codec.js";
import type { ErrorRegistry } from "./error-serialization.js";
import type { JournalEvent } from "./events.js";
import { UnknownWorkflowError } from "./execution-errors.js";
import { DEFAULT_HISTORY_LIMITS, type HistoryLimits } from "./history-limits.js";
import { type Clock, SETTLED } from "./scheduler.js";
import type { Store } from "./store.js";
import { EngineClosedError } from "./store-errors.js";
import { type EngineTelemetry, NO_TELEMETRY } from "./telemetry.js";
import type { StepInfo, WorkflowDefinition } from "./workflow.js";
import type { LogSink } from "./workflow-run.js";

/**
 * What the client, the workers and the execution runners of one engine share.
 * Internal: not exported from the package.
 */
export class EngineEnv {
  readonly workflows = new Map<string, WorkflowDefinition<never, unknown>>();
  /** The engine's own workflows (`stepline.schedule`): every worker runs them; not listed as registered. */
  readonly internalWorkflows = new Map<string, WorkflowDefinition<never, unknown>>();
  readonly #finishListeners = new Map<string, Set<() => void>>();
  readonly #wakeListeners = new Set<() => void>();
  #unsubscribeFinished: (() => void) | undefined;
  readonly #cancelListeners = new Set<(id: string, reason: string | undefined) => void>();
  readonly #terminateListeners = new Set<(id: string) => void>();
  readonly #inboxListeners = new Set<(id: string) => void>();
  /** Set by `engine.close()`; the client checks it before touching the store. */
  closed = false;
  /** `createEngine({ historyLimits })`, resolved (history-limits.ts). */
  historyLimits: HistoryLimits = { ...DEFAULT_HISTORY_LIMITS };
  /** `createEngine({ wrapStep })`: the test seam around step bodies. */
  wrapStep: ((name: string, body: (info: StepInfo) => unknown) => (info: StepInfo) => unknown) | undefined;
  /** `createEngine({ telemetry })`: spans and metrics (telemetry.ts); no-op without it. */
  telemetry: EngineTelemetry = NO_TELEMETRY;

  constructor(
    readonly store: Store,
    readonly clock: Clock,
    readonly codec: Codec,
    readonly errors: ErrorRegistry,
    readonly log: LogSink,
    /** How often to look at the store for work or results made by other processes. */
    readonly pollInterval: number,
  ) {}

  /** Throws EngineClosedError once the engine is closed; `action` says what was tried. */
  assertOpen(action: string): void {
    if (this.closed) throw new EngineClosedError(action);
  }

  register(definitions: readonly WorkflowDefinition<never, unknown>[]): void {
    for (const definition of definitions) {
      const existing = this.workflows.get(definition.name);
      if (existing && existing !== definition) {
        throw new TypeError(
          `Two different workflows are named "${definition.name}"; workflow names must be unique.`,
        );
      }
      this.workflows.set(definition.name, definition);
    }
  }

  definition(name: string): WorkflowDefinition<never, unknown> {
    const definition = this.internalWorkflows.get(name) ?? this.workflows.get(name);
    if (!definition) throw new UnknownWorkflowError(name, [...this.workflows.keys()]);
    return definition;
  }

  /** Decodes a whole journal; throws CorruptJournalError at the first unreadable entry. */
  async readJournal(id: string, fromSeq = 0): Promise<JournalEvent[]> {
    const entries = await this.store.journal.read(id, fromSeq);
    return entries.map((bytes, i) => this.codec.decodeEvent(bytes, id, fromSeq + i));
  }

  /** Wakes this engine's workers (new work may be due). */
  wake(): void {
    for (const listener of this.#wakeListeners) listener();
  }

  onWake(listener: () => void): () => void {
    this.#wakeListeners.add(listener);
    const unsubscribeStore = this.store.onWake?.(listener);
    return () => {
      this.#wakeListeners.delete(listener);
      unsubscribeStore?.();
    };
  }

  /** Tells this engine's workers at once that `id` is to be cancelled (others learn at lease renewal). */
  notifyCancel(id: string, reason: string | undefined): void {
    for (const listener of this.#cancelListeners) listener(id, reason);
  }

  onCancel(listener: (id: string, reason: string | undefined) => void): () => void {
    this.#cancelListeners.add(listener);
    return () => this.#cancelListeners.delete(listener);
  }

  /** Tells this engine's workers that `id` got an inbox entry (its runner reads it at its next turn). */
  notifyInbox(id: string): void {
    for (const listener of this.#inboxListeners) listener(id);
  }

  onInbox(listener: (id: string) => void): () => void {
    this.#inboxListeners.add(listener);
    return () => this.#inboxListeners.delete(listener);
  }

  /** Tells this engine's workers at once that `id` was terminated: its runner stops (others learn at lease renewal). */
  notifyTerminated(id: string): void {
    for (const listener of this.#terminateListeners) listener(id);
    this.notifyFinished(id);
  }

  onTerminated(listener: (id: string) => void): () => void {
    this.#terminateListeners.add(listener);
    return () => this.#terminateListeners.delete(listener);
  }

  /** Tells local `result()` callers that execution `id` has changed state. */
  notifyFinished(id: string): void {
    const listeners = this.#finishListeners.get(id);
    if (!listeners) return;
    this.#finishListeners.delete(id);
    for (const listener of listeners) listener();
  }

  /**
   * Starts hearing of executions finished in other processes, from stores that tell
   * (`Store.onFinished`). Called by `client.start` too, so that the subscription is
   * live before the execution it started can end.
   */
  listenForFinishes(): void {
    this.#unsubscribeFinished ??= this.store.onFinished?.((finished) => this.notifyFinished(finished));
  }

  /** Calls `listener` once when `id` is heard to finish; returns the unsubscribe. */
  onFinished(id: string, listener: () => void): () => void {
    const listeners = this.#finishListeners.get(id) ?? new Set();
    listeners.add(listener);
    this.#finishListeners.set(id, listeners);
    return () => {
      listeners.delete(listener);
      if (listeners.size === 0 && this.#finishListeners.get(id) === listeners)
        this.#finishListeners.delete(id);
    };
  }

  /** Resolves when `id` is heard to finish, or after `ms` (the caller then polls the store). */
  waitForFinish(id: string, ms: number): Promise<void> {
    this.listenForFinishes();
    return new Promise((resolve) => {
      const controller = new AbortController();
      const unsubscribe = this.onFinished(id, () => done());
      const done = () => {
        controller.abort(SETTLED);
        unsubscribe();
        resolve();
      };
      void this.clock.sleep(ms, controller.signal).then(done);
    });
  }
}
