import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { JournalEvent } from "./events.js";
import { checkJournal } from "./journal-rules.js";
import { newEngine, startWorker } from "./testing/engine-kit.js";
import { workflow } from "./workflow.js";

// Real journals, written by the engine: every rule must accept them as they are.
const mixed = workflow("mixed", async (ctx, input: { n: number }) => {
  let tries = 0;
  const first = await ctx.step(
    "flaky",
    () => {
      tries++;
      if (tries < 3) throw new Error("not yet");
      return input.n;
    },
    { retry: { maxAttempts: 5, initialInterval: "5ms", backoffRate: 1 } },
  );
  await ctx.sleep("pause", "5ms");
  const [a, b] = await Promise.all([ctx.step("a", () => 1), ctx.step("a", () => 2)]);
  const approved = await ctx.waitForEvent<boolean>("approve", { timeout: "1h" });
  const late = await ctx.waitForEvent("late", { timeout: "5ms" }).catch(() => "timed out");
  return { first, a, b, approved, late };
});
let cardWorks = false;
const redriven = workflow("redriven", async (ctx) => {
  await ctx.step("reserve", () => "held");
  return ctx.step(
    "charge",
    () => {
      if (!cardWorks) throw new Error("provider down");
      return "charged";
    },
    { retry: { maxAttempts: 1 } },
  );
});
const failing = workflow("failing", async (ctx) => {
  await ctx.step("ok", () => "fine");
  await ctx.step(
    "boom",
    () => {
      throw new Error("bad card", { cause: new TypeError("inner") });
    },
    { retry: { maxAttempts: 2, initialInterval: "5ms" } },
  );
});

let journals: JournalEvent[][];
let redrivenJournal: JournalEvent[];

beforeAll(async () => {
  const { engine } = newEngine();
  await startWorker(engine, { workflows: [mixed, failing, redriven] });
  const run = await engine.client.start(mixed, { n: 7 }, { id: "mixed-1" });
  await engine.client.sendEvent("mixed-1", "approve", true);
  await run.result({ timeout: "10s" });
  const failed = await engine.client.start(failing, undefined, { id: "failing-1" });
  await failed.result({ timeout: "10s" }).catch(() => {});
  const again = await engine.client.start(redriven, undefined, { id: "redriven-1" });
  await again.result({ timeout: "10s" }).catch(() => {});
  cardWorks = true;
  await again.redrive();
  await again.result({ timeout: "10s" });
  journals = [await engine.client.history("mixed-1"), await engine.client.history("failing-1")];
  redrivenJournal = await engine.client.history("redriven-1");
  // A waiting execution's journal: unfinished, every op still open is fine.
  journals.push((journals[0] as JournalEvent[]).slice(0, 9));
});

const clone = (events: readonly JournalEvent[]) =>
  structuredClone(events) as unknown as Record<string, unknown>[];

describe("checkJournal", () => {
  it("accepts a redriven journal: the failed step runs again after ExecutionRedriven", () => {
    const types = redrivenJournal.map((e) => e.type);
    expect(types.slice(-4)).toEqual([
      "ExecutionRedriven",
      "StepScheduled",
      "StepSucceeded",
      "ExecutionSucceeded",
    ]);
    expect(checkJournal(redrivenJournal)).toEqual({ ok: true });
  });

  it("refuses a redrive that does not follow ExecutionFailed", () => {
    const succeeded = clone(journals[0] as JournalEvent[]);
    succeeded.push({ seq: succeeded.length, at: 1, type: "ExecutionRedriven" });
    const verdict = checkJournal(succeeded);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.problem).toContain("ended with ExecutionSucceeded");
    const running = clone((journals[0] as JournalEvent[]).slice(0, 9));
    running.push({ seq: running.length, at: 1, type: "ExecutionRedriven" });
    expect(!checkJournal(running).ok && (checkJournal(running) as { problem: string }).problem).toContain(
      "has not ended",
    );
  });

  it("refuses a completion, after a redrive, of a step the redrive did not set aside", () => {
    const events = clone(redrivenJournal);
    const reserve = events.find((e) => e.type === "StepSucceeded") as Record<string, unknown>;
    const end = events.length - 1;
    events.splice(end, 0, { ...reserve, seq: end });
    events[end + 1] = { ...(events[end + 1] as Record<string, unknown>), seq: end + 1 };
    const verdict = checkJournal(events);
    expect(verdict.ok).toBe(false);
    expect(!verdict.ok && verdict.seq).toBe(end);
  });

  it("accepts the journals the engine writes, finished or not", () => {
    expect(journals[0]?.at(-1)?.type).toBe("ExecutionSucceeded");
    expect(journals[1]?.at(-1)?.type).toBe("ExecutionFailed");
    for (const journal of journals) expect(checkJournal(journal)).toEqual({ ok: true });
    expect(checkJournal(journals[0] as JournalEvent[], { inboxLength: 1 })).toEqual({ ok: true });
  });

  it("names the first bad event, what is wrong and what was expected", () => {
    const events = clone(journals[0] as JournalEvent[]);
    const end = events.length;
    events.push({ seq: end, at: 1, type: "StepScheduled", op: 99, name: "after", attempt: 1 });
    expect(checkJournal(events)).toEqual({
      ok: false,
      seq: end,
      type: "StepScheduled",
      problem: `follows the terminal event ${end - 1}; expected nothing after the end`,
      message: `event ${end} (StepScheduled) follows the terminal event ${end - 1}; expected nothing after the end`,
    });

    const neverScheduled = clone(journals[0] as JournalEvent[]).slice(0, 1);
    neverScheduled.push({ seq: 1, at: 2, type: "StepSucceeded", op: 0, attempt: 1, result: 1 });
    expect(checkJournal(neverScheduled)).toMatchObject({
      seq: 1,
      message:
        "event 1 (StepSucceeded) refers to op 0, which no event before it scheduled; expected a StepScheduled for op 0 before it",
    });

    const wrongKind = clone(journals[0] as JournalEvent[]).slice(0, 2);
    wrongKind.push({ seq: 2, at: 3, type: "TimerFired", op: 0 });
    expect(checkJournal(wrongKind)).toMatchObject({
      seq: 2,
      problem: 'completes op 0 as a sleep, but op 0 is step "flaky"; expected a completion of a step',
    });

    const noWorkflow = clone(journals[0] as JournalEvent[]);
    delete noWorkflow[0]?.workflow;
    expect(checkJournal(noWorkflow)).toMatchObject({
      seq: 0,
      problem: 'has no "workflow"; expected a non-empty string',
    });

    const unknown = clone(journals[0] as JournalEvent[]).slice(0, 2);
    unknown.push({ seq: 2, at: 3, type: "StepTeleported", op: 0 });
    expect(checkJournal(unknown)).toMatchObject({ seq: 2, type: "StepTeleported" });
    expect((checkJournal(unknown) as { problem: string }).problem).toMatch(
      /^has an unknown type "StepTeleported"; expected one of ExecutionStarted, /,
    );

    const farFuture = clone(journals[0] as JournalEvent[]);
    const timer = farFuture.find((e) => e.type === "TimerStarted") as Record<string, unknown>;
    timer.fireAt = 1e300;
    expect((checkJournal(farFuture) as { problem: string }).problem).toBe(
      'has "fireAt" 1e+300 (a number); expected a time in epoch milliseconds (a finite number within ±8640000000000000)',
    );

    expect(checkJournal(journals[0] as JournalEvent[], { inboxLength: 0 })).toMatchObject({
      type: "EventReceived",
      problem: "consumes inbox entry 0, but the inbox has 0 entries; expected an inboxSeq below 0",
    });
    expect(checkJournal([])).toMatchObject({ ok: false, seq: 0 });
  });

  it("accepts ExecutionStarted traceContext as string headers and refuses any other shape", () => {
    const traced = clone(journals[0] as JournalEvent[]);
    const started = traced[0] as Record<string, unknown>;
    started.traceContext = { traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" };
    expect(checkJournal(traced)).toEqual({ ok: true });
    started.traceContext = { traceparent: 7 };
    expect(checkJournal(traced)).toMatchObject({
      seq: 0,
      problem: 'has "traceContext" an object; expected an object of string values (trace headers)',
    });
    started.traceContext = "00-abc";
    expect((checkJournal(traced) as { problem: string }).problem).toMatch(/^has "traceContext" /);
  });

  it("refuses a step's attempts going backwards", () => {
    const events = clone(journals[0] as JournalEvent[]);
    const second = events.findIndex((e) => e.type === "StepScheduled" && e.attempt === 2);
    (events[second] as Record<string, unknown>).attempt = 1;
    expect(checkJournal(events)).toMatchObject({
      seq: second,
      problem: 'schedules attempt 1 of step "flaky" (op 0) after attempt 1; expected attempts to increase',
    });
  });

  it("refuses every mutation of a real journal, naming an event (property)", () => {
    const required = new Set([
      "seq",
      "at",
      "type",
      "op",
      "name",
      "attempt",
      "workflow",
      "version",
      "seed",
      "error",
      "fireAt",
      "inboxSeq",
      "childId",
    ]);
    type Mutation = (events: Record<string, unknown>[]) => boolean;
    const mutation = fc.oneof(
      // Drop an event before the last (dropping the last leaves a valid, shorter journal).
      fc.nat().map(
        (k): Mutation =>
          (e) => {
            if (e.length < 2) return false;
            e.splice(k % (e.length - 1), 1);
            return true;
          },
      ),
      fc.nat().map(
        (k): Mutation =>
          (e) => {
            const i = k % e.length;
            e.splice(i + 1, 0, structuredClone(e[i]) as Record<string, unknown>);
            return true;
          },
      ),
      fc.tuple(fc.nat(), fc.nat()).map(
        ([a, b]): Mutation =>
          (e) => {
            const i = a % e.length;
            const j = b % e.length;
            if (i === j) return false;
            [e[i], e[j]] = [e[j] as Record<string, unknown>, e[i] as Record<string, unknown>];
            return true;
          },
      ),
      fc.tuple(fc.nat(), fc.nat()).map(
        ([a, b]): Mutation =>
          (e) => {
            const event = e[a % e.length] as Record<string, unknown>;
            const keys = Object.keys(event).filter((key) => required.has(key));
            const key = keys[b % keys.length] as string;
            delete event[key];
            return true;
          },
      ),
      // A value of another type (or NaN for a number): never what the field holds.
      fc.tuple(fc.nat(), fc.nat(), fc.boolean()).map(
        ([a, b, nan]): Mutation =>
          (e) => {
            const event = e[a % e.length] as Record<string, unknown>;
            const keys = Object.keys(event).filter((key) => required.has(key));
            const key = keys[b % keys.length] as string;
            const before = event[key];
            event[key] =
              typeof before === "string" ? 5 : typeof before === "number" && nan ? Number.NaN : "x";
            return true;
          },
      ),
      fc.constantFrom("StepScheduled", "TimerFired", "ExecutionSucceeded").map(
        (type): Mutation =>
          (e) => {
            const last = e[e.length - 1] as Record<string, unknown>;
            if (!/^Execution(Succeeded|Failed)$/.test(String(last.type))) return false;
            e.push({
              seq: e.length,
              at: (last.at as number) + 1,
              type,
              op: 0,
              name: "more",
              attempt: 9,
              output: 1,
            });
            return true;
          },
      ),
    );
    fc.assert(
      fc.property(fc.nat(1), mutation, (which, mutate) => {
        const events = clone(journals[which] as JournalEvent[]);
        fc.pre(mutate(events));
        const verdict = checkJournal(events);
        expect(verdict.ok).toBe(false);
        if (!verdict.ok) expect(verdict.message).toMatch(/^event \d+ \(\S+\) /);
      }),
      { numRuns: 1_000 },
    );
  });
});
