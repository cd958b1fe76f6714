/**
 * OpenTelemetry tracing and metrics (docs/observability.md, "Tracing" and "Metrics").
 *
 * Core stays runtime-neutral and free of a hard dependency: `@opentelemetry/api` is an
 * optional peer that core never imports, not even for types (the few calls made are
 * typed here, structurally). The user hands the API in (`createEngine({ telemetry:
 * { api } })`) and this module calls only what it was given. Contexts are passed
 * explicitly (every span's parent is given to `startSpan`), never read from an ambient
 * store, so core needs no async context tracking of its own. The one ambient read is
 * `api.context.active()` in `client.start`, the caller's context, which is the user's
 * context manager's business (`StartOptions.otelContext` passes it instead).
 *
 * Without `telemetry`, every hook is a no-op of {@link NO_TELEMETRY}: no span, no
 * metric, no allocation (a runner shares {@link NO_ATTEMPT}; `step` returns the step).
 */
import type { StepWrapper } from "./engine.js";
import { InvalidArgumentError, NonDeterminismError } from "./errors.js";
import type { ExecutionStarted, NewEvent } from "./events.js";
import type { Clock } from "./scheduler.js";
import { showValue } from "./show-value.js";
import type { Claim } from "./store.js";
import type { RunnableStep } from "./workflow-ops.js";

/**
 * The part of `@opentelemetry/api` Stepline calls: pass the module itself
 * (`import * as api from "@opentelemetry/api"`). Typed here, structurally, so that
 * the package's types do not need `@opentelemetry/api` installed.
 *
 * @example
 * import * as api from "@opentelemetry/api";
 * const telemetry: TelemetryOptions = { api };
 */
export interface TelemetryApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: OtelContext, span: OtelSpan): OtelContext;
  };
  metrics: { getMeter(name: string, version?: string): OtelMeter };
  context: { active(): OtelContext; with<R>(context: OtelContext, fn: () => R): R };
  propagation: {
    inject(context: OtelContext, carrier: Record<string, string>): void;
    extract(context: OtelContext, carrier: Record<string, string>): OtelContext;
  };
  ROOT_CONTEXT: OtelContext;
}

/** An OpenTelemetry `Context`: opaque to Stepline, handed back to the API it came from. */
export interface OtelContext {
  getValue(key: symbol): unknown;
}

/** Span and metric attributes, as Stepline sets them. */
export type OtelAttributes = Record<string, string | number | boolean>;

/** The calls Stepline makes on an OpenTelemetry `Span`. */
export interface OtelSpan {
  setAttribute(key: string, value: string | number | boolean): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: { name: string; message: string; stack?: string }, time?: number): void;
  end(endTime?: number): void;
}

/** The calls Stepline makes on an OpenTelemetry `Tracer` (`provider.getTracer(name)`). */
export interface OtelTracer {
  startSpan(
    name: string,
    options?: { startTime?: number; attributes?: OtelAttributes },
    context?: OtelContext,
  ): OtelSpan;
}

/** The calls Stepline makes on an OpenTelemetry `Meter` (`provider.getMeter(name)`). */
export interface OtelMeter {
  createCounter(name: string, options?: { description?: string; unit?: string }): OtelCounter;
  createHistogram(name: string, options?: { description?: string; unit?: string }): OtelHistogram;
}

export interface OtelCounter {
  add(value: number, attributes?: OtelAttributes): void;
}

export interface OtelHistogram {
  record(value: number, attributes?: OtelAttributes): void;
}

/**
 * `createEngine({ telemetry })`: spans and metrics through the OpenTelemetry API the
 * application set up (a NodeSDK, or providers it registered).
 *
 * @example
 * import * as api from "@opentelemetry/api";
 * const engine = createEngine({ store, telemetry: { api } });
 * // or with providers of its own, not the global ones:
 * createEngine({ store, telemetry: { api, tracer: provider.getTracer("stepline"), meter } });
 */
export interface TelemetryOptions {
  api: TelemetryApi;
  /** Where spans go. Default: `api.trace.getTracer("@stepline/core")` (the global provider). */
  tracer?: OtelTracer;
  /** Where metrics go. Default: `api.metrics.getMeter("@stepline/core")` (the global provider). */
  meter?: OtelMeter;
}

/** The names of everything emitted, as docs/observability.md lists them. */
export const TELEMETRY_NAMES = {
  attemptSpan: "stepline.execution",
  stepSpan: "stepline.step",
  stepsStarted: "stepline.step.started",
  stepsSucceeded: "stepline.step.succeeded",
  stepsFailed: "stepline.step.failed",
  stepDuration: "stepline.step.duration",
  claimToStart: "stepline.execution.claim_to_start",
  executionsEnded: "stepline.execution.ended",
  nonDeterminism: "stepline.non_determinism_errors",
} as const;

/** Span status ERROR (`SpanStatusCode.ERROR` of @opentelemetry/api, a stable value of the API). */
const STATUS_ERROR = 2;

/** The release statuses that end an execution (or its run), counted by `stepline.execution.ended`. */
const ENDS = new Set(["succeeded", "failed", "cancelled", "timed_out", "continued_as_new"]);

/**
 * The hooks of one execution attempt (one claim, from the claim to the release), called
 * by the execution runner: {@link begin} once the journal is read; {@link step} as each
 * live step attempt starts (replayed operations never reach it), giving the step to run,
 * and {@link stepEnded} with its completion; {@link ended} with the attempt's outcome
 * (the first one counts); {@link close} when the runner lets the execution go.
 */
export interface AttemptTrace {
  begin(started: ExecutionStarted): void;
  step(step: RunnableStep, wrap: StepWrapper | undefined): RunnableStep;
  stepEnded(op: number, completion: NewEvent): void;
  ended(outcome: string, error?: unknown): void;
  close(): void;
  /** The attempt span's context (undefined without telemetry): the children this attempt starts join its trace. */
  context(): unknown;
}

/** The step as given, its body wrapped by `createEngine({ wrapStep })` if there is one. */
const wrapped = (step: RunnableStep, wrap: StepWrapper | undefined): RunnableStep =>
  wrap ? { ...step, fn: wrap(step.name, step.fn) } : step;

/** The engine's telemetry: no-op unless `createEngine({ telemetry })` was given. */
export interface EngineTelemetry {
  /** The caller's trace context as W3C headers, for ExecutionStarted `traceContext`; undefined when there is none. */
  traceContext(context?: unknown): Record<string, string> | undefined;
  attempt(claim: Claim): AttemptTrace;
}

/** Telemetry off: the hooks of an attempt do nothing (and `step` returns the step itself). */
export const NO_ATTEMPT: AttemptTrace = {
  begin() {},
  step: wrapped,
  stepEnded() {},
  ended() {},
  close() {},
  context: () => undefined,
};

/** Telemetry off: every hook does nothing. */
export const NO_TELEMETRY: EngineTelemetry = {
  traceContext: () => undefined,
  attempt: () => NO_ATTEMPT,
};

interface Instruments {
  stepsStarted: OtelCounter;
  stepsSucceeded: OtelCounter;
  stepsFailed: OtelCounter;
  stepDuration: OtelHistogram;
  claimToStart: OtelHistogram;
  executionsEnded: OtelCounter;
  nonDeterminism: OtelCounter;
}

/** Builds the engine's telemetry from `createEngine({ telemetry })` (undefined: {@link NO_TELEMETRY}). */
export function engineTelemetry(options: TelemetryOptions | undefined, clock: Clock): EngineTelemetry {
  if (!options) return NO_TELEMETRY;
  checkTelemetryOptions(options);
  const { api } = options;
  const tracer = options.tracer ?? api.trace.getTracer("@stepline/core");
  const meter = options.meter ?? api.metrics.getMeter("@stepline/core");
  const n = TELEMETRY_NAMES;
  const seconds = { unit: "s" };
  const instruments: Instruments = {
    stepsStarted: meter.createCounter(n.stepsStarted, {
      description: "Step attempts started (live, not replayed)",
    }),
    stepsSucceeded: meter.createCounter(n.stepsSucceeded, { description: "Step attempts that succeeded" }),
    stepsFailed: meter.createCounter(n.stepsFailed, {
      description: "Step attempts that failed (retried or not)",
    }),
    stepDuration: meter.createHistogram(n.stepDuration, { ...seconds, description: "Step attempt duration" }),
    claimToStart: meter.createHistogram(n.claimToStart, {
      ...seconds,
      description: "From when an execution became due to when a worker's runner started it",
    }),
    executionsEnded: meter.createCounter(n.executionsEnded, {
      description: "Executions (or runs) ended, by status",
    }),
    nonDeterminism: meter.createCounter(n.nonDeterminism, {
      description: "Executions blocked because their code no longer replays their journal",
    }),
  };
  return {
    traceContext(context) {
      if (context !== undefined && typeof (context as Partial<OtelContext> | null)?.getValue !== "function") {
        throw new InvalidArgumentError(
          `client.start: otelContext must be an OpenTelemetry Context (api.context.active(), ` +
            `api.trace.setSpan(context, span)), or null for none; got ${showValue(context)}.`,
        );
      }
      const carrier: Record<string, string> = {};
      api.propagation.inject((context as OtelContext | undefined) ?? api.context.active(), carrier);
      return Object.keys(carrier).length > 0 ? carrier : undefined;
    },
    attempt: (claim) => new LiveAttempt(api, tracer, instruments, clock, claim),
  };
}

/** `createEngine({ telemetry })`: the API module, and a tracer and a meter if given, have the calls made on them. */
function checkTelemetryOptions(options: TelemetryOptions): void {
  const o = options as Partial<TelemetryOptions> | null;
  const api = o?.api as Partial<Record<keyof TelemetryApi, Record<string, unknown>>> | undefined;
  const calls: [unknown, string][] = [
    [api?.trace?.getTracer, "trace.getTracer"],
    [api?.trace?.setSpan, "trace.setSpan"],
    [api?.metrics?.getMeter, "metrics.getMeter"],
    [api?.context?.active, "context.active"],
    [api?.context?.with, "context.with"],
    [api?.propagation?.inject, "propagation.inject"],
    [api?.propagation?.extract, "propagation.extract"],
  ];
  const missing = calls.find(([fn]) => typeof fn !== "function");
  if (typeof o !== "object" || o === null || missing || api?.ROOT_CONTEXT === undefined) {
    throw new InvalidArgumentError(
      "createEngine: telemetry must be { api } with the @opentelemetry/api module " +
        '(import * as api from "@opentelemetry/api"), and optionally a tracer and a meter; ' +
        `got ${showValue(o?.api ?? o)}${missing ? ` (no ${missing[1]})` : ""}. See docs/observability.md.`,
    );
  }
  if (o.tracer !== undefined && typeof o.tracer?.startSpan !== "function") {
    throw new InvalidArgumentError(
      `createEngine: telemetry.tracer must be a Tracer (provider.getTracer(name)); got ${showValue(o.tracer)}.`,
    );
  }
  const meter = o.meter as Partial<OtelMeter> | undefined;
  if (
    meter !== undefined &&
    (typeof meter?.createCounter !== "function" || typeof meter.createHistogram !== "function")
  ) {
    throw new InvalidArgumentError(
      `createEngine: telemetry.meter must be a Meter (provider.getMeter(name)); got ${showValue(meter)}.`,
    );
  }
}

class LiveAttempt implements AttemptTrace {
  readonly #startedAt: number;
  readonly #base: OtelAttributes;
  #span: OtelSpan | undefined;
  #context: OtelContext | undefined;
  #outcome: string | undefined;
  #error: unknown;
  /** The step attempts running now, by op: one attempt of an op runs at a time. */
  readonly #steps = new Map<number, { span: OtelSpan; start: number; attributes: OtelAttributes }>();

  constructor(
    readonly api: TelemetryApi,
    readonly tracer: OtelTracer,
    readonly instruments: Instruments,
    readonly clock: Clock,
    readonly claim: Claim,
  ) {
    this.#startedAt = clock.now();
    const { record } = claim;
    this.#base = { "stepline.workflow": record.workflow };
    // The due time the claim took it at (stores that say; Claim.dueAt).
    if (claim.dueAt !== undefined) {
      instruments.claimToStart.record(Math.max(0, this.#startedAt - claim.dueAt) / 1000, this.#base);
    }
  }

  begin(started: ExecutionStarted): void {
    if (this.#span) return;
    const { api, claim } = this;
    // The caller's trace (client.start, possibly in another process): its W3C headers were journaled.
    const parent = started.traceContext
      ? api.propagation.extract(api.ROOT_CONTEXT, started.traceContext)
      : api.ROOT_CONTEXT;
    this.#span = this.tracer.startSpan(
      TELEMETRY_NAMES.attemptSpan,
      {
        startTime: this.#startedAt,
        attributes: {
          ...this.#base,
          "stepline.execution.id": claim.lease.executionId,
          "stepline.run": started.run ?? 1,
          "stepline.recovered": claim.recovered,
        },
      },
      parent,
    );
    this.#context = api.trace.setSpan(parent, this.#span);
  }

  step(step: RunnableStep, wrap: StepWrapper | undefined): RunnableStep {
    const { api } = this;
    const attributes: OtelAttributes = { ...this.#base, "stepline.step.name": step.name };
    const start = this.clock.now();
    const parent = this.#context ?? api.ROOT_CONTEXT;
    const span = this.tracer.startSpan(
      TELEMETRY_NAMES.stepSpan,
      {
        startTime: start,
        attributes: {
          ...attributes,
          "stepline.execution.id": this.claim.lease.executionId,
          "stepline.step.op": step.op,
          "stepline.step.attempt": step.attempt,
        },
      },
      parent,
    );
    this.instruments.stepsStarted.add(1, attributes);
    this.#steps.set(step.op, { span, start, attributes });
    const inSpan = api.trace.setSpan(parent, span);
    const { fn } = wrapped(step, wrap);
    // The body runs with the step span active, so spans it makes (an HTTP client's) nest under it.
    return { ...step, fn: (info) => api.context.with(inSpan, () => fn(info)) };
  }

  stepEnded(op: number, completion: NewEvent): void {
    const running = this.#steps.get(op);
    if (!running) return;
    this.#steps.delete(op);
    const { span, start, attributes } = running;
    const { instruments } = this;
    const end = this.clock.now();
    const outcome =
      completion.type === "StepSucceeded"
        ? "succeeded"
        : completion.type === "StepFailed" && completion.retryAt !== undefined
          ? "retrying"
          : "failed";
    span.setAttribute("stepline.step.outcome", outcome);
    if (completion.type === "StepFailed") {
      const { name, message, stack } = completion.error;
      span.setAttribute("error.type", name);
      span.recordException({ name, message, ...(stack && { stack }) }, end);
      span.setStatus({ code: STATUS_ERROR, message: `${name}: ${message}` });
      instruments.stepsFailed.add(1, { ...attributes, "stepline.step.outcome": outcome });
    } else {
      instruments.stepsSucceeded.add(1, attributes);
    }
    const withOutcome = { ...attributes, "stepline.step.outcome": outcome };
    instruments.stepDuration.record(Math.max(0, end - start) / 1000, withOutcome);
    span.end(end);
  }

  ended(outcome: string, error?: unknown): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    this.#error = error;
    if (ENDS.has(outcome))
      this.instruments.executionsEnded.add(1, { ...this.#base, "stepline.status": outcome });
    if (NonDeterminismError.is(error)) this.instruments.nonDeterminism.add(1, this.#base);
  }

  context(): unknown {
    return this.#context;
  }

  close(): void {
    // Never read its journal (parked before that): the span still tells of the claim.
    if (!this.#span) this.begin({ run: this.claim.record.run } as ExecutionStarted);
    const span = this.#span as OtelSpan;
    // No outcome: the lease was lost, the runner failed, or the execution was terminated.
    const outcome = this.#outcome ?? "abandoned";
    span.setAttribute("stepline.outcome", outcome);
    const error = this.#error;
    if (outcome === "failed" || outcome === "blocked" || error !== undefined) {
      const message = error instanceof Error ? `${error.name}: ${error.message}` : outcome;
      span.setStatus({ code: STATUS_ERROR, message });
      if (error instanceof Error) span.setAttribute("error.type", error.name);
    }
    span.end(this.clock.now());
  }
}
