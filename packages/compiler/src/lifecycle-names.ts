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

/** A `const saga = ctx.compensations()` and the adds to it the function makes. */
export interface Saga {
  name: string;
  adds: SagaAdd[];
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
        const start = contextCall(current.init, "startChild");
        if (start) {
          handles.set(name, [...(handles.get(name) ?? []), start]);
          handleOf.set(start, name);
        }
      }
      if (current.type === "CallExpression") {
        const call = methodCallOf(current);
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
  return { sagas, handles, handleOf, starts: new Map(), results: [] };
}

/** True when the subtree runs a saga's undo steps or waits for a started child: `saga.run()`, `handle.result()`. */
export function awaitsLifecycle(node: Node, names: LifecycleNames): boolean {
  let found = false;
  walk(node, (current) => {
    if (found) return false;
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
