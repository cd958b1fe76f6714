import { Client } from "./client.js";
import { type ByteTransform, Codec } from "./codec.js";
import { assertNotLoadingDefinitions } from "./definitions-only.js";
import { encryptedStore, type PayloadEncryption } from "./encryption.js";
import { EngineEnv } from "./engine-env.js";
import { type ErrorClass, ErrorRegistry } from "./error-serialization.js";
import { type HistoryLimits, resolveHistoryLimits } from "./history-limits.js";
import { checkEngineOptions } from "./option-checks.js";
import { checkRetention, type Retention, RetentionLoop } from "./retention.js";
import { type Clock, systemClock } from "./scheduler.js";
import { Schedules } from "./schedules/schedules.js";
import type { Store } from "./store.js";
import { engineTelemetry, type TelemetryOptions } from "./telemetry.js";
import { Worker, type WorkerOptions } from "./worker.js";
import type { StepInfo, WorkflowDefinition } from "./workflow.js";
import type { LogSink } from "./workflow-run.js";

export interface EngineOptions {
  store: Store;
  /** Time source; `@stepline/testing` has a fake one. Default: the store's clock if it has one, else the system clock. */
  clock?: Clock;
  /**
   * Workflows this engine knows, for a client that starts them by name (workers
   * register theirs too). A name no one registered is then an UnknownWorkflowError.
   */
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
  workflows?: readonly WorkflowDefinition<any, any>[];
  /** Error classes to rebuild from the journal by name, beyond the built-in ones. */
  errors?: readonly ErrorClass[];
  /** Largest journal event in bytes, an integer from 1024 to 512 MiB. Default 2 MiB. */
  maxEventBytes?: number;
  /** Compression of everything journaled (synchronous bytes to bytes). */
  transform?: ByteTransform;
  /**
   * Encryption at rest: journal and inbox entries sealed with AES-256-GCM before they
   * reach the store (`encryptionCodec({ keys, currentKeyId })`, docs/stores.md).
   */
  encryption?: PayloadEncryption;
  /**
   * Where `ctx.log` and engine warnings go: a function `(level, message, fields) => void`.
   * Default: console, warnings and errors only for the engine.
   */
  log?: LogSink;
  /** How often to look for work or results written by other processes, in ms (> 0). Default 100. */
  pollInterval?: number;
  /**
   * Delete finished executions this long after they finished ("30d", "12h", or ms),
   * checked every minute, 100 at a time, oldest first (docs/operations.md, "Deleting
   * and retention"). Default: keep them.
   */
  retention?: Retention;
  /**
   * Limits on one run's journal (docs/continue-as-new.md): a warning past `warnEvents`
   * (10,000), failure with HistoryLimitError past `maxEvents` (50,000) or `maxBytes`
   * (50 MiB of encoded journal). Any field left out keeps its default.
   */
  historyLimits?: Partial<HistoryLimits>;
  /**
   * A seam for test environments (`@stepline/testing`'s `createTestEnvironment` uses it
   * for `mockStep` and to know when step bodies run): given a step's name and body,
   * returns the body to run for this attempt. Not meant for production code.
   */
  wrapStep?: StepWrapper;
  /**
   * OpenTelemetry spans and metrics (docs/observability.md, "Tracing" and "Metrics"):
   * pass `@opentelemetry/api` (an optional peer dependency), and optionally a tracer and
   * a meter of your own providers. Default: none, at no cost.
   *
   * @example
   * import * as api from "@opentelemetry/api";
   * const engine = createEngine({ store, telemetry: { api } });
   */
  telemetry?: TelemetryOptions;
}

/**
 * See {@link EngineOptions.wrapStep}.
 *
 * @example
 * const engine = createEngine({ store, wrapStep: (name, body) => (name === "charge" ? () => "ch-test" : body) });
 */
export type StepWrapper = (name: string, body: (info: StepInfo) => unknown) => (info: StepInfo) => unknown;

/** An engine: a client to start and inspect executions, and workers to run them. */
export interface Engine {
  readonly client: Client;
  /** Cron and interval schedules that start executions (docs/schedules.md); every worker runs them. */
  readonly schedules: Schedules;
  worker(options: WorkerOptions): Worker;
  /**
   * Closes the store. Stop workers first. Afterwards every client call rejects with
   * EngineClosedError and `engine.worker()` throws it; closing twice does nothing.
   */
  close(): Promise<void>;
}

const consoleLog: LogSink = (level, message, fields) => {
  const line = `[stepline] ${level} ${message} ${JSON.stringify(fields)}`;
  if (level === "error") console.error(line);
  else if (level === "warn") console.warn(line);
  else console.log(line);
};

/**
 * Creates an engine on a store.
 *
 * @example
 * const engine = createEngine({ store: lmdbStore("./.stepline") });
 * const worker = engine.worker({ workflows: [fulfillOrder], concurrency: 100 });
 * await worker.start();
 * const run = await engine.client.start(fulfillOrder, order, { id: `order-${order.id}` });
 * console.log(await run.result());
 */
export function createEngine(options: EngineOptions): Engine {
  assertNotLoadingDefinitions("createEngine");
  checkEngineOptions(options);
  const historyLimits = resolveHistoryLimits(options.historyLimits);
  const store = options.encryption ? encryptedStore(options.store, options.encryption) : options.store;
  const env = new EngineEnv(
    store,
    options.clock ?? store.clock ?? systemClock,
    new Codec({ maxEventBytes: options.maxEventBytes, transform: options.transform }),
    new ErrorRegistry(options.errors),
    options.log ?? consoleLog,
    options.pollInterval ?? 100,
  );
  env.historyLimits = historyLimits;
  env.wrapStep = options.wrapStep;
  env.telemetry = engineTelemetry(options.telemetry, env.clock);
  env.register(options.workflows ?? []);
  const retentionMs = checkRetention(options.retention);
  const retention = retentionMs === undefined ? undefined : new RetentionLoop(env, retentionMs);
  const client = new Client(env);
  const schedules = new Schedules(env, client);
  env.internalWorkflows.set(
    schedules.definition.name,
    schedules.definition as WorkflowDefinition<never, unknown>,
  );
  return {
    client,
    schedules,
    worker: (workerOptions) => {
      env.assertOpen("engine.worker()");
      return new Worker(env, workerOptions);
    },
    close: async () => {
      // Marked first: a call racing the close gets EngineClosedError, not the store's own error.
      if (env.closed) return;
      env.closed = true;
      await retention?.stop();
      await options.store.close();
    },
  };
}
