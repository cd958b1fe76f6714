import { type JournalEvent, type WorkflowContext, workflow } from "@stepline/core";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked } from "./__fixtures__/checked-compile.js";
import { compileFixture, fixtures } from "./__fixtures__/fixture-catalog.js";
import { neverThrowsMutation } from "./__fixtures__/machine-mutations.js";
import { runJournals } from "./__fixtures__/trace-harness.js";
import { allStates, type WorkflowMachine } from "./ir.js";
import { isThrowPoint } from "./plain-throws.js";
import { verifyTrace } from "./verify-trace.js";

const wrap = (body: string, extra = "") =>
  `import { workflow } from "@stepline/core";\n${extra}\nexport const w = workflow("w", async (ctx, input: any) => {\n${body}\n});\n`;

function compileOne(source: string): WorkflowMachine {
  const { machines, diagnostics } = compileChecked(source, { fileName: "w.ts" });
  expect(diagnostics).toEqual([]);
  return machines[0] as WorkflowMachine;
}

const throwPoints = (machine: WorkflowMachine) => [...allStates(machine)].filter(isThrowPoint);
const types = (journal: JournalEvent[]) => journal.map((event) => event.type);

describe("plain code that can throw (plain-throws.ts)", () => {
  it("draws one Choice per stretch of plain code, to the catch inside a try and to a Fail outside", () => {
    const machine = compileOne(
      wrap(
        [
          "  validate(input);",
          "  const parsed = JSON.parse(input.text);",
          '  const a = await ctx.step("a", () => 1);',
          "  try {",
          "    check(a);",
          '    await ctx.step("b", () => 1);',
          "  } catch {",
          '    await ctx.step("undo", () => 1);',
          "  }",
          "  return parsed;",
        ].join("\n"),
        "declare function validate(x: unknown): void;\ndeclare function check(x: unknown): void;",
      ),
    );
    const points = throwPoints(machine);
    expect(points.map((p) => p.name)).toEqual(["validate(input) throws?", "check(a) throws?"]);
    const target = (id: string) => machine.states.find((s) => s.id === id);
    expect(target(points[0]?.choices[0]?.next as string)?.kind).toBe("fail");
    expect(target(points[1]?.choices[0]?.next as string)?.name).toBe("undo");
  });

  it("counts calls of unknown code, JSON.parse and new, but not built-ins, SDK helpers or code that cannot throw", () => {
    const safe = compileOne(
      wrap(
        [
          "  const items = input.items.map((x: string) => x.toUpperCase()).filter(Boolean);",
          "  const total = Math.max(0, Number(input.total)) + double(2);",
          "  const at = new Date(); console.log(JSON.stringify({ items, total, at }));",
          "  if (TimeoutError.is(input.error)) return 1;",
          '  await ctx.step("a", () => 1);',
        ].join("\n"),
        'import { TimeoutError } from "@stepline/core";\nfunction double(n: number) { return n * 2; }',
      ),
    );
    expect(throwPoints(safe)).toEqual([]);
    for (const code of [
      "JSON.parse(input.text)",
      "new URL(input.url)",
      "unknownHelper(input)",
      "input.check()",
    ]) {
      const machine = compileOne(
        wrap(
          `  ${code};\n  await ctx.step("a", () => 1);`,
          "declare function unknownHelper(x: unknown): void;",
        ),
      );
      expect(throwPoints(machine).map((p) => p.name)).toEqual([`${code} throws?`]);
    }
  });

  it("a call whose argument is an operation may throw after it: JSON.parse(await ctx.step(...))", () => {
    const machine = compileOne(
      wrap('  const data = JSON.parse(await ctx.step("fetch", () => "{}"));\n  return data;'),
    );
    const fetch = machine.states.find((s) => s.name === "fetch") as { next?: string };
    const after = machine.states.find((s) => s.id === fetch.next);
    expect(after && isThrowPoint(after)).toBe(true);
  });

  it("makes the catch of a try with no operation reachable when its plain code can throw", () => {
    const { diagnostics, machines } = compileChecked(
      wrap(
        '  try { check(input); } catch { await ctx.step("reject", () => 1); return; }\n  await ctx.step("accept", () => 1);',
        "declare function check(x: unknown): void;",
      ),
      { fileName: "w.ts" },
    );
    expect(diagnostics).toEqual([]);
    expect([...allStates(machines[0] as WorkflowMachine)].map((s) => s.name)).toContain("reject");
  });
});

describe("journals of the plain-throws fixture", () => {
  const fixture = fixtures.find((f) => f.name === "plain-throws");
  if (!fixture) throw new Error("the plain-throws fixture is missing");
  const { machines } = compileFixture(fixture);
  const byName = (name: string) => machines.find((m) => m.workflow === name) as WorkflowMachine;

  it("verifies failures of plain code (top level, in a try, right after a step), and a never-throws machine rejects them", async () => {
    const { plainThrows, checkFirst } = await import(fixture.file);
    const cases = [
      { input: { flags: ["invalid"] }, end: ["ExecutionStarted", "ExecutionFailed"] },
      { input: { flags: ["bad-json"] }, last: "ExecutionSucceeded", has: "refund" },
      { input: { flags: ["late-check"] }, last: "ExecutionFailed", before: "StepSucceeded" },
    ];
    const journals = await runJournals(
      plainThrows,
      cases.map((c) => c.input),
    );
    const machine = byName("plainThrows");
    const mutated = neverThrowsMutation(machine).machine;
    journals.forEach((journal, index) => {
      const expected = cases[index] as (typeof cases)[number];
      if (expected.end) expect(types(journal)).toEqual(expected.end);
      if (expected.last) expect(journal.at(-1)?.type).toBe(expected.last);
      if (expected.before) expect(journal.at(-2)?.type).toBe(expected.before);
      if (expected.has) expect(journal.some((e) => "name" in e && e.name === expected.has)).toBe(true);
      const result = verifyTrace(machine, journal);
      expect(result.ok, result.ok ? "" : result.divergence.message).toBe(true);
      expect(verifyTrace(mutated, journal).ok).toBe(false);
    });
    const [rejected] = await runJournals(checkFirst, [{ flags: ["invalid"] }]);
    expect(verifyTrace(byName("checkFirst"), rejected as JournalEvent[]).ok).toBe(true);
    expect(
      verifyTrace(neverThrowsMutation(byName("checkFirst")).machine, rejected as JournalEvent[]).ok,
    ).toBe(false);
  });
});

/** One place of a generated program: a step, or a plain call that throws when its key is flagged. */
type Slot = { kind: "step" | "plain"; key: string };

interface Program {
  before: Slot[];
  inside: Slot[];
  after: Slot[];
  /** A `try { inside } catch { handler }` around the middle part, or plain sequence. */
  guarded: boolean;
}

const slotsArbitrary = (prefix: string) =>
  fc
    .array(fc.constantFrom<Slot["kind"]>("step", "plain"), { maxLength: 3 })
    .map((kinds) => kinds.map((kind, i) => ({ kind, key: `${prefix}${i}` })));

// A try with nothing in it has an unreachable catch (an unreachable-state error): it always has a slot.
const programArbitrary: fc.Arbitrary<Program> = fc
  .record({
    before: slotsArbitrary("b"),
    inside: slotsArbitrary("i"),
    after: slotsArbitrary("a"),
    guarded: fc.boolean(),
  })
  .map((program) => ({ ...program, guarded: program.guarded && program.inside.length > 0 }));

const slotSource = (slot: Slot) =>
  slot.kind === "step"
    ? `  await ctx.step("${slot.key}", () => run(input, "${slot.key}"), { retry: { maxAttempts: 1 } });`
    : `  boom(input, "${slot.key}");`;

function programSource(program: Program): string {
  const middle = program.inside.map(slotSource);
  return [
    'import { workflow } from "@stepline/core";',
    "function boom(input: { flags: string[] }, key: string): void { if (input.flags.includes(key)) throw new Error(key); }",
    "declare function run(input: unknown, key: string): number;",
    'export const generated = workflow("generated", async (ctx, input: { flags: string[] }) => {',
    ...program.before.map(slotSource),
    ...(program.guarded
      ? ["  try {", ...middle, '  } catch {\n    await ctx.step("handler", () => 1);\n  }']
      : middle),
    ...program.after.map(slotSource),
    "});",
  ].join("\n");
}

/** The same program, as code the runtime runs: flagged keys throw (plain) or fail (steps). */
function programDefinition(program: Program) {
  const run = async (ctx: WorkflowContext, input: { flags: string[] }, slot: Slot) => {
    if (slot.kind === "plain") {
      if (input.flags.includes(slot.key)) throw new Error(slot.key);
      return;
    }
    await ctx.step(
      slot.key,
      () => {
        if (input.flags.includes(slot.key)) throw new Error(`${slot.key} failed`);
        return 1;
      },
      { retry: { maxAttempts: 1 } },
    );
  };
  return workflow("generated", async (ctx, input: { flags: string[] }) => {
    for (const slot of program.before) await run(ctx, input, slot);
    if (program.guarded) {
      try {
        for (const slot of program.inside) await run(ctx, input, slot);
      } catch {
        await ctx.step("handler", () => 1);
      }
    } else {
      for (const slot of program.inside) await run(ctx, input, slot);
    }
    for (const slot of program.after) await run(ctx, input, slot);
  });
}

/** Whether a plain call threw in this run (the first error of each part decides what runs). */
function plainThrew(program: Program, flags: string[]): boolean {
  const part = (slots: Slot[]): "ok" | "plain" | "step" => {
    for (const slot of slots) if (flags.includes(slot.key)) return slot.kind;
    return "ok";
  };
  for (const [slots, caught] of [
    [program.before, false],
    [program.inside, program.guarded],
    [program.after, false],
  ] as const) {
    const outcome = part(slots);
    if (outcome === "plain") return true;
    if (outcome === "step" && !caught) return false;
  }
  return false;
}

describe("generated programs with throwing plain calls inside and outside a try", () => {
  it("every journal of the runtime verifies; one where plain code threw does not fit a never-throws machine", async () => {
    const samples = fc.sample(programArbitrary, { numRuns: 24, seed: 3 });
    let journalsChecked = 0;
    let throwsSeen = 0;
    for (const program of samples) {
      const machine = compileOne(programSource(program));
      const keys = [...program.before, ...program.inside, ...program.after].map((slot) => slot.key);
      const inputs = fc
        .sample(fc.subarray(keys, { maxLength: Math.min(2, keys.length) }), { numRuns: 6, seed: 5 })
        .map((flags) => ({ flags }));
      const journals = await runJournals(programDefinition(program), inputs as never[]);
      const mutated = neverThrowsMutation(machine).machine;
      journals.forEach((journal, index) => {
        const result = verifyTrace(machine, journal);
        expect(result.ok, result.ok ? "" : `${programSource(program)}\n${result.divergence.message}`).toBe(
          true,
        );
        journalsChecked += 1;
        if (plainThrew(program, (inputs[index] as { flags: string[] }).flags)) {
          throwsSeen += 1;
          expect(verifyTrace(mutated, journal).ok, programSource(program)).toBe(false);
        }
      });
    }
    expect(journalsChecked).toBe(24 * 6);
    expect(throwsSeen).toBeGreaterThan(10);
  });
});
