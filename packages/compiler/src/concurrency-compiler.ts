import type { BindingPattern, CallExpression, Expression, Node, Statement } from "oxc-parser";
import { isFunctionLike, operationOf, unwrap, walk } from "./ast.js";
import { type BodyCompiler, issuesOperations, type Scope } from "./compile-scope.js";
import type { Machine, MapState, ParallelState } from "./ir.js";
import type { MachineDraft, Ref } from "./machine-builder.js";
import { knownStrings, readOperationName } from "./operation-names.js";
import { truncate, withLoopVariables } from "./statement-compiler.js";

/** The Promise combinators that run operations side by side, and their Parallel modes. */
export const PROMISE_COMBINATORS = new Map<string, ParallelState["mode"]>([
  ["all", "all"],
  ["allSettled", "allSettled"],
  ["race", "race"],
  ["any", "race"],
]);

/** A fresh function scope for a branch or an iteration: its own machine, returns end it, errors leave it. */
export function branchScope(scope: Scope, draft: MachineDraft): Scope {
  return {
    ...scope,
    draft,
    returnTarget: draft.end,
    errorTarget: () => undefined,
    breakTarget: undefined,
    continueTarget: undefined,
    finalizers: [],
    loopFinalizerDepth: 0,
  };
}

/**
 * `Promise.all([...])` (and allSettled, race): a Parallel state with one branch per
 * element that issues operations. `Promise.all(items.map(async (item) => ...))` is a
 * Map state instead, one iteration per item.
 */
export function compileConcurrent(
  c: BodyCompiler,
  call: CallExpression,
  method: string,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  const mode = PROMISE_COMBINATORS.get(method) as ParallelState["mode"];
  const source = `Promise.${method}`;
  if (!awaited) {
    return c.opaque(
      scope,
      call,
      "operation-not-awaited",
      `${source}(...) is not awaited where it is called, so its operations run alongside the code after it. Await it.`,
      next,
    );
  }
  const argument = call.arguments[0];
  const items = argument && argument.type !== "SpreadElement" ? unwrap(argument) : undefined;
  const mapped = items ? mapCallback(items) : undefined;
  if (mapped && items?.type === "CallExpression" && items.callee.type === "MemberExpression") {
    return compileMap(c, {
      node: call,
      items: items.callee.object,
      body: mapped.body,
      variables: mapped.params,
      maxConcurrency: 0,
      toleratesFailures: mode === "allSettled",
      name: `map ${truncate(c.text(scope, items.callee.object), 40)}`,
      next,
      scope,
    });
  }
  const collected =
    items?.type === "Identifier" && mode !== "race" ? scope.collectedPromises?.get(items.name) : undefined;
  if (collected) {
    // `runs.push(ctx.step(...))` in a loop, or `runs = items.map(...)`, awaited here (collected-promises.ts).
    return compileMap(c, {
      ...collected,
      node: call,
      maxConcurrency: 0,
      toleratesFailures: mode === "allSettled",
      name: `map ${truncate(c.text(scope, collected.items), 40)}`,
      next,
      scope,
    });
  }
  if (items?.type !== "ArrayExpression") {
    return c.opaque(
      scope,
      call,
      "dynamic-operation",
      `${source}(${argument ? c.text(scope, argument) : ""}) runs promises the compiler cannot see being made. Pass an array literal of operations, or items.map(async (item) => ...).`,
      next,
    );
  }
  const elements = items.elements.filter(
    (element): element is NonNullable<typeof element> =>
      !!element && (issuesOperations(element, scope) || blockThrows(element)),
  );
  if (elements.length === 0) return next;
  if (elements.length === 1 && mode !== "race") {
    const element = elements[0] as NonNullable<(typeof elements)[number]>;
    if (element.type !== "SpreadElement") return c.expression(element, next, scope, true);
  }
  const branches: Machine[] = [];
  const labels: string[] = [];
  for (const element of elements) {
    const draft = c.builder.subMachine();
    const inner = branchScope(scope, draft);
    let entry: Ref;
    if (element.type === "SpreadElement") {
      entry = c.expression(
        { ...call, arguments: [element.argument] } as CallExpression,
        draft.end,
        inner,
        true,
      );
    } else if (!issuesOperations(element, scope)) {
      // A throwing async block with no operation (blockThrows): its statements, not a call of plain code.
      const block = (unwrap((element as CallExpression).callee) as { body: { body: Statement[] } }).body;
      entry = c.statements(block.body, draft.end, inner);
    } else {
      entry = c.expression(element, draft.end, inner, true);
    }
    draft.start.link(entry);
    branches.push(c.builder.machineOf(draft));
    labels.push(branchLabel(c, scope, element));
  }
  const state: ParallelState = {
    id: "",
    kind: "parallel",
    name: `${method}(${truncate(labels.join(", "), 56)})`,
    loc: c.locate(scope, call),
    mode,
    branches,
  };
  const ref = c.add(scope, state, call);
  c.builder.link(scope.draft, state, "next", next, "omit");
  const catchTarget = scope.errorTarget();
  if (catchTarget) c.builder.link(scope.draft, state, "catch", catchTarget);
  return ref;
}

/**
 * An async block (`(async () => { ... })()`) with a `throw` in its own body: it is a
 * branch even with no operation, since its error rejects the Promise.all or race
 * (found by the generated-program test: such a branch was dropped, and a journal
 * that failed there before the other branches scheduled anything was rejected).
 */
function blockThrows(element: Node): boolean {
  if (element.type !== "CallExpression") return false;
  const callee = unwrap(element.callee);
  if (!isFunctionLike(callee) || callee.body?.type !== "BlockStatement") return false;
  let found = false;
  walk(callee.body as Node, (node) => {
    if (found || isFunctionLike(node)) return false;
    if (node.type === "ThrowStatement") found = true;
    return !found;
  });
  return found;
}

/** `items.map(async (item) => ...)` with operations in the callback: the callback. */
export function mapCallback(
  expression: Expression,
): { body: Statement | Expression; params: Node[] } | undefined {
  if (expression.type !== "CallExpression") return undefined;
  const callee = unwrap(expression.callee);
  if (callee.type !== "MemberExpression" || callee.computed || callee.property.name !== "map")
    return undefined;
  const callback = expression.arguments[0] ? unwrap(expression.arguments[0] as Expression) : undefined;
  if (!callback || !isFunctionLike(callback) || !callback.body) return undefined;
  return { body: callback.body as Statement | Expression, params: callback.params as Node[] };
}

/** A branch's label: its first operation's name, or the helper it calls. */
function branchLabel(c: BodyCompiler, scope: Scope, element: Node): string {
  let label: string | undefined;
  walk(element, (node) => {
    if (label !== undefined) return false;
    if (node.type !== "CallExpression") return undefined;
    const operation = operationOf(node, scope.contextNames);
    if (operation) {
      const first = node.arguments[0];
      const name =
        operation === "child" || !first || first.type === "SpreadElement"
          ? undefined
          : readOperationName(first, (n) => c.text(scope, n), knownStrings(c, scope), scope.loopVariables);
      label = name && !("problem" in name) ? name.text : c.text(scope, node.callee);
      return false;
    }
    const callee = unwrap(node.callee);
    if (callee.type === "Identifier" && issuesOperations(node, scope)) label = callee.name;
    return undefined;
  });
  return label ?? "…";
}

/** What a Map state is made of: a `for ... of` loop or an `items.map(callback)`. */
export interface MapSource {
  node: Node;
  items: Expression;
  body: Statement | Expression;
  /** The loop variable patterns or the callback's parameters. */
  variables: Node[];
  /** Absent: not known at compile time (ctx.map with a computed concurrency). */
  maxConcurrency?: number;
  toleratesFailures: boolean;
  /** ctx.map's callback context parameter: the item processor's operations go through it. */
  contextName?: string;
  /** More fields of the Map state (ctx.map's toleratedFailures). */
  extra?: Partial<MapState>;
  name: string;
  next: Ref;
  scope: Scope;
}

/** A Map state: the body is the iterator sub-machine, run once per item. */
export function compileMap(c: BodyCompiler, source: MapSource): Ref {
  const { scope, next } = source;
  const draft = c.builder.subMachine();
  let inner: Scope = { ...branchScope(scope, draft), continueTarget: draft.end };
  if (source.contextName)
    inner = { ...inner, contextNames: new Set([...scope.contextNames, source.contextName]) };
  for (const variable of source.variables) inner = withLoopVariables(inner, variable as BindingPattern);
  const entry =
    source.body.type === "BlockStatement" || source.body.type.endsWith("Statement")
      ? c.statement(source.body as Statement, draft.end, inner)
      : c.expression(source.body, draft.end, inner, true);
  draft.start.link(entry);
  const items = c.text(scope, source.items);
  const state: MapState = {
    id: "",
    kind: "map",
    name: source.name,
    loc: c.locate(scope, source.node),
    items,
    itemsPath: itemsPath(source.items, scope.inputName),
    ...(source.maxConcurrency === undefined ? {} : { maxConcurrency: source.maxConcurrency }),
    toleratesFailures: source.toleratesFailures,
    ...source.extra,
    iterator: c.builder.machineOf(draft),
  };
  const ref = c.add(scope, state, source.node);
  c.builder.link(scope.draft, state, "next", next, "omit");
  const catchTarget = scope.errorTarget();
  if (catchTarget) c.builder.link(scope.draft, state, "catch", catchTarget);
  return c.expression(source.items, ref, scope, false);
}

/**
 * A JSONPath for the iterated expression: `order.items` with `order` the workflow
 * input is `$.items`; another variable `x.y` is `$.x.y`; anything else is `$`.
 */
function itemsPath(expression: Expression, inputName: string | undefined): string {
  const segments: string[] = [];
  let node = unwrap(expression);
  while (node.type === "MemberExpression" && !node.computed) {
    segments.unshift(node.property.name);
    node = unwrap(node.object);
  }
  if (node.type !== "Identifier") return "$";
  if (node.name !== inputName) segments.unshift(node.name);
  return ["$", ...segments].join(".");
}
