/**
 * Runs a fixture workflow on the memory store with a fake clock, once per input,
 * and returns the journals. Test support only: not part of the package.
 */
import { createEngine, type JournalEvent, memoryStore, type WorkflowDefinition } from "@stepline/core";
import { fakeClock } from "@stepline/testing";
import fc from "fast-check";
import type { FixtureInput, Vocabulary } from "./fixture-kit.js";

/** Inputs drawn from a fixture's vocabulary: failures, flaky steps, flags, items, counts, events. */
export function inputArbitrary(vocabulary: Vocabulary): fc.Arbitrary<FixtureInput> {
  return fc.record({
    fail: fc.subarray(vocabulary.steps, { maxLength: Math.min(2, vocabulary.steps.length) }),
    flaky: fc.subarray(vocabulary.steps, { maxLength: Math.min(2, vocabulary.steps.length) }),
    flags: fc.subarray(vocabulary.flags ?? []),
    items: fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 3 }),
    count: fc.integer({ min: 0, max: 3 }),
    kind: fc.constantFrom("a" as const, "b" as const, "c" as const),
    send: fc.subarray(vocabulary.events ?? []),
  });
}

/** `count` inputs, the same on every run (fixed seed), the plain input first. */
export function sampleInputs(vocabulary: Vocabulary, count: number, seed = 42): FixtureInput[] {
  return [{}, ...fc.sample(inputArbitrary(vocabulary), { numRuns: count - 1, seed })];
}

/** Runs every input to its end (sleeps, retries and timeouts skipped by the fake clock). */
export async function runJournals(
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
  definition: WorkflowDefinition<any, any>,
  inputs: readonly FixtureInput[],
  /** Other workflows the worker must run too: the children `definition` starts. */
  // biome-ignore lint/suspicious/noExplicitAny: definitions of any input and output type are accepted.
  others: readonly WorkflowDefinition<any, any>[] = [],
): Promise<JournalEvent[][]> {
  const clock = fakeClock();
  const engine = createEngine({ store: memoryStore(), clock, pollInterval: 3_600_000, log: () => {} });
  const workflows = [definition, ...others.filter((other) => other.name !== definition.name)];
  const worker = engine.worker({ workflows, concurrency: 1_000 });
  await worker.start();
  try {
    const runs = [];
    for (const input of inputs) {
      const run = await engine.client.start(definition, input);
      for (const event of input.send ?? []) await run.sendEvent(event, true);
      runs.push(run);
    }
    for (let day = 0; day < 60; day++) {
      const statuses = await Promise.all(runs.map(async (run) => (await run.describe()).status));
      if (statuses.every((status) => status === "succeeded" || status === "failed")) break;
      await clock.advance("1d");
    }
    return await Promise.all(runs.map((run) => run.history()));
  } finally {
    const stopping = worker.stop();
    await clock.advance("1m");
    await stopping;
    await engine.close();
  }
}
