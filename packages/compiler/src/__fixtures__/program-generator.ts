/**
 * Random workflow programs for the generated-program test (issue 12, "How it is
 * checked"): a small statement tree, printed once as TypeScript (what the compiler
 * reads) and once as plain JavaScript (what the runtime runs), so both see the same
 * program. Test support only: not part of the package.
 *
 * Constructs: steps (some with a retry policy), sleeps, `if`/`else` on an input flag,
 * `for ... of` over `input.items`, `while` with a counter bounded by `input.count`,
 * `try`/`catch`/`finally` (a catch may rethrow), `Promise.all` and `Promise.race` of
 * steps, sleeps and async blocks, local helper functions that take `ctx` (a helper may
 * call a lower-numbered one), and early `return` and `throw` guarded by a flag.
 *
 * Left out, because the compiler refuses them with a diagnostic today (refusals.test.ts):
 * recursion (a helper calling itself), operations inside callbacks other than the
 * async blocks of `Promise.all`/`race`, a promise not awaited. Left out because it
 * means something else inside an async block: a `return` or a guard that returns in a
 * `Promise.all`/`race` branch (it ends the branch, not the workflow); such branches
 * hold steps, sleeps, `if`s and throws only. Left out for the checker's cost: loops
 * inside a `Promise.race` branch (a losing branch goes on as an orphan thread, and a
 * loop in each of several such orphans makes verifyTrace's configurations multiply
 * past what a test can wait for; the programs are correct, the check is slow), and for
 * the same reason a `Promise.race` inside a loop or a helper (which loops may call).
 */
import * as core from "@stepline/core";
import fc from "fast-check";
import type { FixtureInput } from "./fixture-kit.js";
import * as kit from "./fixture-kit.js";

export type Statement =
  | { kind: "step"; retry: 0 | 1 | 2 }
  | { kind: "sleep" }
  | { kind: "if"; flag: number; consequent: Statement[]; otherwise: Statement[] | null }
  | { kind: "forOf"; body: Statement[] }
  | { kind: "while"; body: Statement[] }
  | {
      kind: "try";
      body: Statement[];
      handler: Statement[] | null;
      rethrow: boolean;
      finalizer: Statement[] | null;
    }
  | { kind: "all" | "race"; branches: Branch[] }
  | { kind: "call"; helper: number }
  | { kind: "return"; flag: number }
  | { kind: "throw"; flag: number };

/** An element of Promise.all / race: one operation, or an async block. */
export type Branch = { kind: "step" } | { kind: "sleep" } | { kind: "block"; body: Statement[] };

export interface Program {
  /** helpers[i] may call helpers below i only. */
  helpers: Statement[][];
  body: Statement[];
}

export const FLAGS = ["f0", "f1", "f2"];
/** More than a program uses: step names are s0, s1, ... in print order. */
export const STEP_NAMES = Array.from({ length: 24 }, (_, i) => `s${i}`);

interface Limits {
  /** Statements inside async blocks: no return, no helper call (a helper may return). */
  inBranch: boolean;
  /** Helpers a call may name. */
  helpers: number;
  /** In a Promise.race branch: no loops (see the module comment). */
  inRace?: boolean;
  /** In a loop or a helper: no Promise.race (see the module comment). */
  noRace?: boolean;
}

const stepArbitrary: fc.Arbitrary<Statement> = fc.record({
  kind: fc.constant("step" as const),
  retry: fc.constantFrom(0 as const, 1 as const, 2 as const),
});

function statementArbitrary(limits: Limits, depth: number): fc.Arbitrary<Statement> {
  const leaf: fc.Arbitrary<Statement>[] = [
    stepArbitrary,
    fc.constant({ kind: "sleep" as const }),
    fc.record({ kind: fc.constant("throw" as const), flag: fc.nat(FLAGS.length - 1) }),
  ];
  if (!limits.inBranch) {
    leaf.push(fc.record({ kind: fc.constant("return" as const), flag: fc.nat(FLAGS.length - 1) }));
    if (limits.helpers > 0)
      leaf.push(fc.record({ kind: fc.constant("call" as const), helper: fc.nat(limits.helpers - 1) }));
  }
  if (depth <= 0) return fc.oneof(...leaf);
  const block = blockArbitrary(limits, depth - 1);
  const loopBlock = blockArbitrary({ ...limits, noRace: true }, depth - 1);
  const branches = (inRace: boolean) =>
    fc.array(
      fc.oneof(
        fc.constant({ kind: "step" as const }),
        fc.constant({ kind: "sleep" as const }),
        fc.record({
          kind: fc.constant("block" as const),
          body: blockArbitrary({ ...limits, inBranch: true, inRace: inRace || limits.inRace }, depth - 1),
        }),
      ) as fc.Arbitrary<Branch>,
      { minLength: 2, maxLength: 3 },
    );
  const compound: fc.Arbitrary<Statement>[] = [
    fc.record({
      kind: fc.constant("if" as const),
      flag: fc.nat(FLAGS.length - 1),
      consequent: block,
      otherwise: fc.option(block, { nil: null }),
    }),
    ...(limits.inRace
      ? []
      : [
          fc.record({ kind: fc.constant("forOf" as const), body: loopBlock }),
          fc.record({ kind: fc.constant("while" as const), body: loopBlock }),
        ]),
    fc.record({
      kind: fc.constant("try" as const),
      // Mostly a step first: a try of sleeps and guarded throws only is refused (unreachable-state).
      body: fc.oneof(
        { weight: 3, arbitrary: fc.tuple(stepArbitrary, block).map(([step, rest]) => [step, ...rest]) },
        { weight: 1, arbitrary: block },
      ),
      handler: fc.option(block, { nil: null }),
      rethrow: fc.boolean(),
      finalizer: fc.option(block, { nil: null }),
    }),
    fc.record({ kind: fc.constant("all" as const), branches: branches(false) }),
    ...(limits.noRace ? [] : [fc.record({ kind: fc.constant("race" as const), branches: branches(true) })]),
  ];
  return fc.oneof(
    { weight: 3, arbitrary: fc.oneof(...leaf) },
    { weight: 2, arbitrary: fc.oneof(...compound) },
  );
}

function blockArbitrary(limits: Limits, depth: number): fc.Arbitrary<Statement[]> {
  return fc.array(statementArbitrary(limits, depth), { minLength: 1, maxLength: 3 });
}

/** Programs of up to two helpers and nesting `depth` deep. */
export function programArbitrary(depth = 3): fc.Arbitrary<Program> {
  const helper0 = blockArbitrary({ inBranch: false, helpers: 0, noRace: true }, depth - 1);
  const helper1 = blockArbitrary({ inBranch: false, helpers: 1, noRace: true }, depth - 1);
  return fc.record({
    helpers: fc.tuple(helper0, helper1),
    body: blockArbitrary({ inBranch: false, helpers: 2 }, depth),
  });
}

/** Inputs: failing and flaky steps, flags, items and a loop count. */
export function programInputArbitrary(): fc.Arbitrary<FixtureInput> {
  return fc.record({
    fail: fc.subarray(STEP_NAMES.slice(0, 12), { maxLength: 2 }),
    flaky: fc.subarray(STEP_NAMES.slice(0, 12), { maxLength: 2 }),
    flags: fc.subarray(FLAGS),
    items: fc.array(fc.constantFrom("a", "b"), { maxLength: 2 }),
    count: fc.integer({ min: 0, max: 2 }),
  });
}

/** The two printings of one program. */
export interface PrintedProgram {
  /** A TypeScript module, as a user would write it: what the compiler reads. */
  typescript: string;
  /** The body of a function of (workflow, body, flag) that returns the definition: what runs. */
  javascript: string;
  /** The step names it uses. */
  steps: string[];
}

export const GENERATED_WORKFLOW = "generated";

export function printProgram(program: Program): PrintedProgram {
  const printer = new Printer();
  const helpers = program.helpers.map((body, i) => {
    const lines = printer.block(body, 1);
    return (types: boolean) =>
      `async function helper${i}(ctx${types ? ": WorkflowContext" : ""}, input${types ? ": FixtureInput" : ""}) {\n${lines}}\n`;
  });
  const main = printer.block(program.body, 1);
  const workflowText = (types: boolean) =>
    `workflow("${GENERATED_WORKFLOW}", async (ctx, input${types ? ": FixtureInput" : ""}) => {\n${main}})`;
  const typescript = [
    `import { type WorkflowContext, workflow } from "@stepline/core";`,
    `import { body, type FixtureInput, flag } from "./fixture-kit.js";`,
    "",
    ...helpers.map((print) => print(true)),
    `export const generated = ${workflowText(true)};`,
    "",
  ].join("\n");
  const javascript = [...helpers.map((print) => print(false)), `return ${workflowText(false)};`].join("\n");
  return { typescript, javascript, steps: printer.steps };
}

/** Evaluates the JavaScript printing: a workflow definition the engine can run. */
export function definitionOf(printed: PrintedProgram): core.WorkflowDefinition<FixtureInput, unknown> {
  const make = new Function("workflow", "body", "flag", printed.javascript) as (
    ...args: unknown[]
  ) => core.WorkflowDefinition<FixtureInput, unknown>;
  return make(core.workflow, kit.body, kit.flag);
}

class Printer {
  readonly steps: string[] = [];
  #sleeps = 0;
  #loops = 0;
  #throws = 0;

  block(statements: Statement[], depth: number): string {
    return statements.map((statement) => this.statement(statement, depth)).join("");
  }

  #step(retry: 0 | 1 | 2): string {
    const name = `s${this.steps.length}`;
    this.steps.push(name);
    const options = retry === 0 ? "" : `, { retry: { maxAttempts: ${retry} } }`;
    return `ctx.step("${name}", body(input, "${name}")${options})`;
  }

  #sleep(): string {
    return `ctx.sleep("z${this.#sleeps++}", "1s")`;
  }

  statement(statement: Statement, depth: number): string {
    const pad = "  ".repeat(depth);
    switch (statement.kind) {
      case "step":
        return `${pad}await ${this.#step(statement.retry)};\n`;
      case "sleep":
        return `${pad}await ${this.#sleep()};\n`;
      case "return":
        return `${pad}if (flag(input, "${FLAGS[statement.flag]}")) return;\n`;
      case "throw":
        return `${pad}if (flag(input, "${FLAGS[statement.flag]}")) throw new Error("boom ${this.#throws++}");\n`;
      case "call":
        return `${pad}await helper${statement.helper}(ctx, input);\n`;
      case "if": {
        let text = `${pad}if (flag(input, "${FLAGS[statement.flag]}")) {\n${this.block(statement.consequent, depth + 1)}${pad}}`;
        if (statement.otherwise) text += ` else {\n${this.block(statement.otherwise, depth + 1)}${pad}}`;
        return `${text}\n`;
      }
      case "forOf": {
        const item = `item${this.#loops++}`;
        return `${pad}for (const ${item} of input.items ?? []) {\n${this.block(statement.body, depth + 1)}${pad}}\n`;
      }
      case "while": {
        const counter = `i${this.#loops++}`;
        return (
          `${pad}let ${counter} = 0;\n` +
          `${pad}while (${counter} < (input.count ?? 0)) {\n` +
          `${pad}  ${counter} += 1;\n${this.block(statement.body, depth + 1)}${pad}}\n`
        );
      }
      case "try": {
        let text = `${pad}try {\n${this.block(statement.body, depth + 1)}${pad}}`;
        if (statement.handler || !statement.finalizer) {
          const handler = statement.handler ? this.block(statement.handler, depth + 1) : "";
          const rethrow = statement.rethrow ? `${pad}  throw error;\n` : "";
          text += ` catch (${statement.rethrow ? "error" : "_error"}) {\n${handler}${rethrow}${pad}}`;
        }
        if (statement.finalizer) text += ` finally {\n${this.block(statement.finalizer, depth + 1)}${pad}}`;
        return `${text}\n`;
      }
      case "all":
      case "race": {
        const elements = statement.branches.map((branch) => {
          if (branch.kind === "step") return `${pad}  ${this.#step(0)},\n`;
          if (branch.kind === "sleep") return `${pad}  ${this.#sleep()},\n`;
          return `${pad}  (async () => {\n${this.block(branch.body, depth + 2)}${pad}  })(),\n`;
        });
        return `${pad}await Promise.${statement.kind}([\n${elements.join("")}${pad}]);\n`;
      }
    }
  }
}
