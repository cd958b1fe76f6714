import type { CallExpression, ForOfStatement, Node, Statement } from "oxc-parser";
import { unwrap } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import type { TaskState } from "./ir.js";
import type { Saga, SagaAdd } from "./lifecycle-names.js";
import { Ref } from "./machine-builder.js";
import { stepOptions } from "./operation-compiler.js";
import { knownStrings, readOperationName } from "./operation-names.js";
import { propertyOf } from "./retry-spec.js";
import { choiceState, failState, truncate } from "./statement-compiler.js";

/**
 * `await saga.run()` (or `saga.run({ continueOnError: true })`): the registered undo
 * steps, newest first, as Tasks on the path where `run()` stands (a `catch` or a
 * `finally`). The compiler sees the `saga.add(...)` calls in source order, but not
 * how far the code got before it failed: a Choice "registered so far?" enters the
 * reversed chain at the last add that may have run, so the undo steps that run are
 * always a suffix of it. An add inside a branch is an optional step (its own Choice);
 * adds inside a loop are a loop over their undo steps. Both are approximations, and
 * a `compensation-approximated` warning says so at the add.
 *
 * With `continueOnError`, a failed undo step goes on to the next one, and a final
 * Choice says whether any failed (then `run()` throws, to the enclosing handler).
 */
export function compileSagaRun(
  c: BodyCompiler,
  call: CallExpression,
  saga: Saga,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  if (!awaited) {
    return c.opaque(
      scope,
      call,
      "operation-not-awaited",
      `${saga.name}.run() is not awaited where it is called, so its undo steps run alongside the code after it. Await it.`,
      next,
    );
  }
  return compileUndoChain(c, call, saga, readContinueOnError(call), next, scope);
}

/**
 * `for (const u of undo.reverse()) await u()` over an array of undo closures
 * (`undo.push(() => ctx.step("refund", ...))`): the same reversed chain as
 * `saga.run()`, the pushes being the adds (lifecycle-names.ts). A loop over the
 * array in registration order, or one that does more than call each closure, is
 * refused: it would be drawn wrong, and drawing nothing hides the undo path.
 */
export function compileUndoLoop(
  c: BodyCompiler,
  loop: ForOfStatement,
  undo: { saga: Saga; reversed: boolean; runs: boolean },
  next: Ref,
  scope: Scope,
): Ref {
  const { saga } = undo;
  if (!undo.reversed || !undo.runs) {
    return c.opaque(
      scope,
      loop,
      "dynamic-operation",
      `This loop over the undo closures in \`${saga.name}\` ${undo.reversed ? "does more than await each closure" : "runs them in registration order, not newest first"}, which the compiler does not draw. Write \`for (const u of ${saga.name}.reverse()) await u();\`, or use ctx.compensations().`,
      next,
    );
  }
  return compileUndoChain(c, loop, saga, false, next, scope);
}

/** The undo steps of `saga`, newest first, entered at the last one registered so far. */
function compileUndoChain(
  c: BodyCompiler,
  call: CallExpression | ForOfStatement,
  saga: Saga,
  continueOnError: boolean,
  next: Ref,
  scope: Scope,
): Ref {
  let after = next;
  if (continueOnError && saga.adds.length > 0) {
    const failure = scope.errorTarget() ?? failState(c, scope, call as unknown as Statement);
    after = choiceState(
      c,
      scope,
      call,
      `${truncate(saga.name, 30)}: an undo step failed?`,
      [{ condition: "an undo step failed", next: failure }],
      { label: "all undone", next },
    ).ref;
  }
  // Groups in source order: single adds, and runs of adds inside the same loop.
  const groups: SagaAdd[][] = [];
  for (const add of saga.adds) {
    const last = groups.at(-1);
    if (add.loop && last?.[0]?.loop === add.loop) last.push(add);
    else groups.push([add]);
  }
  const entries: { ref: Ref; add: SagaAdd }[] = [];
  let entry = after;
  for (const group of groups) {
    const first = group[0] as SagaAdd;
    for (const add of group) {
      if (add.loop || add.conditional) {
        c.report(
          scope,
          add.call,
          "warning",
          "compensation-approximated",
          `${registration(saga)}(...) ${add.loop ? "inside a loop or callback may run any number of times" : "inside a branch may not run"}, which the compiler cannot count: ${saga.closures ? "the undo loop" : `${saga.name}.run()`} is drawn with this undo step ${add.loop ? "in a loop" : "optional"}. Register undo steps in straight-line code to have their order drawn exactly.`,
        );
      }
    }
    if (first.loop) {
      const head = new Ref();
      let body = head;
      for (const add of group) body = optionalUndo(c, scope, saga, add, body, continueOnError);
      const loopText = truncate(c.text(scope, first.loop).split("\n")[0] ?? "", 30);
      const { ref } = choiceState(
        c,
        scope,
        first.call,
        `undo again: ${loopText}?`,
        [{ condition: `another ${loopText} registered`, next: body }],
        { label: "done", next: entry },
      );
      head.link(ref);
      entry = ref;
    } else {
      entry = first.conditional
        ? optionalUndo(c, scope, saga, first, entry, continueOnError)
        : undoStep(c, scope, saga, first, entry, continueOnError);
    }
    entries.push({ ref: entry, add: first });
  }
  if (entries.length === 0) return next;
  const rules = [...entries].reverse().map(({ ref, add }) => ({
    condition: `registered through ${registration(saga)}(${add.nameNode ? c.text(scope, add.nameNode) : ""})`,
    next: ref,
  }));
  return choiceState(c, scope, call, `${truncate(saga.name, 30)}: registered so far?`, rules, {
    label: "nothing registered",
    next,
  }).ref;
}

/** `continueOnError: true` as a literal; anything else is the default (stop at the first failure). */
function readContinueOnError(call: CallExpression): boolean {
  const argument = call.arguments[0];
  if (!argument || argument.type === "SpreadElement") return false;
  const options = unwrap(argument);
  if (options.type !== "ObjectExpression") return false;
  const value = propertyOf(options, "continueOnError");
  const inner = value ? unwrap(value) : undefined;
  return inner?.type === "Literal" && inner.value === true;
}

/** An undo step behind a Choice: it runs only if its add ran. */
function optionalUndo(
  c: BodyCompiler,
  scope: Scope,
  saga: Saga,
  add: SagaAdd,
  next: Ref,
  continueOnError: boolean,
): Ref {
  const step = undoStep(c, scope, saga, add, next, continueOnError);
  if (step === next) return next;
  const name = readOperationName(
    add.nameNode,
    (node) => c.text(scope, node),
    knownStrings(c, scope),
    add.loopVariables,
  );
  const label = "problem" in name ? (add.nameNode ? c.text(scope, add.nameNode) : "undo") : name.text;
  return choiceState(
    c,
    scope,
    add.call,
    `${truncate(label, 40)} registered?`,
    [{ condition: `${registration(saga)}(${label}) ran`, next: step }],
    { label: "not registered", next },
  ).ref;
}

/** The Task of one undo step: the add's name, options and retry policy. */
function undoStep(
  c: BodyCompiler,
  scope: Scope,
  saga: Saga,
  add: SagaAdd,
  next: Ref,
  continueOnError: boolean,
): Ref {
  const name = readOperationName(
    add.nameNode,
    (node) => c.text(scope, node),
    knownStrings(c, scope),
    add.loopVariables,
  );
  if ("problem" in name) {
    return c.opaque(
      scope,
      add.call,
      "dynamic-operation-name",
      `${registration(saga)}(...) cannot be drawn: ${name.problem}. An undo step's name is its step's name in the journal: use a string literal, or a template literal over loop variables only.`,
      next,
    );
  }
  const state: TaskState = {
    id: "",
    kind: "task",
    name: name.text,
    loc: c.locate(scope, add.call),
    step: name,
    ...stepOptions(c, scope, name, add.options),
    compensates: { saga: saga.name, continueOnError },
  };
  const ref = c.add(scope, state, add.call as Node);
  c.builder.link(scope.draft, state, "next", next, "omit");
  const catchTarget = continueOnError ? next : scope.errorTarget();
  if (catchTarget) c.builder.link(scope.draft, state, "catch", catchTarget);
  return ref;
}

/** How an undo step is registered, as written: `saga.add` or `undo.push`. */
function registration(saga: Saga): string {
  return `${saga.name}.${saga.closures ? "push" : "add"}`;
}
