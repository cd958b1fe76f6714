import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  createEngine,
  type Engine,
  type ExecutionHandle,
  SteplineError,
  TERMINAL_STATUSES,
  type Worker,
} from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import fc from "fast-check";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canary, durations, echo, FUZZ_WORKFLOWS, named, thrower, waiter } from "./fuzz-workflows.js";
import { hostileDuration, hostileString, hostileValue, THROWN_KINDS } from "./hostile-values.js";

/**
 * Hostile input through the public API, on an LMDB store (where issue 9 found the
 * jams the memory store hides). Each class asserts only what a caller relies on: the
 * call succeeds or throws a typed SteplineError; an execution it starts ends (or is
 * parked as blocked with a reason) instead of jamming; no TimeoutOverflowWarning; and
 * the worker still runs a canary execution afterwards. A failure names the class and
 * the first input that failed (with fast-check's seed to play it again).
 */

let dir: string;
let engine: Engine;
let worker: Worker;
const warnings: string[] = [];
// A timer beyond 2^31-1 ms fires at once and busy-loops (issue 9, item 4): Node warns.
const onWarning = (warning: Error) => {
  if (warning.name === "TimeoutOverflowWarning") warnings.push(`${warning.name}: ${warning.message}`);
};

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-fuzz-api-"));
  engine = createEngine({
    store: lmdbStore(dir),
    workflows: FUZZ_WORKFLOWS,
    log: () => {},
    pollInterval: 20,
  });
  worker = engine.worker({ workflows: FUZZ_WORKFLOWS, concurrency: 20, leaseMs: 2_000 });
  await worker.start();
  warnings.length = 0;
  process.on("warning", onWarning);
});

afterEach(async () => {
  process.off("warning", onWarning);
  // Whatever the class did, the worker must still serve an ordinary execution.
  try {
    const run = await engine.client.start(canary, { n: 20 });
    expect(await run.result({ timeout: 10_000 })).toBe(42);
  } finally {
    // A jammed worker may never finish stopping: give it 5 s, then close the store anyway.
    await Promise.race([worker.stop(), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 200)}`;
  return `non-Error ${fc.stringify(error).slice(0, 200)}`;
}

/** Runs a call; a throw must be a typed SteplineError. Returns the value, or undefined when it threw. */
async function typedOrValue<T>(what: string, call: () => Promise<T>): Promise<T | undefined> {
  try {
    return await call();
  } catch (error) {
    if (!SteplineError.is(error)) throw new Error(`${what} threw an untyped error: ${describeError(error)}`);
    return undefined;
  }
}

/** Waits until an accepted execution has ended or is parked as blocked with a reason; a jam fails. */
async function settles(run: ExecutionHandle, what: string, ms = 5_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const d = await run.describe();
    if (TERMINAL_STATUSES.has(d.status)) return d.status;
    if (d.status === "blocked") {
      if (!d.blockedReason) throw new Error(`${what}: blocked without a reason`);
      return d.status;
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: accepted, then still ${d.status} after ${ms} ms (nothing runs it)`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Report the first failing input as it is, without shrinking: a failure can jam the
 * worker, and then every later input fails too, so a shrunk counterexample would be a
 * bystander (such as `{}`) instead of the input that jammed it.
 */
const FIRST_FAILURE = { endOnFailure: true } as const;

const noWarnings = () => {
  if (warnings.length > 0) throw new Error(`process warnings: ${[...new Set(warnings)].join("; ")}`);
};

describe("fuzz: hostile input through the public API (LMDB)", () => {
  it("client.start ids", async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, async (id) => {
        const run = await typedOrValue("client.start(id)", () => engine.client.start(echo, null, { id }));
        if (run) await settles(run, `execution ${JSON.stringify(id)}`);
      }),
      { numRuns: 40, ...FIRST_FAILURE },
    );
  });

  it("client.start inputs", async () => {
    await fc.assert(
      fc.asyncProperty(hostileValue, async (input) => {
        const run = await typedOrValue("client.start(input)", () =>
          engine.client.start(echo, input as never),
        );
        if (run) await settles(run, "an execution of that input");
      }),
      { numRuns: 40, ...FIRST_FAILURE },
    );
  });

  it("client.start options", async () => {
    const options = fc.oneof(
      hostileValue,
      fc.record(
        {
          id: fc.oneof(hostileString, hostileValue),
          ifExists: fc.oneof(fc.constantFrom("attach", "fail", "bogus"), hostileValue),
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(options, async (opts) => {
        const run = await typedOrValue("client.start(options)", () =>
          engine.client.start(echo, 1, opts as never),
        );
        if (run) await settles(run, `an execution started with ${fc.stringify(opts).slice(0, 200)}`);
      }),
      { numRuns: 40, ...FIRST_FAILURE },
    );
  });

  it("client.list filters", async () => {
    const filter = fc.oneof(
      hostileValue,
      fc.record(
        {
          limit: fc.oneof(fc.integer(), fc.double(), hostileValue),
          status: fc.oneof(hostileString, hostileValue),
          workflow: hostileString,
        },
        { requiredKeys: [] },
      ),
    );
    await fc.assert(
      fc.asyncProperty(filter, async (f) => {
        await typedOrValue("client.list(filter)", () => engine.client.list(f as never));
      }),
      { numRuns: 40, ...FIRST_FAILURE },
    );
  });

  it("sendEvent names and payloads", async () => {
    await fc.assert(
      fc.asyncProperty(hostileString, hostileValue, async (name, payload) => {
        const run = await engine.client.start(waiter, null);
        await typedOrValue("sendEvent(name, payload)", () => run.sendEvent(name, payload));
        await run.sendEvent("go", 1);
        expect(await settles(run, "the waiting execution")).toBe("succeeded");
      }),
      { numRuns: 30, ...FIRST_FAILURE },
    );
  });

  it("step, timer, event-wait and key names", async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom("step", "sleep", "wait", "key"), hostileString, async (kind, name) => {
        const run = await typedOrValue("client.start", () => engine.client.start(named, { kind, name }));
        if (run) await settles(run, `a ${kind} named ${JSON.stringify(name)}`);
      }),
      { numRuns: 40, ...FIRST_FAILURE },
    );
  });

  it("thrown values", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...THROWN_KINDS),
        fc.constantFrom("step", "workflow"),
        async (kind, where) => {
          const run = await engine.client.start(thrower, { kind, where } as never);
          expect(await settles(run, `a ${where} throwing ${kind}`)).toBe("failed");
          const error = await run.result({ timeout: 1_000 }).catch((e: unknown) => e);
          if (where === "step" && !SteplineError.is(error))
            throw new Error(`result() of a step throwing ${kind}: untyped ${describeError(error)}`);
        },
      ),
      { numRuns: 30, ...FIRST_FAILURE },
    );
  });

  it("durations: sleep, sleepUntil, step timeout, retry interval, event-wait timeout", async () => {
    const where = fc.constantFrom("sleep", "sleepUntil", "timeout", "retry", "wait" as const);
    await fc.assert(
      fc.asyncProperty(hostileDuration, where, async (d, at) => {
        warnings.length = 0;
        const run = await engine.client.start(durations, { d, where: at } as never);
        // A valid long duration leaves the execution sleeping or waiting: then describe
        // and history must still work, and no timer may overflow.
        const deadline = Date.now() + 1_500;
        let status = (await run.describe()).status;
        while (!TERMINAL_STATUSES.has(status) && status !== "blocked" && Date.now() < deadline) {
          await new Promise((resolve) => setTimeout(resolve, 50));
          status = (await run.describe()).status;
        }
        await typedOrValue("history", () => run.history());
        if (status === "failed") {
          const error = await run.result({ timeout: 1_000 }).catch((e: unknown) => e);
          if (!SteplineError.is(error))
            throw new Error(`${at} of ${fc.stringify(d)}: failed untyped: ${describeError(error)}`);
        }
        if (!TERMINAL_STATUSES.has(status)) await typedOrValue("cancel", () => run.cancel());
        noWarnings();
      }),
      { numRuns: 40, ...FIRST_FAILURE },
    );
  });
});
