import * as api from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import {
  type CollectionResult,
  type DataPoint,
  type Histogram,
  MeterProvider,
  MetricReader,
} from "@opentelemetry/sdk-metrics";
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from "@opentelemetry/sdk-trace-base";
import { afterEach, describe, expect, it } from "vitest";
import { InvalidArgumentError } from "./errors.js";
import type { JournalEvent } from "./events.js";
import {
  createEngine,
  type Engine,
  memoryStore,
  type Store,
  TELEMETRY_NAMES,
  type TelemetryOptions,
  workflow,
} from "./index.js";
import { storeHoldingPrefix } from "./testing/crashed-store.js";

/** A metric reader the test collects from when it likes. */
class TestReader extends MetricReader {
  protected override async onShutdown(): Promise<void> {}
  protected override async onForceFlush(): Promise<void> {}
}

/** W3C propagation without the global propagator: what the engine injects and extracts with. */
const w3c = new W3CTraceContextPropagator();
const propagation = {
  inject: (context: api.Context, carrier: unknown) => w3c.inject(context, carrier, api.defaultTextMapSetter),
  extract: (context: api.Context, carrier: unknown) =>
    w3c.extract(context, carrier, api.defaultTextMapGetter),
};

function newTelemetry() {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const reader = new TestReader();
  const meterProvider = new MeterProvider({ readers: [reader] });
  const telemetry = {
    api: { ...api, propagation },
    tracer: tracerProvider.getTracer("test"),
    meter: meterProvider.getMeter("test"),
  };
  return { exporter, reader, telemetry, tracer: telemetry.tracer };
}

const engines: Engine[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const engine of engines.splice(0)) await engine.close();
  api.context.disable();
});

/** Starts a worker; its `stop()` (before the spans are read) waits for its runners to end their spans. */
async function runWorker(engine: Engine, workflows: Parameters<Engine["worker"]>[0]["workflows"]) {
  const worker = engine.worker({ workflows, leaseMs: 5_000 });
  await worker.start();
  stops.push(() => worker.stop());
  return worker;
}

function engineOn(store: Store, telemetry: ReturnType<typeof newTelemetry>["telemetry"]) {
  const engine = createEngine({ store, log: () => {}, pollInterval: 10, telemetry });
  engines.push(engine);
  return engine;
}

const spansNamed = (exporter: InMemorySpanExporter, name: string) =>
  exporter.getFinishedSpans().filter((span) => span.name === name);

/** The data points of metric `name` in a collection. */
function points(collected: CollectionResult, name: string): DataPoint<unknown>[] {
  const metrics = collected.resourceMetrics.scopeMetrics.flatMap((scope) => scope.metrics);
  return metrics
    .filter((m) => m.descriptor.name === name)
    .flatMap((m) => m.dataPoints as DataPoint<unknown>[]);
}

/** The sum of counter `name` over data points whose attributes include `where`. */
function total(collected: CollectionResult, name: string, where: Record<string, unknown> = {}): number {
  return points(collected, name)
    .filter((p) => Object.entries(where).every(([k, v]) => p.attributes[k] === v))
    .reduce((sum, p) => sum + (typeof p.value === "number" ? p.value : (p.value as Histogram).count), 0);
}

let bodies: string[] = [];
afterEach(() => {
  bodies = [];
});

/** Records that body `name` ran and returns `value`. */
const ran = <T>(name: string, value: T): T => {
  bodies.push(name);
  return value;
};

const threeSteps = workflow("otel-three", async (ctx, n: number) => {
  const a = await ctx.step("a", () => ran("a", n + 1));
  const b = await ctx.step("b", () => ran("b", a * 2));
  return ctx.step("c", () => ran("c", b + 1));
});

describe("telemetry: spans", () => {
  it("gives one attempt span and a child span per step, with their attributes", async () => {
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const worker = await runWorker(engine, [threeSteps]);
    const run = await engine.client.start(threeSteps, 1, { id: "three-1" });
    expect(await run.result()).toBe(5);
    await worker.stop();

    const attempts = spansNamed(t.exporter, TELEMETRY_NAMES.attemptSpan);
    expect(attempts).toHaveLength(1);
    const attempt = attempts[0] as ReadableSpan;
    expect(attempt.attributes).toMatchObject({
      "stepline.execution.id": "three-1",
      "stepline.workflow": "otel-three",
      "stepline.run": 1,
      "stepline.outcome": "succeeded",
    });
    // No caller trace here: the attempt span is a root.
    expect(attempt.parentSpanContext).toBeUndefined();

    const steps = spansNamed(t.exporter, TELEMETRY_NAMES.stepSpan);
    expect(steps.map((s) => s.attributes["stepline.step.name"])).toEqual(["a", "b", "c"]);
    for (const [op, step] of steps.entries()) {
      expect(step.attributes).toMatchObject({
        "stepline.execution.id": "three-1",
        "stepline.workflow": "otel-three",
        "stepline.step.op": op,
        "stepline.step.attempt": 1,
        "stepline.step.outcome": "succeeded",
      });
      expect(step.parentSpanContext?.spanId).toBe(attempt.spanContext().spanId);
      expect(step.spanContext().traceId).toBe(attempt.spanContext().traceId);
      expect(step.status.code).toBe(api.SpanStatusCode.UNSET);
    }
  });

  it("gives no span to steps replayed after a crash, only to the one that runs live", async () => {
    // A crash-free journal, cut after a and b succeeded: a new worker replays them and runs c.
    const t0 = newTelemetry();
    const first = engineOn(memoryStore(), t0.telemetry);
    await runWorker(first, [threeSteps]);
    await (await first.client.start(threeSteps, 1, { id: "crash-1" })).result();
    const journal = await first.client.history("crash-1");
    const cut = journal.findIndex((e) => e.type === "StepSucceeded" && e.op === 1) + 1;
    bodies = [];

    const t = newTelemetry();
    const store = await storeHoldingPrefix("crash-1", journal.slice(0, cut) as JournalEvent[]);
    const engine = engineOn(store, t.telemetry);
    const worker = await runWorker(engine, [threeSteps]);
    expect(await engine.client.handle("crash-1").result()).toBe(5);
    await worker.stop();

    expect(bodies).toEqual(["c"]);
    const steps = spansNamed(t.exporter, TELEMETRY_NAMES.stepSpan);
    expect(steps.map((s) => [s.attributes["stepline.step.name"], s.attributes["stepline.step.op"]])).toEqual([
      ["c", 2],
    ]);
    const attempts = spansNamed(t.exporter, TELEMETRY_NAMES.attemptSpan);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]?.attributes["stepline.recovered"]).toBe(true);
    const collected = await t.reader.collect();
    expect(total(collected, TELEMETRY_NAMES.stepsStarted)).toBe(1);
  });

  it("gives a span to every attempt of a step that fails and is retried, with the error", async () => {
    let calls = 0;
    const flaky = workflow("otel-flaky", async (ctx) =>
      ctx.step(
        "charge",
        () => {
          calls++;
          if (calls === 1) throw new Error("card service down");
          return "ok";
        },
        { retry: { maxAttempts: 3, initialInterval: 1 } },
      ),
    );
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const worker = await runWorker(engine, [flaky]);
    expect(await (await engine.client.start(flaky, undefined, { id: "flaky-1" })).result()).toBe("ok");
    await worker.stop();

    const steps = spansNamed(t.exporter, TELEMETRY_NAMES.stepSpan);
    expect(
      steps.map((s) => [s.attributes["stepline.step.attempt"], s.attributes["stepline.step.outcome"]]),
    ).toEqual([
      [1, "retrying"],
      [2, "succeeded"],
    ]);
    const [failed, succeeded] = steps as [ReadableSpan, ReadableSpan];
    expect(failed.status).toEqual({ code: api.SpanStatusCode.ERROR, message: "Error: card service down" });
    expect(failed.attributes["error.type"]).toBe("Error");
    const exception = failed.events.find((e) => e.name === "exception");
    expect(exception?.attributes?.["exception.message"]).toBe("card service down");
    expect(succeeded.status.code).toBe(api.SpanStatusCode.UNSET);

    const collected = await t.reader.collect();
    expect(total(collected, TELEMETRY_NAMES.stepsStarted, { "stepline.step.name": "charge" })).toBe(2);
    expect(total(collected, TELEMETRY_NAMES.stepsFailed, { "stepline.step.outcome": "retrying" })).toBe(1);
    expect(total(collected, TELEMETRY_NAMES.stepsSucceeded)).toBe(1);
  });

  it("joins the client.start caller's trace, from a client and a worker on two engines", async () => {
    const store = memoryStore();
    const caller = newTelemetry();
    const workerSide = newTelemetry();
    const client = engineOn(store, caller.telemetry).client;
    const worker = engineOn(store, workerSide.telemetry);
    const running = await runWorker(worker, [threeSteps]);

    // The caller's active context (a context manager, as NodeSDK registers).
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    const request = caller.tracer.startSpan("POST /orders");
    const handle = await api.context.with(api.trace.setSpan(api.context.active(), request), () =>
      client.start(threeSteps, 1, { id: "traced-1" }),
    );
    request.end();
    await handle.result();
    await running.stop();

    const [started] = await client.history("traced-1");
    expect(started?.type === "ExecutionStarted" && started.traceContext?.traceparent).toMatch(
      new RegExp(`^00-${request.spanContext().traceId}-${request.spanContext().spanId}-01$`),
    );
    const [attempt] = spansNamed(workerSide.exporter, TELEMETRY_NAMES.attemptSpan);
    expect(attempt?.spanContext().traceId).toBe(request.spanContext().traceId);
    expect(attempt?.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    const steps = spansNamed(workerSide.exporter, TELEMETRY_NAMES.stepSpan);
    expect(steps).toHaveLength(3);
    expect(new Set(steps.map((s) => s.spanContext().traceId))).toEqual(
      new Set([request.spanContext().traceId]),
    );
  });

  it("runs a step body with its step span active, so spans the body makes nest under it", async () => {
    const t = newTelemetry();
    const calling = workflow("otel-calling", async (ctx) =>
      ctx.step("call-api", () => {
        t.tracer.startSpan("GET /rates").end();
        return "rates";
      }),
    );
    const engine = engineOn(memoryStore(), t.telemetry);
    const worker = await runWorker(engine, [calling]);
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    await (await engine.client.start(calling, undefined, { id: "calling-1" })).result();
    await worker.stop();
    const [step] = spansNamed(t.exporter, TELEMETRY_NAMES.stepSpan);
    const [inner] = spansNamed(t.exporter, "GET /rates");
    expect(inner?.parentSpanContext?.spanId).toBe(step?.spanContext().spanId);
    expect(inner?.spanContext().traceId).toBe(step?.spanContext().traceId);
  });

  it("carries the trace context to the next run of continue-as-new: both runs' spans are in the caller's trace", async () => {
    const looping = workflow("otel-looping", async (ctx, n: number) => {
      await ctx.step("tick", () => n);
      return n < 2 ? ctx.continueAsNew(n + 1) : n;
    });
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const worker = await runWorker(engine, [looping]);
    const request = t.tracer.startSpan("job");
    const otelContext = api.trace.setSpan(api.ROOT_CONTEXT, request);
    const run = await engine.client.start(looping, 1, { id: "looping-1", otelContext });
    expect(await run.result()).toBe(2);
    await worker.stop();
    const [second] = await run.history({ run: 2 });
    expect(second?.type === "ExecutionStarted" && second.traceContext?.traceparent).toContain(
      request.spanContext().traceId,
    );
    const attempts = spansNamed(t.exporter, TELEMETRY_NAMES.attemptSpan);
    expect(attempts.map((a) => [a.attributes["stepline.run"], a.attributes["stepline.outcome"]])).toEqual([
      [1, "continued_as_new"],
      [2, "succeeded"],
    ]);
    for (const attempt of attempts)
      expect(attempt.parentSpanContext?.spanId).toBe(request.spanContext().spanId);
    const collected = await t.reader.collect();
    expect(total(collected, TELEMETRY_NAMES.executionsEnded, { "stepline.status": "continued_as_new" })).toBe(
      1,
    );
  });

  it("starts a child in its parent's trace: the child's attempt span is a child of the parent's", async () => {
    const charge = workflow("otel-charge", async (ctx, amount: number) => ctx.step("capture", () => amount));
    const order = workflow("otel-order", async (ctx, amount: number) => ctx.child(charge, amount));
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const worker = await runWorker(engine, [order, charge]);
    expect(await (await engine.client.start(order, 9, { id: "order-9" })).result()).toBe(9);
    await worker.stop();
    const attempts = spansNamed(t.exporter, TELEMETRY_NAMES.attemptSpan);
    const parentAttempts = attempts.filter((a) => a.attributes["stepline.workflow"] === "otel-order");
    const [childAttempt] = attempts.filter((a) => a.attributes["stepline.workflow"] === "otel-charge");
    // The parent waits for the child: at least one attempt starts it; the first one does.
    const starter = parentAttempts[0] as ReadableSpan;
    expect(childAttempt?.parentSpanContext?.spanId).toBe(starter.spanContext().spanId);
    expect(childAttempt?.spanContext().traceId).toBe(starter.spanContext().traceId);
    const [capture] = spansNamed(t.exporter, TELEMETRY_NAMES.stepSpan);
    expect(capture?.spanContext().traceId).toBe(starter.spanContext().traceId);
  });

  it("journals the context given as otelContext, with no context manager", async () => {
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const worker = await runWorker(engine, [threeSteps]);
    const request = t.tracer.startSpan("job");
    const otelContext = api.trace.setSpan(api.ROOT_CONTEXT, request);
    await (await engine.client.start(threeSteps, 1, { id: "explicit-1", otelContext })).result();
    await worker.stop();
    const [attempt] = spansNamed(t.exporter, TELEMETRY_NAMES.attemptSpan);
    expect(attempt?.spanContext().traceId).toBe(request.spanContext().traceId);
  });

  it("journals no trace context for otelContext null, nor for a schedule created inside a trace", async () => {
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const span = t.tracer.startSpan("admin request");
    const otelContext = api.trace.setSpan(api.ROOT_CONTEXT, span);
    api.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    await api.context.with(otelContext, async () => {
      await engine.client.start(threeSteps, 1, { id: "null-1", otelContext: null });
      await engine.schedules.create("nightly", { workflow: threeSteps, input: 1, every: "1d" });
      await engine.client.start(threeSteps, 1, { id: "active-1" });
    });
    const startedOf = async (id: string) => (await engine.client.history(id))[0] as Record<string, unknown>;
    expect((await startedOf("null-1")).traceContext).toBeUndefined();
    expect((await startedOf("schedule:nightly")).traceContext).toBeUndefined();
    // The control: the same active context is journaled when nothing says otherwise.
    expect((await startedOf("active-1")).traceContext).toEqual({
      traceparent: `00-${span.spanContext().traceId}-${span.spanContext().spanId}-01`,
    });
  });

  it("journals no trace context without telemetry, nor when no trace is active", async () => {
    const plain = createEngine({ store: memoryStore(), log: () => {} });
    engines.push(plain);
    await plain.client.start(threeSteps, 1, { id: "plain-1" });
    // The API module as it is, with its global (no-op) propagator and providers.
    const telemetry: TelemetryOptions = { api };
    const traced = createEngine({ store: memoryStore(), log: () => {}, telemetry });
    engines.push(traced);
    await traced.client.start(threeSteps, 1, { id: "untraced-1" });
    for (const [engine, id] of [
      [plain, "plain-1"],
      [traced, "untraced-1"],
    ] as const) {
      const [started] = await engine.client.history(id);
      expect(started?.type).toBe("ExecutionStarted");
      expect(started && "traceContext" in started).toBe(false);
    }
  });
});

describe("telemetry: metrics", () => {
  it("counts steps, their latency, the claim-to-start latency and the end by status", async () => {
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const worker = await runWorker(engine, [threeSteps]);
    await (await engine.client.start(threeSteps, 1, { id: "metrics-1" })).result();
    await (await engine.client.start(threeSteps, 2, { id: "metrics-2" })).result();
    await worker.stop();

    const collected = await t.reader.collect();
    const n = TELEMETRY_NAMES;
    const workflowOnly = { "stepline.workflow": "otel-three" };
    expect(total(collected, n.stepsStarted, workflowOnly)).toBe(6);
    expect(total(collected, n.stepsStarted, { "stepline.step.name": "b" })).toBe(2);
    expect(total(collected, n.stepsSucceeded, workflowOnly)).toBe(6);
    expect(total(collected, n.stepsFailed)).toBe(0);
    expect(total(collected, n.stepDuration, { "stepline.step.name": "c" })).toBe(2);
    expect(total(collected, n.executionsEnded, { ...workflowOnly, "stepline.status": "succeeded" })).toBe(2);
    expect(total(collected, n.nonDeterminism)).toBe(0);
    // One claim per execution (each ran to its end in one attempt).
    const claims = points(collected, n.claimToStart);
    expect(claims.map((p) => (p.value as Histogram).count)).toEqual([2]);
    expect((claims[0]?.value as Histogram | undefined)?.min).toBeGreaterThanOrEqual(0);
  });

  it("counts a NonDeterminismError and marks the blocked attempt's span as an error", async () => {
    const renamed = workflow("otel-renamed", async (ctx) => ctx.step("new-name", () => 1));
    const prefix: JournalEvent[] = [
      {
        seq: 0,
        at: 1_000,
        type: "ExecutionStarted",
        workflow: "otel-renamed",
        version: 1,
        input: null,
        seed: 7,
      },
      { seq: 1, at: 1_000, type: "StepScheduled", op: 0, name: "old-name", attempt: 1 },
    ];
    const t = newTelemetry();
    const engine = engineOn(await storeHoldingPrefix("nd-1", prefix), t.telemetry);
    const worker = await runWorker(engine, [renamed]);
    for (let i = 0; i < 200 && (await engine.client.describe("nd-1")).status !== "blocked"; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect((await engine.client.describe("nd-1")).status).toBe("blocked");
    await worker.stop();

    const collected = await t.reader.collect();
    expect(total(collected, TELEMETRY_NAMES.nonDeterminism, { "stepline.workflow": "otel-renamed" })).toBe(1);
    expect(total(collected, TELEMETRY_NAMES.executionsEnded)).toBe(0);
    const [attempt] = spansNamed(t.exporter, TELEMETRY_NAMES.attemptSpan);
    expect(attempt?.attributes["stepline.outcome"]).toBe("blocked");
    expect(attempt?.status.code).toBe(api.SpanStatusCode.ERROR);
    expect(attempt?.attributes["error.type"]).toBe("NonDeterminismError");
    expect(spansNamed(t.exporter, TELEMETRY_NAMES.stepSpan)).toHaveLength(0);
  });
});

describe("telemetry: bad options", () => {
  const engineWith = (telemetry: unknown) =>
    createEngine({ store: memoryStore(), log: () => {}, telemetry: telemetry as TelemetryOptions });

  it("refuses a telemetry option without the API module, naming what is missing", () => {
    for (const [telemetry, missing] of [
      [{}, "(no trace.getTracer)"],
      [{ api: { ...api, propagation: {} } }, "(no propagation.inject)"],
      [api, "(no trace.getTracer)"],
    ] as const) {
      const error = (() => {
        try {
          engineWith(telemetry);
        } catch (thrown) {
          return thrown as Error;
        }
        throw new Error("expected createEngine to throw");
      })();
      expect(InvalidArgumentError.is(error)).toBe(true);
      expect(error.message).toMatch(
        /^createEngine: telemetry must be \{ api \} with the @opentelemetry\/api module/,
      );
      expect(error.message).toContain(missing);
    }
    expect(() => engineWith({ api, tracer: {} })).toThrow(/^createEngine: telemetry.tracer must be a Tracer/);
    expect(() => engineWith({ api, meter: { createCounter: () => ({}) } })).toThrow(
      /^createEngine: telemetry.meter must be a Meter/,
    );
  });

  it("refuses an otelContext that is not a Context, writing nothing", async () => {
    const t = newTelemetry();
    const engine = engineOn(memoryStore(), t.telemetry);
    const start = engine.client.start(threeSteps, 1, { id: "bad-context", otelContext: "00-abc" });
    await expect(start).rejects.toThrow(InvalidArgumentError);
    await expect(start).rejects.toThrow(
      /^client.start: otelContext must be an OpenTelemetry Context .*; got "00-abc"/,
    );
    expect(await engine.client.list()).toEqual([]);
  });
});
