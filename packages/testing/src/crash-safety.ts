import {
  Codec,
  type JournalEvent,
  memoryStore,
  SteplineError,
  type Store,
  type WorkflowDefinition,
} from "@stepline/core";
import { type StepMock, TestEnvironment, type TestEnvironmentOptions } from "./test-environment.js";

// biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
type AnyWorkflow = WorkflowDefinition<any, any>;

export interface CrashSafetyOptions {
  /** Events put in the execution's inbox before it starts, so every run receives the same ones. */
  events?: readonly { name: string; payload?: unknown }[];
  /** Also take the lease away in the middle of each step's first attempt. Default true. */
  lostLease?: boolean;
}

/** One simulated failure that was tried. */
export interface SimulatedCrash {
  kind: "crash" | "lost-lease";
  /** For a crash, how many journal events were durable (the journal prefix kept); for a lost lease, the step's op. */
  at: number;
  /** The last durable event's type (a crash), or the step's name (a lost lease). */
  after: string;
}

export interface CrashSafetyReport {
  /** Journal positions a crash was simulated at. */
  positions: number;
  /** Every crash and lost lease tried, in order; each ended as the crash-free run did. */
  crashes: SimulatedCrash[];
  /** The crash-free run's output and journal. */
  output: unknown;
  journal: JournalEvent[];
}

/**
 * A run after a simulated crash or lost lease did not end as the crash-free run did.
 * The message names the position and the difference; `crash`, `expected` and `actual`
 * hold them for a test to look at.
 */
export class CrashSafetyError extends SteplineError {
  override readonly code = "STEPLINE_CRASH_UNSAFE";
  override name = "CrashSafetyError";
  static override is = (value: unknown): value is CrashSafetyError =>
    value instanceof Error && (value as { code?: unknown }).code === "STEPLINE_CRASH_UNSAFE";

  constructor(
    message: string,
    readonly crash: SimulatedCrash,
    readonly expected: unknown,
    readonly actual: unknown,
  ) {
    super(message);
  }
}

interface Setup extends TestEnvironmentOptions {
  mocks: ReadonlyMap<string, StepMock>;
}

interface Outcome {
  ok: boolean;
  value: unknown;
  journal: JournalEvent[];
  calls: Map<string, number>;
}

const ID = "crash-check";
const HINT =
  "Outside steps a workflow must be deterministic: use ctx.now(), ctx.random() and ctx.ulid() instead of " +
  "Date.now(), Math.random() and random ids, and do I/O and changes to outside state only inside ctx.step " +
  "(docs/determinism.md).";

/** verifyCrashSafety's work; TestEnvironment.verifyCrashSafety documents it. */
export async function verifyCrashSafety(
  setup: Setup,
  workflow: AnyWorkflow,
  input: unknown,
  options: CrashSafetyOptions,
): Promise<CrashSafetyReport> {
  const events = options.events ?? [];
  const codec = new Codec();

  const runOn = async (
    store: Store,
    start: number,
    begin: (env: TestEnvironment) => Promise<void>,
    beforeStep?: (name: string, env: TestEnvironment) => Promise<void> | void,
  ): Promise<Outcome> => {
    const calls = new Map<string, number>();
    const env: TestEnvironment = new TestEnvironment(
      { ...setup, store, start },
      store,
      async () => {},
      async (name) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        await beforeStep?.(name, env);
      },
    );
    for (const [name, mock] of setup.mocks) env.mockStep(name, mock);
    try {
      await begin(env);
      await env.start();
      try {
        const value = await env.result(ID);
        return { ok: true, value, journal: await env.client.history(ID), calls };
      } catch (error) {
        return { ok: false, value: describeError(error), journal: await env.client.history(ID), calls };
      }
    } finally {
      await env.close();
    }
  };
  const startFresh = async (env: TestEnvironment) => {
    await env.engine.client.start(workflow, input, { id: ID });
    for (const event of events) await env.engine.client.sendEvent(ID, event.name, event.payload);
  };

  const start = setup.start ?? Date.UTC(2030, 0, 1);
  const reference = await runOn(memoryStore(), start, startFresh);
  const expected = normalize(reference.journal);
  const names = stepNames(reference.journal);
  const crashes: SimulatedCrash[] = [];

  for (let cut = 1; cut < reference.journal.length; cut++) {
    const prefix = reference.journal.slice(0, cut);
    const crash: SimulatedCrash = { kind: "crash", at: cut, after: (prefix.at(-1) as JournalEvent).type };
    const store = await storeHoldingPrefix(prefix, events, codec);
    const resumed = await runOn(store, (prefix.at(-1) as JournalEvent).at, async () => {});
    compare(crash, reference, resumed, expected, completedSteps(prefix, names));
    crashes.push(crash);
  }

  if (options.lostLease !== false) {
    for (const [op, name] of names) {
      const crash: SimulatedCrash = { kind: "lost-lease", at: op, after: name };
      let stolen = false;
      // From the crash-free run's ExecutionStarted, so that its seed (ctx.random, ctx.ulid) is the same.
      const started = reference.journal.slice(0, 1);
      const store = await storeHoldingPrefix(started, events, codec);
      const at = (started[0] as JournalEvent).at;
      const resumed = await runOn(
        store,
        at,
        async () => {},
        async (stepName, env) => {
          if (stolen || stepName !== name) return;
          stolen = true;
          // Another worker takes the execution over while the body runs (its claim is dated
          // past this runner's lease) and hands it back at once, due now: the store refuses
          // this runner's writes from here on, and the environment's worker claims the
          // execution again and finds the attempt unfinished. No virtual time passes, so
          // the run must end exactly as the crash-free one did.
          const leaseMs = setup.leaseMs ?? 5_000;
          const [thief] = await env.store.queue.claim({
            owner: "verifyCrashSafety-thief",
            workflows: [workflow.name],
            limit: 1,
            now: env.now() + leaseMs + 1,
            leaseMs: 1,
          });
          if (!thief)
            throw new Error(`verifyCrashSafety: could not take the lease away during step "${name}".`);
          await env.store.queue.release(thief.lease, { status: "running", dueAt: env.now() }, env.now());
        },
      );
      compare(crash, reference, resumed, expected, new Set());
      crashes.push(crash);
    }
  }

  return {
    positions: crashes.filter((c) => c.kind === "crash").length,
    crashes,
    output: reference.value,
    journal: reference.journal,
  };
}

/** Throws CrashSafetyError at the first difference between the crash-free run and `resumed`. */
function compare(
  crash: SimulatedCrash,
  reference: Outcome,
  resumed: Outcome,
  expected: string[],
  completed: Set<string>,
): void {
  const where =
    crash.kind === "crash"
      ? `After a crash with ${crash.at} journal event(s) durable (the last: ${crash.after})`
      : `After the lease was lost during step "${crash.after}" (op ${crash.at})`;
  const fail = (difference: string, want: unknown, got: unknown) => {
    // A NonDeterminismError says all of this already.
    const hint = difference.includes("docs/determinism.md") ? "" : ` ${HINT}`;
    throw new CrashSafetyError(`${where}, ${difference}${hint}`, crash, want, got);
  };
  if (reference.ok !== resumed.ok || JSON.stringify(reference.value) !== JSON.stringify(resumed.value)) {
    fail(
      `the run ended differently: crash-free it ${show(reference)}, resumed it ${show(resumed)}`.replace(
        /\.?$/,
        ".",
      ),
      reference.value,
      resumed.value,
    );
  }
  const actual = normalize(resumed.journal);
  const length = Math.max(expected.length, actual.length);
  for (let i = 0; i < length; i++) {
    if (expected[i] !== actual[i]) {
      fail(
        `the journal differs at event ${i}: crash-free it has ${expected[i] ?? "nothing"}, resumed it has ${actual[i] ?? "nothing"}.`,
        expected[i],
        actual[i],
      );
    }
  }
  for (const name of completed) {
    const calls = resumed.calls.get(name) ?? 0;
    if (calls > 0) {
      fail(
        `step "${name}" ran ${calls} time(s) again though its result was journaled before the crash.`,
        0,
        calls,
      );
    }
  }
  for (const [name, calls] of resumed.calls) {
    const allowed = (reference.calls.get(name) ?? 0) + 1;
    if (calls > allowed)
      fail(`step "${name}" ran ${calls} times; crash-free it ran ${allowed - 1}.`, allowed - 1, calls);
  }
}

function show(outcome: Outcome): string {
  return outcome.ok ? `returned ${JSON.stringify(outcome.value)}` : `failed with ${String(outcome.value)}`;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** Step names by op, from the StepScheduled events. */
function stepNames(journal: readonly JournalEvent[]): Map<number, string> {
  const names = new Map<number, string>();
  for (const event of journal) if (event.type === "StepScheduled") names.set(event.op, event.name);
  return names;
}

/** Names of the steps whose result (success, or failure for good) is in `prefix`. */
function completedSteps(prefix: readonly JournalEvent[], names: Map<number, string>): Set<string> {
  const done = new Set<string>();
  for (const event of prefix) {
    if (event.type === "StepSucceeded" || (event.type === "StepFailed" && event.retryAt === undefined)) {
      const name = names.get(event.op);
      if (name !== undefined) done.add(name);
    }
  }
  return done;
}

/**
 * The journal without times, attempt numbers and seeds, error stacks and causes,
 * and with the StepScheduled of a re-run interrupted attempt collapsed into the first:
 * what must be the same however often the execution crashed.
 */
export function normalize(events: readonly JournalEvent[]): string[] {
  const lastTypeOfOp = new Map<number, string>();
  const out: string[] = [];
  for (const event of events) {
    const { seq: _seq, at: _at, ...body } = event as JournalEvent & Record<string, unknown>;
    for (const key of ["attempt", "seed", "worker"]) delete body[key];
    if ("error" in body && body.error) {
      const error = body.error as { name: string; message: string };
      body.error = { name: error.name, message: error.message };
    }
    const op = (event as { op?: number }).op;
    if (event.type === "StepScheduled" && op !== undefined && lastTypeOfOp.get(op) === "StepScheduled")
      continue;
    if (op !== undefined) lastTypeOfOp.set(op, event.type);
    out.push(JSON.stringify(body));
  }
  return out;
}

/**
 * A memory store holding exactly `prefix` of an execution's journal, as if the worker
 * that wrote it had died right after the prefix became durable: created a millisecond
 * before its ExecutionStarted, with `events` in its inbox, claimed by a dead worker
 * whose lease ends at the ExecutionStarted's time, and the rest of the prefix appended.
 */
async function storeHoldingPrefix(
  prefix: readonly JournalEvent[],
  events: readonly { name: string; payload?: unknown }[],
  codec: Codec,
): Promise<Store> {
  const store = memoryStore();
  const started = prefix[0];
  if (started?.type !== "ExecutionStarted") throw new Error("a journal starts with ExecutionStarted");
  const at = started.at - 1;
  await store.executions.create({
    id: ID,
    workflow: started.workflow,
    createdAt: at,
    started: codec.encode(started, "start"),
  });
  for (const event of events) {
    await store.inbox.send(ID, codec.encode({ name: event.name, payload: event.payload, at }, "event"), at);
  }
  const [claim] = await store.queue.claim({
    owner: "crashed-worker",
    workflows: [started.workflow],
    limit: 1,
    now: at,
    leaseMs: 1,
  });
  if (!claim) throw new Error("the crashed worker's claim failed");
  if (prefix.length > 1) {
    await store.journal.append(
      claim.lease,
      { expectedSeq: 1, events: prefix.slice(1).map((e) => codec.encode(e, "event")) },
      at,
    );
  }
  return store;
}
