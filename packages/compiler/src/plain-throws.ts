import type { Expression, Node } from "oxc-parser";
import { childNodes, type FunctionLike, isFunctionLike, unwrap } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import type { ChoiceState, FailState, State } from "./ir.js";
import type { MachineDraft, Ref } from "./machine-builder.js";
import { resolveReference } from "./module-graph.js";
import type { ModuleIndex } from "./module-index.js";

/*
 * Plain code between operations can throw (issue 12, item 3): a validation helper, a
 * `JSON.parse` of a step's result. Such an error goes to the enclosing `catch` (or out
 * of the workflow, which fails), and the machine must show that path, or the journals
 * that take it do not verify. One Choice per region of plain code ("may throw"), not
 * one per expression: consecutive plain code that can throw shares it.
 *
 * What can throw: `throw`; `new` of anything but the built-in value constructors; a
 * call of anything not known not to: a function of the file or an import whose body
 * cannot throw is followed, the built-ins below are known, anything else is assumed to.
 * A property read (`order.items.length` on undefined) is not counted: every read would
 * be a region, and the diagram would show nothing else.
 */

// Global functions and constructors that do not throw on any argument a workflow passes.
const SAFE_CALLEES = new Set(["String", "Number", "Boolean", "parseInt", "parseFloat", "isNaN", "isFinite"]);
const SAFE_CONSTRUCTORS = new Set([
  "Date",
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Array",
  "Object",
  "Error",
  "TypeError",
  "RangeError",
  "SyntaxError",
  "AbortController",
  "URLSearchParams",
]);
// Static functions of built-in namespaces that do not throw (`JSON.parse` is not one).
const SAFE_STATICS: Record<string, ReadonlySet<string> | "all"> = {
  Math: "all",
  console: "all",
  Object: new Set(["keys", "values", "entries", "assign", "freeze", "fromEntries", "hasOwn", "is"]),
  Array: new Set(["isArray", "from", "of"]),
  Number: new Set(["isInteger", "isFinite", "isNaN", "isSafeInteger", "parseFloat", "parseInt"]),
  Date: new Set(["now"]),
  JSON: new Set(["stringify"]),
  Promise: new Set(["resolve"]),
};
// Methods of arrays, strings, maps, sets, numbers and dates; their callbacks are checked as code.
const SAFE_METHODS = new Set([
  "push",
  "pop",
  "shift",
  "unshift",
  "slice",
  "splice",
  "concat",
  "join",
  "includes",
  "indexOf",
  "lastIndexOf",
  "map",
  "filter",
  "reduce",
  "forEach",
  "some",
  "every",
  "find",
  "findIndex",
  "flat",
  "flatMap",
  "at",
  "keys",
  "values",
  "entries",
  "get",
  "set",
  "has",
  "add",
  "delete",
  "clear",
  "sort",
  "reverse",
  "fill",
  "toString",
  "toFixed",
  "toUpperCase",
  "toLowerCase",
  "trim",
  "trimStart",
  "trimEnd",
  "startsWith",
  "endsWith",
  "split",
  "replace",
  "replaceAll",
  "padStart",
  "padEnd",
  "charAt",
  "substring",
  "getTime",
  "toISOString",
  "valueOf",
  // `SomeError.is(value)`: a type guard, by the SDK's convention.
  "is",
]);

/** What the check needs: where functions are found, and the context's names (its non-operation calls do not throw). */
interface ThrowScope {
  module: ModuleIndex;
  localFunctions: ReadonlyMap<string, FunctionLike>;
  contextNames: ReadonlySet<string>;
  /** Sagas of `ctx.compensations()` and child handles: their methods are the SDK's. */
  lifecycle?: Scope["lifecycle"];
  load: (from: ModuleIndex, specifier: string) => ModuleIndex | undefined;
}

// Per function node: whether calling it can throw (false while it is being looked at: recursion adds nothing).
const functionThrows = new WeakMap<FunctionLike, boolean>();

/** True when running `node` (plain code: no operation) can throw, by the rule above. */
export function mayThrow(node: Node, scope: ThrowScope): boolean {
  // A function written here is not run here (a callback passed to a call is: see below).
  if (isFunctionLike(node)) return false;
  switch (node.type) {
    case "ThrowStatement":
      return true;
    case "ClassDeclaration":
    case "ClassExpression":
      return false;
    case "TryStatement":
      // A `catch` stops what the block throws.
      if (node.handler)
        return mayThrow(node.handler.body, scope) || (!!node.finalizer && mayThrow(node.finalizer, scope));
      break;
    case "TaggedTemplateExpression":
      return true;
    case "NewExpression": {
      const callee = unwrap(node.callee);
      if (callee.type !== "Identifier" || !SAFE_CONSTRUCTORS.has(callee.name)) return true;
      break;
    }
    case "CallExpression": {
      if (calleeThrows(node.callee, scope)) return true;
      // The SDK's callbacks (`saga.add(name, undo)`) run later, as operations of their own.
      const sdk = isSdkCall(unwrap(node.callee), scope);
      for (const argument of node.arguments) {
        const inner = argument.type === "SpreadElement" ? argument : unwrap(argument);
        // A callback given to a call (`items.map((x) => ...)`) runs here.
        if (isFunctionLike(inner)) {
          if (sdk) continue;
          if (inner.body && mayThrow(inner.body, scope)) return true;
        } else if (mayThrow(inner, scope)) return true;
      }
      const callee = unwrap(node.callee);
      return callee.type === "MemberExpression" && mayThrow(callee.object, scope);
    }
    default:
      break;
  }
  return childNodes(node).some((child) => mayThrow(child, scope));
}

/** True when calling `callee` can throw by itself (its arguments aside). */
export function calleeThrows(calleeNode: Expression | Node, scope: ThrowScope): boolean {
  const callee = unwrap(calleeNode as Expression);
  if (isSdkCall(callee, scope)) return false;
  if (callee.type === "Identifier") {
    if (SAFE_CALLEES.has(callee.name)) return false;
    const found = functionNamed(callee, scope);
    return found ? bodyThrows(found, scope) : true;
  }
  if (callee.type === "MemberExpression" && !callee.computed) {
    const object = unwrap(callee.object);
    const method = callee.property.name;
    if (object.type === "Identifier") {
      const statics = SAFE_STATICS[object.name];
      if (statics && !scope.module.imports.has(object.name)) return statics !== "all" && !statics.has(method);
      const found = functionNamed(callee, scope);
      if (found) return bodyThrows(found, scope);
    }
    return !SAFE_METHODS.has(method);
  }
  if (isFunctionLike(callee))
    return bodyThrows({ fn: callee, module: scope.module, local: scope.localFunctions }, scope);
  return true;
}

/**
 * A call into the SDK, which does not throw in plain use: on the context
 * (`ctx.compensations()`), a saga or a child handle (`saga.add(...)`), or something
 * imported from `@stepline/*` (`TimeoutError.is(error)`).
 */
function isSdkCall(callee: Expression, scope: ThrowScope): boolean {
  let root = callee;
  while (root.type === "MemberExpression") root = unwrap(root.object);
  if (root.type !== "Identifier") return false;
  const name = root.name;
  return (
    scope.contextNames.has(name) ||
    (scope.lifecycle?.sagas.has(name) ?? false) ||
    (scope.lifecycle?.handles.has(name) ?? false) ||
    (scope.module.imports.get(name)?.specifier.startsWith("@stepline/") ?? false)
  );
}

interface FoundFunction {
  fn: FunctionLike;
  module: ModuleIndex;
  /** The functions its body sees by name besides the module's (the workflow body's, for a local one). */
  local: ReadonlyMap<string, FunctionLike>;
}

function functionNamed(callee: Expression, scope: ThrowScope): FoundFunction | undefined {
  if (callee.type === "Identifier") {
    const local = scope.localFunctions.get(callee.name);
    if (local) return { fn: local, module: scope.module, local: scope.localFunctions };
  }
  const declaration = resolveReference(scope.load, scope.module, callee);
  const fn = declaration?.module.functions.get(declaration.local);
  return declaration && fn ? { fn, module: declaration.module, local: new Map() } : undefined;
}

function bodyThrows(found: FoundFunction, scope: ThrowScope): boolean {
  const { fn } = found;
  const known = functionThrows.get(fn);
  if (known !== undefined) return known;
  functionThrows.set(fn, false);
  const throws = fn.body
    ? mayThrow(fn.body, { ...scope, module: found.module, localFunctions: found.local })
    : false;
  functionThrows.set(fn, throws);
  return throws;
}

/** The check's view of a compile scope. */
export function throwScope(c: BodyCompiler, scope: Scope): ThrowScope {
  return {
    module: scope.module,
    localFunctions: scope.localFunctions,
    contextNames: scope.contextNames,
    lifecycle: scope.lifecycle,
    load: (from, specifier) => c.importedModule(from, specifier),
  };
}

/** The `otherwise` label of a "may throw" Choice: the way on when the code did not throw. */
export const NO_ERROR = "no error";

/** True for a "may throw" Choice made by {@link plainCode} (its rule is the error's way). */
export function isThrowPoint(state: State): state is ChoiceState {
  return state.kind === "choice" && state.otherwise.label === NO_ERROR && state.choices.length === 1;
}

/** A "may throw" Choice, and where its error goes, for merging a region's code into one. */
interface ThrowPoint {
  state: ChoiceState;
  target: Ref | MachineDraft;
}
const throwPoints = new WeakMap<Ref, ThrowPoint>();
// The Fail an uncaught plain-code error goes to, one per machine (root, branch, iteration).
const uncaughtFails = new WeakMap<MachineDraft, { ref: Ref; state: FailState }>();

/**
 * `next` preceded by a "may throw" Choice when `node` (plain code) can throw: its rule
 * goes to the scope's error target (a `catch`, a `finally` on the way out), or to a
 * Fail when nothing catches. Code just before another region's Choice with the same
 * target joins it: the Choice moves to the earlier code and names it.
 */
export function plainCode(c: BodyCompiler, node: Node, next: Ref, scope: Scope): Ref {
  const where = throwScope(c, scope);
  if (!mayThrow(node, where)) return next;
  return throwPoint(c, firstThrower(node, where) ?? node, next, scope);
}

/** The first expression in `node` that can throw by itself: what the Choice is named after. */
function firstThrower(node: Node, scope: ThrowScope): Node | undefined {
  if (isFunctionLike(node) || !mayThrow(node, scope)) return undefined;
  for (const child of childNodes(node)) {
    const found = firstThrower(child, scope);
    if (found) return found;
  }
  return node.type === "ExpressionStatement" ? node.expression : node;
}

/** A "may throw" Choice in front of `next` for code at `node` (see {@link plainCode}). */
export function throwPoint(c: BodyCompiler, node: Node, next: Ref, scope: Scope, label?: string): Ref {
  const caught = scope.errorTarget();
  const target = caught ?? scope.draft;
  const text = label ?? describe(c.text(scope, node));
  const existing = throwPoints.get(next);
  if (existing && existing.target === target) {
    name(existing.state, text);
    existing.state.loc = c.locate(scope, node);
    c.builder.moveTo(scope.draft, existing.state, node.start);
    return next;
  }
  const state: ChoiceState = {
    id: "",
    kind: "choice",
    name: "",
    loc: c.locate(scope, node),
    choices: [{ condition: "", next: "" }],
    otherwise: { label: NO_ERROR, next: "" },
  };
  name(state, text);
  const ref = c.add(scope, state, node);
  const errorRef = caught ?? uncaughtFail(c, node, scope);
  c.builder.link(scope.draft, state.choices[0] as ChoiceState["choices"][number], "next", errorRef);
  c.builder.link(scope.draft, state.otherwise, "next", next);
  throwPoints.set(ref, { state, target });
  return ref;
}

function name(state: ChoiceState, text: string): void {
  state.name = `${text} throws?`;
  (state.choices[0] as ChoiceState["choices"][number]).condition = `${text} throws`;
}

/** The first line of the code, shortened: a state name, not the code. */
function describe(text: string): string {
  const line = (text.split("\n")[0] as string).trim().replace(/;$/, "");
  return line.length > 40 ? `${line.slice(0, 39)}…` : line;
}

function uncaughtFail(c: BodyCompiler, node: Node, scope: Scope): Ref {
  const existing = uncaughtFails.get(scope.draft);
  if (existing) return existing.ref;
  const state: FailState = { id: "", kind: "fail", name: "uncaught error", loc: c.locate(scope, node) };
  // One for the whole machine: numbered last, after the code that can reach it.
  const ref = c.builder.add(scope.draft, state, Number.MAX_SAFE_INTEGER);
  uncaughtFails.set(scope.draft, { ref, state });
  return ref;
}
