import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileChecked, expectValidAsl } from "./__fixtures__/checked-compile.js";
import { compile } from "./compile.js";
import { allStates, type WorkflowMachine } from "./ir.js";

/**
 * Random try/catch/finally shapes with returns and throws on some or all ways out:
 * every machine is valid ASL (compileChecked runs asl-validator, whose reachability
 * rule caught the unreachable finally copy of issue 12) and carries no error.
 */
type Shape =
  | { kind: "step" }
  | { kind: "return" }
  | { kind: "throw" }
  | { kind: "if"; yes: Shape[]; no: Shape[] }
  | { kind: "try"; block: Shape[]; handler: Shape[] | undefined; finalizer: Shape[] | undefined };

const shapes = fc.letrec<{ shape: Shape; block: Shape[] }>((tie) => ({
  shape: fc.oneof(
    { maxDepth: 3, withCrossShrink: true },
    fc.constant<Shape>({ kind: "step" }),
    fc.constant<Shape>({ kind: "return" }),
    fc.constant<Shape>({ kind: "throw" }),
    fc.record({ kind: fc.constant("if" as const), yes: tie("block"), no: tie("block") }),
    fc.record({
      kind: fc.constant("try" as const),
      block: tie("block"),
      handler: fc.option(tie("block"), { nil: undefined }),
      finalizer: fc.option(tie("block"), { nil: undefined }),
    }),
  ),
  block: fc.array(tie("shape"), { minLength: 1, maxLength: 3 }),
}));

/** A try needs a catch or a finally: a try with neither gets a catch of one step. */
function handlerOf(shape: Extract<Shape, { kind: "try" }>): Shape[] | undefined {
  return shape.handler ?? (shape.finalizer ? undefined : [{ kind: "step" }]);
}

/** False when no path through the shape reaches the code after it. */
function completes(shape: Shape): boolean {
  switch (shape.kind) {
    case "step":
      return true;
    case "return":
    case "throw":
      return false;
    case "if":
      return shape.yes.every(completes) || shape.no.every(completes);
    case "try": {
      const handler = handlerOf(shape);
      return (
        (shape.finalizer ?? []).every(completes) &&
        (shape.block.every(completes) || handler?.every(completes) === true)
      );
    }
  }
}

/**
 * The program of a shape. Code after a statement that never completes is left out:
 * it is dead, and a dead state is an unreachable-state error (tested on its own below).
 */
function source(block: Shape[]): string {
  let steps = 0;
  const live = (list: Shape[]): Shape[] => {
    const end = list.findIndex((shape) => !completes(shape));
    return end < 0 ? list : list.slice(0, end + 1);
  };
  const write = (list: Shape[]): string => live(list).map(one).join("\n");
  const one = (shape: Shape): string => {
    switch (shape.kind) {
      case "step":
        steps += 1;
        return `await ctx.step("s${steps}", async () => ${steps});`;
      case "return":
        return "return 1;";
      case "throw":
        return 'throw new Error("no");';
      case "if":
        return `if (input.flags.includes("f")) {\n${write(shape.yes)}\n} else {\n${write(shape.no)}\n}`;
      case "try": {
        const handler = handlerOf(shape);
        // A step first, so the handler is reached (a catch of a try with no step is an unreachable-state error).
        return [
          `try {\n${one({ kind: "step" })}\n${write(shape.block)}\n}`,
          handler ? ` catch (error) {\n${write(handler)}\n}` : "",
          shape.finalizer ? ` finally {\n${write(shape.finalizer)}\n}` : "",
        ].join("");
      }
    }
  };
  return `import { workflow } from "@stepline/core";\nexport const w = workflow("w", async (ctx, input: { flags: string[] }) => {\n${write(block)}\n});\n`;
}

describe("try/catch/finally shapes with returns and throws", () => {
  it("always compile to valid ASL, every state reachable, and no error", () => {
    fc.assert(
      fc.property(shapes.block, (block) => {
        const text = source(block);
        const { machines, diagnostics } = compileChecked(text, { fileName: "w.ts" });
        expect(diagnostics, text).toEqual([]);
        expect(machines).toHaveLength(1);
        expect(allStates(machines[0] as never).next().done, text).toBe(false);
      }),
      { numRuns: 150 },
    );
  });

  it("draws the finally once per way out that a path takes (a try whose every way out returns has no copy after it)", () => {
    const text = `import { workflow } from "@stepline/core";
export const w = workflow("w", async (ctx, input: { ok: boolean }) => {
  try {
    if (input.ok) return await ctx.step("charge", async () => 1);
    throw new Error("no");
  } finally {
    await ctx.step("notify", async () => 0);
  }
});`;
    const { machines, diagnostics } = compile(text, { fileName: "w.ts" });
    expect(diagnostics).toEqual([]);
    const names = [...allStates(machines[0] as never)].map((state) => state.name);
    // One copy before the return, one on the thrown error; none for falling off the end.
    expect(names.filter((name) => name.startsWith("notify")).sort()).toEqual(["notify", "notify#2"]);
  });

  it("refuses dead code after a try that never completes with an error, and leaves it out of valid ASL", () => {
    const text = `import { workflow } from "@stepline/core";
export const w = workflow("w", async (ctx) => {
  try {
    await ctx.step("a", async () => 1);
  } finally {
    throw new Error("always");
  }
  await ctx.step("never", async () => 2);
});`;
    const { machines, diagnostics } = compileChecked(text, { fileName: "w.ts" });
    expect(diagnostics.map((d) => `${d.severity} ${d.code} ${d.line}`)).toEqual([
      "error unreachable-state 8",
    ]);
    expect(diagnostics[0]?.message).toContain('state "never" cannot be reached');
    expect([...allStates(machines[0] as never)].map((state) => state.name)).toEqual([
      "a",
      'throw new Error("always")',
      'throw new Error("always")#2',
    ]);
  });

  it("has a validator that still rejects an unreachable state, on every call (its Ajv is shared)", () => {
    const { machines } = compile(
      'import { workflow } from "@stepline/core";\nexport const w = workflow("w", async (ctx) => { await ctx.step("a", async () => 1); });',
      { fileName: "w.ts" },
    );
    const machine = machines[0] as WorkflowMachine;
    expectValidAsl(machine);
    const dangling: WorkflowMachine = {
      ...machine,
      states: [...machine.states, { id: "s9", kind: "succeed", name: "dangling", loc: machine.loc }],
    };
    for (let i = 0; i < 2; i++)
      expect(() => expectValidAsl(dangling)).toThrow(/MISSING_TRANSITION_TARGET: State dang/);
  });
});
