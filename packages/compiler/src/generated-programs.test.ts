/**
 * The generated-program test (issue 12, "How it is checked"): random workflow programs
 * (__fixtures__/program-generator.ts says which constructs, and which are left out and
 * why), each compiled with asl-validator on every machine, run on the memory store with
 * random step failures under a fake clock, and every journal checked to be a path of the
 * machine; then every single-edge and swap mutation of the machine must reject each
 * journal that used what it broke.
 *
 * `pnpm test` runs a CI-sized amount; `STEPLINE_GEN_PROGRAMS=500 pnpm vitest run
 * packages/compiler/src/generated-programs.test.ts` a larger one (`STEPLINE_GEN_SEED`
 * replays one run). A counter-example is shrunk by fast-check and printed as the
 * program's source, the input, the journal and verifyTrace's divergence.
 */
import { appendFileSync, writeFileSync } from "node:fs";
import type { JournalEvent } from "@stepline/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import { dropEdgeMutations, swapMutations } from "./__fixtures__/machine-mutations.js";
import {
  definitionOf,
  GENERATED_WORKFLOW,
  printProgram,
  programArbitrary,
  programInputArbitrary,
} from "./__fixtures__/program-generator.js";
import { runJournals } from "./__fixtures__/trace-harness.js";
import { allStates, edgesOf, type Machine, subMachines, type WorkflowMachine } from "./ir.js";
import { verifyTrace } from "./verify-trace.js";

const PROGRAMS = Number(process.env.STEPLINE_GEN_PROGRAMS ?? 200);
/** `pnpm test` runs the same programs every time (seed 12); the larger runs draw new ones unless given a seed. */
const SEED =
  process.env.STEPLINE_GEN_SEED !== undefined
    ? Number(process.env.STEPLINE_GEN_SEED)
    : process.env.STEPLINE_GEN_PROGRAMS === undefined
      ? 12
      : undefined;

/**
 * Errors the compiler gives on purpose for some generated programs: such a program is
 * counted and skipped, not run. `unreachable-state`: a `catch` or `finally` path only
 * a cancellation or a plain-code throw could take (a `try` around sleeps and guarded
 * throws only, say): ASL cannot draw it, so the compiler refuses (docs/diagrams.md).
 */
const REFUSALS: ReadonlySet<string> = new Set(["unreachable-state"]);

interface Tally {
  /** Programs refused with a diagnostic, by code. */
  refused: Record<string, number>;
  programs: number;
  journals: number;
  mutations: number;
  rejections: number;
}

function describeJournal(journal: readonly JournalEvent[]): string {
  return journal
    .map((event) => {
      const { seq, type, ...rest } = event as unknown as Record<string, unknown> & {
        seq: number;
        type: string;
      };
      const fields = Object.entries(rest)
        .filter(([key]) => ["op", "name", "attempt", "retryAt", "error"].includes(key))
        .map(([key, value]) => `${key}=${key === "error" ? (value as { message?: string }).message : value}`);
      return `  ${seq} ${type} ${fields.join(" ")}`;
    })
    .join("\n");
}

/**
 * The mutations a journal that used them must fail: swaps (of steps whose names are
 * used once, into a step with no other way in), and dropped edges into a state whose operation name no other state has.
 * A generated program often has two states of one name (a `finally` is copied onto
 * each way out, a helper is inlined at each call), and then a journal that went
 * through the cut-off copy may still fit the other one: the mutant is not wrong for it.
 */
function checkableMutations(machine: WorkflowMachine) {
  const baseName = (name: string) => name.replace(/#\d+$/, "");
  const uses = new Map<string, number>();
  for (const state of allStates(machine)) {
    if (!["task", "wait", "event", "child"].includes(state.kind)) continue;
    uses.set(baseName(state.name), (uses.get(baseName(state.name)) ?? 0) + 1);
  }
  const byId = new Map([...allStates(machine)].map((state) => [state.id, state]));
  const unique = (id: string) => uses.get(baseName(byId.get(id)?.name ?? "")) === 1;
  // Swaps a -> b where b has another way in (a helper's early return lands on it) may be
  // explained by a path that reaches b that way: only swaps into a state entered from a only.
  const entries = new Map<string, number>();
  const count = (id: string) => entries.set(id, (entries.get(id) ?? 0) + 1);
  const visit = (m: Machine) => {
    count(m.startAt);
    for (const state of m.states) {
      for (const edge of edgesOf(state)) count(edge.to);
      if (state.kind === "wait" && state.cancel !== undefined) count(state.cancel);
      for (const sub of subMachines(state)) visit(sub);
    }
  };
  visit(machine);
  return [
    ...dropEdgeMutations(machine).filter((mutation) => mutation.usedStates.every(unique)),
    ...swapMutations(machine).filter((mutation) => entries.get(mutation.usedStates[1] as string) === 1),
  ];
}

describe("generated programs", () => {
  it("compile to valid ASL; every journal of every program is a path of its machine; mutations reject them", async () => {
    const tally: Tally = { refused: {}, programs: 0, journals: 0, mutations: 0, rejections: 0 };
    await fc.assert(
      fc.asyncProperty(
        programArbitrary(),
        fc.array(programInputArbitrary(), { minLength: 3, maxLength: 6 }),
        async (program, inputs) => {
          const printed = printProgram(program);
          const source = printed.typescript;
          if (process.env.STEPLINE_GEN_TRACE)
            writeFileSync(process.env.STEPLINE_GEN_TRACE, `${source}\n// ${JSON.stringify(inputs)}\n`);
          const { machines, diagnostics } = compileChecked(source, { fileName: "generated.ts" });
          const errors = diagnostics.filter((d) => d.severity === "error");
          if (errors.length > 0 && errors.every((d) => REFUSALS.has(d.code))) {
            // A refusal with a diagnostic (see REFUSALS): not a wrong machine, and not run.
            for (const d of errors) tally.refused[d.code] = (tally.refused[d.code] ?? 0) + 1;
            fc.pre(false);
          }
          if (errors.length > 0)
            throw new Error(`diagnostics:\n${errors.map((d) => d.message).join("\n")}\n${source}`);
          const machine = machines[0] as WorkflowMachine;
          expect(machine.workflow).toBe(GENERATED_WORKFLOW);
          expect([...allStates(machine)].filter((state) => state.kind === "opaque")).toEqual([]);
          const journals = await runJournals(definitionOf(printed), [{}, ...inputs]);
          if (process.env.STEPLINE_GEN_TRACE)
            appendFileSync(process.env.STEPLINE_GEN_TRACE, `// ran: ${journals.map((j) => j.length)}\n`);
          const visits: Set<string>[] = [];
          journals.forEach((journal, i) => {
            const result = verifyTrace(machine, journal);
            if (!result.ok) {
              throw new Error(
                `${result.divergence.message}\n--- input\n${JSON.stringify([{}, ...inputs][i])}\n--- source\n${source}--- journal\n${describeJournal(journal)}`,
              );
            }
            visits.push(new Set(result.operations.map((operation) => operation.state)));
          });
          for (const mutation of checkableMutations(machine)) {
            tally.mutations += 1;
            journals.forEach((journal, i) => {
              if (!mutation.usedStates.every((id) => visits[i]?.has(id))) return;
              const result = verifyTrace(mutation.machine, journal);
              if (result.ok) {
                throw new Error(
                  `mutation "${mutation.description}" accepted a journal that used it\n--- source\n${source}--- journal\n${describeJournal(journal)}`,
                );
              }
              tally.rejections += 1;
            });
          }
          tally.programs += 1;
          tally.journals += journals.length;
        },
      ),
      { numRuns: PROGRAMS, maxSkipsPerRun: 2, ...(SEED === undefined ? {} : { seed: SEED }) },
    );
    console.log(
      `generated programs: ${tally.programs} programs, ${tally.journals} journals verified, ${tally.mutations} mutations, ${tally.rejections} journal rejections by them; refused and skipped: ${JSON.stringify(tally.refused)}`,
    );
    expect(tally.programs).toBeGreaterThanOrEqual(PROGRAMS);
    expect(tally.journals).toBeGreaterThanOrEqual(PROGRAMS * 4);
    expect(tally.rejections).toBeGreaterThan(0);
  }, 600_000);
});
