import type { Argument, CallExpression, Expression, Node } from "oxc-parser";
import { isFunctionLike, type LifecycleMethod, parameterNames, unwrap } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import { compileMap } from "./concurrency-compiler.js";
import type { DiagnosticCode } from "./diagnostics.js";
import type { AwaitChildState, ChildState, ContinueAsNewState, MapState, OpaqueState } from "./ir.js";
import type { LifecycleNames } from "./lifecycle-names.js";
import type { Ref } from "./machine-builder.js";
import { childWorkflowName } from "./operation-compiler.js";
import { knownStrings, literalName, readOperationName } from "./operation-names.js";
import { readOptions } from "./option-reader.js";
import { truncate } from "./statement-compiler.js";
import type { StaticValue } from "./static-value.js";

const plain = (argument: Argument | undefined): Expression | undefined =>
  argument && argument.type !== "SpreadElement" ? unwrap(argument) : undefined;

/**
 * The lifecycle calls that are states: `ctx.map` (a Map state), `ctx.startChild` (a
 * start without waiting) and `return ctx.continueAsNew(input)` (the end of a run).
 * Like operations, they must be awaited (or returned) where they stand.
 */
export function compileLifecycle(
  c: BodyCompiler,
  call: CallExpression,
  method: LifecycleMethod,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  const source = c.text(scope, call.callee);
  if (!awaited) {
    return c.opaque(
      scope,
      call,
      "operation-not-awaited",
      method === "continueAsNew"
        ? `${source}(...) ends the run only when it is returned: write \`return ${source}(input)\`.`
        : `${source}(...) is not awaited where it is called, so it runs alongside the code after it. Await it.`,
      next,
    );
  }
  switch (method) {
    case "map":
      return compileContextMap(c, call, next, scope);
    case "startChild":
      return compileStartChild(c, call, next, scope);
    case "continueAsNew": {
      const input = plain(call.arguments[0]);
      const state: ContinueAsNewState = {
        id: "",
        kind: "continueAsNew",
        name: "continue as new",
        loc: c.locate(scope, call),
        input: input ? c.text(scope, input) : "",
      };
      const ref = c.add(scope, state, call);
      c.builder.link(scope.draft, state, "next", next, "omit");
      return ref;
    }
  }
}

/**
 * `ctx.map(name, items, async (ctx, item, index) => ..., { concurrency, toleratedFailures })`:
 * a Map state named `name`. `concurrency` must be a literal or a top-level `const`
 * number; otherwise MaxConcurrency is left out and a warning says so (the runtime
 * still bounds it; the diagram cannot say by how much).
 */
function compileContextMap(c: BodyCompiler, call: CallExpression, next: Ref, scope: Scope): Ref {
  const [nameArgument, items, callback, options] = call.arguments.map(plain);
  const name = readOperationName(
    nameArgument,
    (node) => c.text(scope, node),
    knownStrings(c, scope),
    scope.loopVariables,
  );
  if ("problem" in name) {
    return c.opaque(
      scope,
      call,
      "dynamic-operation-name",
      `ctx.map(...) cannot be drawn: ${name.problem}. A map's name is its state's name: use a string literal.`,
      next,
    );
  }
  if (!items || !callback || !isFunctionLike(callback) || !callback.body) {
    return c.opaque(
      scope,
      call,
      "dynamic-operation",
      `ctx.map("${name.text}", ...) needs the items and an inline callback \`async (ctx, item, index) => ...\`; the compiler draws the callback's body as the Map's item processor.`,
      next,
    );
  }
  const read = readOptions(c, scope, options);
  const concurrencyNode = read.nodeOf("concurrency");
  const concurrency = read.get("concurrency");
  const maxConcurrency =
    concurrency && "value" in concurrency ? positiveInteger(concurrency.value) : undefined;
  if (maxConcurrency === undefined) {
    c.report(
      scope,
      concurrencyNode ?? call,
      "warning",
      "concurrency-not-literal",
      `ctx.map("${name.text}") has no concurrency the compiler can read (${concurrency ? `\`${c.text(scope, concurrencyNode as Node)}\`` : "none given"}); the Map state is drawn without MaxConcurrency. Write it as an integer literal or a const.`,
    );
  }
  const toleranceValue = read.get("toleratedFailures");
  const toleranceNode = toleranceValue ? read.nodeOf("toleratedFailures") : undefined;
  const tolerance =
    toleranceValue && "value" in toleranceValue ? readTolerance(toleranceValue.value) : undefined;
  if (toleranceNode && !tolerance) {
    c.report(
      scope,
      toleranceNode,
      "warning",
      "option-not-literal",
      `the toleratedFailures of ctx.map("${name.text}") is not a count or fraction known at compile time; the diagram assumes any share of the items may fail. Write it as a literal or a const to have it drawn.`,
    );
  }
  const [contextParameter, ...rest] = callback.params as Node[];
  const [contextName] = parameterNames(callback);
  const extra: Partial<MapState> = tolerance
    ? { toleratedFailures: tolerance }
    : toleranceNode
      ? { toleratesFailures: true }
      : {};
  return compileMap(c, {
    node: call,
    items,
    body: callback.body as Node as Parameters<typeof compileMap>[1]["body"],
    variables: rest,
    ...(contextName && contextParameter ? { contextName } : {}),
    ...(maxConcurrency === undefined ? {} : { maxConcurrency }),
    toleratesFailures: false,
    extra,
    name: name.text,
    next,
    scope,
  });
}

function positiveInteger(value: StaticValue | undefined): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 ? value : undefined;
}

/** A count (an integer >= 0) or a fraction (0 < x < 1, as a percentage) of tolerated failures. */
function readTolerance(value: StaticValue | undefined): MapState["toleratedFailures"] | undefined {
  if (typeof value !== "number" || value < 0) return undefined;
  if (Number.isInteger(value)) return { count: value };
  // ASL's ToleratedFailurePercentage is 0-100; round to a thousandth of a percent against float noise.
  return value < 1 ? { percentage: Math.round(value * 100_000) / 1000 } : undefined;
}

/**
 * `const handle = await ctx.startChild(definition, input, { id, parentClosePolicy })`:
 * a start Task that does not wait. The handle's name is recorded so that a later
 * `handle.result()` can name this state.
 */
function compileStartChild(c: BodyCompiler, call: CallExpression, next: Ref, scope: Scope): Ref {
  const [definition, , options] = call.arguments.map(plain);
  const workflow = childWorkflowName(c, scope, definition, "ctx.startChild");
  if (typeof workflow !== "string")
    return c.opaque(scope, call, "child-not-resolved", workflow.problem, next);
  const read = readOptions(c, scope, options);
  const policy = read.get("parentClosePolicy");
  const policyNode = read.nodeOf("parentClosePolicy");
  let parentClosePolicy = "cancel";
  if (policy && "value" in policy && typeof policy.value === "string") parentClosePolicy = policy.value;
  else if (policy) {
    parentClosePolicy = "not known";
    c.report(
      scope,
      policyNode as Node,
      "warning",
      "option-not-literal",
      `the parentClosePolicy of ctx.startChild(${workflow}) is not a literal; the diagram says "not known". Write "terminate", "cancel" or "abandon".`,
    );
  }
  const state: ChildState = {
    id: "",
    kind: "child",
    name: workflow,
    loc: c.locate(scope, call),
    workflow,
    operation: literalName(workflow),
    detached: { parentClosePolicy },
  };
  const handle = scope.lifecycle?.handleOf.get(call);
  // Compiled backwards: the first start recorded for a reused name is the last in the source.
  if (handle && scope.lifecycle && !scope.lifecycle.starts.has(handle))
    scope.lifecycle.starts.set(handle, state);
  const ref = c.add(scope, state, call);
  c.builder.link(scope.draft, state, "next", next, "omit");
  const catchTarget = scope.errorTarget();
  if (catchTarget) c.builder.link(scope.draft, state, "catch", catchTarget);
  return ref;
}

/**
 * `await handle.result()`: waits for the child a `ctx.startChild` started. Its `child`
 * is filled in by {@link resolveChildResults} once states have ids.
 */
export function compileAwaitChild(
  c: BodyCompiler,
  call: CallExpression,
  handle: string,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  if (!awaited) {
    return c.opaque(
      scope,
      call,
      "operation-not-awaited",
      `${handle}.result() is not awaited where it is called; await it where the workflow needs the child's result.`,
      next,
    );
  }
  const state: AwaitChildState = {
    id: "",
    kind: "awaitChild",
    name: `${truncate(handle, 40)}.result()`,
    loc: c.locate(scope, call),
    child: "",
    handle,
  };
  scope.lifecycle?.results.push({ state, handle, call });
  const ref = c.add(scope, state, call);
  c.builder.link(scope.draft, state, "next", next, "omit");
  const catchTarget = scope.errorTarget();
  if (catchTarget) c.builder.link(scope.draft, state, "catch", catchTarget);
  return ref;
}

/**
 * After the machine is built: points each `handle.result()` at its start state. A
 * handle bound more than once (the same name in two places) is ambiguous: the last
 * start in source order is taken, with a warning. A handle whose start was not
 * drawn (made in a helper) leaves the wait opaque, with an error.
 */
export function resolveChildResults(
  names: LifecycleNames | undefined,
  report: (node: Node, severity: "error" | "warning", code: DiagnosticCode, message: string) => void,
): void {
  if (!names) return;
  for (const { state, handle, call } of names.results) {
    const starts = names.handles.get(handle) ?? [];
    const start = names.starts.get(handle);
    if (starts.length > 1) {
      report(
        starts[starts.length - 1] as Node,
        "warning",
        "child-handle-not-resolved",
        `${handle} holds the handle of more than one ctx.startChild(...); ${handle}.result() is drawn as waiting for the last one in the source. Give each handle its own name.`,
      );
    }
    if (start) {
      state.child = start.id;
      continue;
    }
    const reason = `${handle}.result(): the ctx.startChild(...) that made ${handle} was not drawn in this workflow, so the wait cannot name its start. Start the child in the workflow body.`;
    report(call, "error", "child-handle-not-resolved", reason);
    // The state is already placed and linked: it becomes opaque where it stands.
    const opaque = state as unknown as Record<string, unknown>;
    for (const key of ["child", "handle", "catch"]) delete opaque[key];
    Object.assign(opaque, { kind: "opaque", reason } satisfies Partial<OpaqueState>);
  }
}
