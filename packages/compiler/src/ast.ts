import {
  type ArrowFunctionExpression,
  type CallExpression,
  type Expression,
  type Function as FunctionNode,
  type Node,
  visitorKeys,
} from "oxc-parser";

/** The context methods that are journaled operations, and so states. */
export const OPERATION_METHODS = ["step", "sleep", "sleepUntil", "waitForEvent", "child"] as const;
export type OperationMethod = (typeof OPERATION_METHODS)[number];

/**
 * Context methods of the lifecycle API that are states too (lifecycle-compiler.ts):
 * `ctx.map`, `ctx.startChild`, `ctx.continueAsNew`. `ctx.compensations()` is not: its
 * saga's `run()` is (saga-compiler.ts).
 */
export const LIFECYCLE_METHODS = ["map", "startChild", "continueAsNew"] as const;
export type LifecycleMethod = (typeof LIFECYCLE_METHODS)[number];

const STATE_METHODS: readonly string[] = [...OPERATION_METHODS, ...LIFECYCLE_METHODS];

/** A function-like node: a declaration, an expression or an arrow. */
export type FunctionLike = FunctionNode | ArrowFunctionExpression;

// Keys that hold types, not values: nothing in them runs.
const TYPE_KEYS = new Set(["typeAnnotation", "typeArguments", "typeParameters", "returnType", "decorators"]);

/** The child nodes of a node in evaluation (source) order, types left out. */
export function childNodes(node: Node): Node[] {
  const children: Node[] = [];
  for (const key of visitorKeys[node.type] ?? []) {
    if (TYPE_KEYS.has(key)) continue;
    const value = (node as unknown as Record<string, unknown>)[key];
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) children.push(item);
    } else if (isNode(value)) {
      children.push(value);
    }
  }
  return children;
}

function isNode(value: unknown): value is Node {
  return (
    typeof value === "object" && value !== null && typeof (value as { type?: unknown }).type === "string"
  );
}

/**
 * Visits `node` and its descendants depth first; `visit` returning false skips a
 * node's children.
 */
export function walk(node: Node, visit: (node: Node) => boolean | undefined): void {
  if (visit(node) === false) return;
  for (const child of childNodes(node)) walk(child, visit);
}

/** True for function declarations, function expressions and arrows. */
export function isFunctionLike(node: Node): node is FunctionLike {
  return (
    node.type === "FunctionDeclaration" ||
    node.type === "FunctionExpression" ||
    node.type === "ArrowFunctionExpression"
  );
}

/** Strips parentheses, TypeScript casts and `!`, which do not change what runs. */
export function unwrap(expression: Expression): Expression {
  let current: Expression = expression;
  for (;;) {
    switch (current.type) {
      case "ParenthesizedExpression":
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
      case "TSTypeAssertion":
        current = current.expression;
        break;
      default:
        return current;
    }
  }
}

/** `ctx.step(...)` and the other operations, with `ctx` any of the context's names in scope. */
export function operationOf(
  call: CallExpression,
  contextNames: ReadonlySet<string>,
): OperationMethod | undefined {
  const callee = unwrap(call.callee);
  if (callee.type !== "MemberExpression" || callee.computed) return undefined;
  const object = unwrap(callee.object);
  if (object.type !== "Identifier" || !contextNames.has(object.name)) return undefined;
  const method = callee.property.name;
  return (OPERATION_METHODS as readonly string[]).includes(method) ? (method as OperationMethod) : undefined;
}

/** `ctx.map(...)` and the other lifecycle calls that are states. */
export function lifecycleMethodOf(
  call: CallExpression,
  contextNames: ReadonlySet<string>,
): LifecycleMethod | undefined {
  const callee = unwrap(call.callee);
  if (callee.type !== "MemberExpression" || callee.computed) return undefined;
  const object = unwrap(callee.object);
  if (object.type !== "Identifier" || !contextNames.has(object.name)) return undefined;
  const method = callee.property.name;
  return (LIFECYCLE_METHODS as readonly string[]).includes(method) ? (method as LifecycleMethod) : undefined;
}

/** `receiver.method(...)` with `receiver` a plain identifier: its name and the method's. */
export function methodCallOf(call: CallExpression): { receiver: string; method: string } | undefined {
  const callee = unwrap(call.callee);
  if (callee.type !== "MemberExpression" || callee.computed) return undefined;
  const object = unwrap(callee.object);
  return object.type === "Identifier" ? { receiver: object.name, method: callee.property.name } : undefined;
}

/**
 * True when the subtree uses the context in a way that may issue operations: an
 * operation call, or the context itself passed on or aliased (`helper(ctx)`,
 * `const c = ctx`, `ctx[name]`). Reading `ctx.key(...)`, `ctx.now()` and the like
 * is not. Nested functions are searched too: an operation in a callback counts.
 * `helperNames` are local functions that use the context through their closure:
 * naming one counts too.
 */
export function usesOperations(
  node: Node,
  contextNames: ReadonlySet<string>,
  helperNames: ReadonlySet<string> = NO_NAMES,
): boolean {
  let found = false;
  walk(node, (current) => {
    if (found) return false;
    if (current.type === "MemberExpression") {
      const object = unwrap(current.object);
      if (object.type === "Identifier" && contextNames.has(object.name)) {
        if (current.computed || STATE_METHODS.includes(current.property.name)) {
          found = true;
        }
        return false;
      }
      return undefined;
    }
    if (current.type === "Identifier" && (contextNames.has(current.name) || helperNames.has(current.name))) {
      found = true;
    }
    return undefined;
  });
  return found;
}

const NO_NAMES: ReadonlySet<string> = new Set();

/**
 * True when the subtree changes control flow at this function's level: `return`,
 * `throw`, and (when `loopJumps`) a `break` / `continue` that leaves the subtree
 * (one aimed at a loop or switch inside it does not). Nested functions are not
 * searched: their returns are their own.
 */
export function jumpsOut(node: Node, loopJumps: boolean): boolean {
  const visit = (current: Node, inLoop: boolean, inSwitch: boolean): boolean => {
    if (isFunctionLike(current)) return false;
    switch (current.type) {
      case "ReturnStatement":
      case "ThrowStatement":
        return true;
      case "BreakStatement":
        if (loopJumps && (current.label || (!inLoop && !inSwitch))) return true;
        break;
      case "ContinueStatement":
        if (loopJumps && (current.label || !inLoop)) return true;
        break;
      default:
        break;
    }
    const loop = isLoop(current);
    const isSwitch = current.type === "SwitchStatement";
    return childNodes(current).some((child) => visit(child, inLoop || loop, inSwitch || isSwitch));
  };
  return visit(node, false, false);
}

/** `while`, `do ... while`, `for`, `for ... of`, `for ... in`. */
export function isLoop(node: Node): boolean {
  return (
    node.type === "WhileStatement" ||
    node.type === "DoWhileStatement" ||
    node.type === "ForStatement" ||
    node.type === "ForOfStatement" ||
    node.type === "ForInStatement"
  );
}

/** The single identifier parameter names of a function, in order (`undefined` for patterns). */
export function parameterNames(fn: FunctionLike): (string | undefined)[] {
  return fn.params.map((param) => {
    const pattern = param.type === "TSParameterProperty" ? param.parameter : param;
    return pattern.type === "Identifier" ? pattern.name : undefined;
  });
}

/** Every identifier bound by a binding pattern (`x`, `{ a, b: [c] }`, `...rest`, `x = 1`). */
export function boundNames(pattern: Node): string[] {
  switch (pattern.type) {
    case "Identifier":
      return [pattern.name];
    case "ObjectPattern":
      return pattern.properties.flatMap((property) =>
        boundNames(property.type === "RestElement" ? property.argument : property.value),
      );
    case "ArrayPattern":
      return pattern.elements.flatMap((element) => (element ? boundNames(element) : []));
    case "RestElement":
      return boundNames(pattern.argument);
    case "AssignmentPattern":
      return boundNames(pattern.left);
    default:
      return [];
  }
}
