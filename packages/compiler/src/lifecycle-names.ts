import type { CallExpression, Expression, Node } from "oxc-parser";
import { boundNames, isFunctionLike, isLoop, methodCallOf, unwrap, walk } from "./ast.js";
import type { AwaitChildState, ChildState } from "./ir.js";

/** One `saga.add(name, fn, options?)`, in source order. */
export interface SagaAdd {
  call: CallExpression;
  /** The name argument; read when the undo step is drawn. */
  nameNode: Expression | undefined;
  options: Expression | undefined;
  /** Loop variables in scope at the add, for a parameterised undo name. */
  loopVariables: ReadonlySet<string>;
  /** Inside an `if`, `switch`, `? :`, `&&`/`||`, `catch`: it may not run. */
  conditional: boolean;
  /** The outermost loop (or callback) around it: it may run any number of times. */
  loop: Node | undefined;
}

/**
 * A `const saga = ctx.compensations()` and the adds to it the function makes; or an
 * array of undo closures (`const undo = []`, `undo.push(() => ctx.step("refund", ...))`),
 * which a `for (const u of undo.reverse()) await u()` runs as `saga.run()` would.
 */
export interface Saga {
  name: string;
  adds: SagaAdd[];
  /** An array of undo closures rather than ctx.compensations(). */
  closures?: boolean;
}

/**
 * The lifecycle values of one workflow function, found before it is compiled (the
 * compiler works backwards, so `saga.run()` in a catch is compiled before the adds
 * in the try, and `handle.result()` before the `ctx.startChild` that made the handle).
 */
export interface LifecycleNames {
  sagas: ReadonlyMap<string, Saga>;
  /** Handle variable -> the `ctx.startChild(...)` calls that initialise it (one, unless the name is reused). */
  handles: ReadonlyMap<string, CallExpression[]>;
  /** The other way: a `ctx.startChild(...)` call -> its handle variable. */
  handleOf: ReadonlyMap<CallExpression, string>;
  /** Filled while compiling: the start state of each handle. */
  starts: Map<string, ChildState>;
  /** Filled while compiling: `handle.result()` states whose `child` is set once ids exist. */
  results: { state: AwaitChildState; handle: string; call: CallExpression }[];
}

const BRANCHING = new Set([
  "IfStatement",
  "SwitchStatement",
  "ConditionalExpression",
  "LogicalExpression",
  "CatchClause",
]);

/**
 * Finds `const saga = ctx.compensations()`, the `saga.add(...)` calls in source order
 * with what surrounds them, and `const handle = await ctx.startChild(...)`.
 *
 * @example
 * const names = collectLifecycleNames(fn.body, new Set(["ctx"]));
 * names.sagas.get("saga")?.adds.length; // 2
 */
export function collectLifecycleNames(body: Node, contextNames: ReadonlySet<string>): LifecycleNames {
  const sagas = new Map<string, Saga>();
  // `const undo = []`: a saga of closures if every push to it is a one-step closure.
  const arrays = new Map<string, Saga>();
  const notUndo = new Set<string>();
  const handles = new Map<string, CallExpression[]>();
  const handleOf = new Map<CallExpression, string>();
  const contextCall = (init: Expression | null | undefined, method: string): CallExpression | undefined => {
    if (!init) return undefined;
    let node = unwrap(init);
    if (node.type === "AwaitExpression") node = unwrap(node.argument);
    if (node.type !== "CallExpression") return undefined;
    const call = methodCallOf(node);
    return call && contextNames.has(call.receiver) && call.method === method ? node : undefined;
  };
  const visit = (node: Node, conditional: boolean, loop: Node | undefined, loopVariables: Set<string>) => {
    walk(node, (current) => {
      if (current !== node && (BRANCHING.has(current.type) || isLoop(current) || isFunctionLike(current))) {
        let variables = loopVariables;
        if (current.type === "ForOfStatement" || current.type === "ForInStatement") {
          const left = current.left;
          const patterns = left.type === "VariableDeclaration" ? left.declarations.map((d) => d.id) : [left];
          variables = new Set([...loopVariables, ...patterns.flatMap((pattern) => boundNames(pattern))]);
        } else if (isFunctionLike(current)) {
          variables = new Set([...loopVariables, ...current.params.flatMap((param) => boundNames(param))]);
        }
        const repeats = isLoop(current) || isFunctionLike(current);
        visit(
          current,
          conditional || BRANCHING.has(current.type),
          loop ?? (repeats ? current : undefined),
          variables,
        );
        return false;
      }
      if (current.type === "VariableDeclarator" && current.id.type === "Identifier") {
        const name = current.id.name;
        if (contextCall(current.init, "compensations")) sagas.set(name, { name, adds: [] });
        const init = current.init ? unwrap(current.init) : undefined;
        if (init?.type === "ArrayExpression" && init.elements.length === 0)
          arrays.set(name, { name, adds: [], closures: true });
        const start = contextCall(current.init, "startChild");
        if (start) {
          handles.set(name, [...(handles.get(name) ?? []), start]);
          handleOf.set(start, name);
        }
      }
      if (current.type === "CallExpression") {
        const call = methodCallOf(current);
        const array = call && call.method === "push" ? arrays.get(call.receiver) : undefined;
        if (array) {
          const step = undoClosureStep(current, contextNames);
          if (!step) notUndo.add(array.name);
          else {
            const [nameNode, , options] = step.arguments.map((a) =>
              a.type === "SpreadElement" ? undefined : a,
            );
            array.adds.push({ call: current, nameNode, options, loopVariables, conditional, loop });
          }
        }
        const saga = call && call.method === "add" ? sagas.get(call.receiver) : undefined;
        if (saga) {
          const [nameNode, , options] = current.arguments.map((a) =>
            a.type === "SpreadElement" ? undefined : a,
          );
          saga.adds.push({ call: current, nameNode, options, loopVariables, conditional, loop });
        }
      }
      return undefined;
    });
  };
  visit(body, false, undefined, new Set());
  for (const [name, array] of arrays) {
    if (array.adds.length > 0 && !notUndo.has(name) && !sagas.has(name)) sagas.set(name, array);
  }
  return { sagas, handles, handleOf, starts: new Map(), results: [] };
}

/**
 * `undo.push(() => ctx.step(name, fn, options))` (or an async closure whose body is
 * that one step, awaited or returned): the step call; anything else is not an undo closure.
 */
function undoClosureStep(
  push: CallExpression,
  contextNames: ReadonlySet<string>,
): CallExpression | undefined {
  const argument = push.arguments.length === 1 ? push.arguments[0] : undefined;
  const closure = argument && argument.type !== "SpreadElement" ? unwrap(argument) : undefined;
  if (!closure || !isFunctionLike(closure) || !closure.body || closure.params.length > 0) return undefined;
  let body: Node = closure.body;
  if (body.type === "BlockStatement") {
    const only = body.body.length === 1 ? body.body[0] : undefined;
    if (only?.type === "ExpressionStatement") body = only.expression;
    else if (only?.type === "ReturnStatement" && only.argument) body = only.argument;
    else return undefined;
  }
  let expression = unwrap(body as Expression);
  if (expression.type === "AwaitExpression") expression = unwrap(expression.argument);
  if (expression.type !== "CallExpression") return undefined;
  const call = methodCallOf(expression);
  return call && contextNames.has(call.receiver) && call.method === "step" ? expression : undefined;
}

/**
 * The loop that runs an array of undo closures newest first:
 * `for (const u of undo.reverse()) await u()`, also over `[...undo].reverse()`,
 * `undo.slice().reverse()` and `undo.toReversed()`. `array` is the array's name;
 * `reversed` false when the loop walks it in registration order (drawn as refused).
 */
export function undoLoopOf(
  node: Node,
  names: LifecycleNames,
): { saga: Saga; reversed: boolean; runs: boolean } | undefined {
  if (node.type !== "ForOfStatement") return undefined;
  let right = unwrap(node.right);
  let reversed = false;
  if (right.type === "CallExpression" && right.arguments.length === 0) {
    const callee = unwrap(right.callee);
    if (callee.type === "MemberExpression" && !callee.computed) {
      const method = callee.property.name;
      if (method === "reverse" || method === "toReversed") {
        reversed = true;
        right = unwrap(callee.object);
        if (right.type === "ArrayExpression" && right.elements.length === 1) {
          const only = right.elements[0];
          if (only?.type === "SpreadElement") right = unwrap(only.argument);
        } else if (right.type === "CallExpression" && right.arguments.length === 0) {
          const inner = unwrap(right.callee);
          if (inner.type === "MemberExpression" && !inner.computed && inner.property.name === "slice")
            right = unwrap(inner.object);
        }
      }
    }
  }
  if (right.type !== "Identifier") return undefined;
  const saga = names.sagas.get(right.name);
  if (!saga?.closures) return undefined;
  // The body calls the loop variable and does nothing else that matters: `await u()`.
  const variable =
    node.left.type === "VariableDeclaration" && node.left.declarations.length === 1
      ? node.left.declarations[0]?.id
      : undefined;
  const statements = node.body.type === "BlockStatement" ? node.body.body : [node.body];
  const only = statements.length === 1 ? statements[0] : undefined;
  let called = only?.type === "ExpressionStatement" ? unwrap(only.expression) : undefined;
  if (called?.type === "AwaitExpression") called = unwrap(called.argument);
  const runs =
    variable?.type === "Identifier" &&
    called?.type === "CallExpression" &&
    called.arguments.length === 0 &&
    unwrap(called.callee).type === "Identifier" &&
    (unwrap(called.callee) as { name: string }).name === variable.name &&
    only?.type === "ExpressionStatement" &&
    unwrap(only.expression).type === "AwaitExpression";
  return { saga, reversed, runs };
}

/** Array methods that take undo closures out of their array to run them. */
export const UNDO_RUNNERS = new Set([
  "pop",
  "shift",
  "at",
  "forEach",
  "map",
  "reduce",
  "reduceRight",
  "splice",
]);

/** True when the subtree runs a saga's undo steps or waits for a started child: `saga.run()`, `handle.result()`. */
export function awaitsLifecycle(node: Node, names: LifecycleNames): boolean {
  let found = false;
  walk(node, (current) => {
    if (found) return false;
    if (undoLoopOf(current, names)) found = true;
    // `undo.pop()()`, `undo.forEach(...)`: undo closures run some other way (refused where compiled).
    if (current.type === "MemberExpression" && !current.computed && UNDO_RUNNERS.has(current.property.name)) {
      const object = unwrap(current.object);
      if (object.type === "Identifier" && names.sagas.get(object.name)?.closures) found = true;
    }
    if (current.type === "CallExpression") {
      const call = methodCallOf(current);
      if (
        call &&
        ((call.method === "run" && names.sagas.has(call.receiver)) ||
          (call.method === "result" && names.handles.has(call.receiver)))
      ) {
        found = true;
      }
    }
    return undefined;
  });
  return found;
}
