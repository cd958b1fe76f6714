import type { Expression, Node, Statement } from "oxc-parser";
import { type FunctionLike, unwrap } from "./ast.js";
import { resolveLocal, resolveReference } from "./module-graph.js";
import type { ModuleIndex } from "./module-index.js";

/** A value the compiler knows without running the code. */
export type StaticValue = string | number | boolean | null | StaticValue[] | { [key: string]: StaticValue };

/** The value of an expression, or the node (inside it) whose value is not known at compile time. */
export type Evaluated = { value: StaticValue } | { unknown: Node };

/** Where identifiers are looked up: the module, its imports, and `const`s of the function being compiled. */
export interface StaticScope {
  module: ModuleIndex;
  /** The module a relative import names, when the compiler follows imports. */
  importedModule(from: ModuleIndex, specifier: string): ModuleIndex | undefined;
  /** The function whose top-level `const`s are visible (the workflow or helper being compiled). */
  fn?: FunctionLike | undefined;
}

// Enough for any chain of constants a person writes; stops a cycle (`const A = B, B = A`).
const MAX_DEPTH = 24;

/**
 * Evaluates an expression built from literals and constants the compiler can follow:
 * a `const` at the top level of the module, one exported by a module a relative import
 * names, or a `const` in the top-level statements of the function being compiled;
 * object and array literals (with spreads of those), `as const`, property reads
 * (`POLICIES.fast`), template literals, unary minus and arithmetic. Anything else (a
 * parameter, a call, a `let`) is unknown, and its node is returned for the diagnostic.
 * Options read this way (retry, timeouts, concurrency) are never guessed (issue 12).
 *
 * @example
 * // const RETRY = { maxAttempts: 5 }; ... { ...RETRY, initialInterval: "1s" }
 * evaluateStatic(node, scope); // { value: { maxAttempts: 5, initialInterval: "1s" } }
 */
export function evaluateStatic(expression: Expression | Node, scope: StaticScope, depth = 0): Evaluated {
  if (depth > MAX_DEPTH) return { unknown: expression };
  const node = unwrap(expression as Expression);
  const next = (child: Node, inner: StaticScope = scope) => evaluateStatic(child, inner, depth + 1);
  switch (node.type) {
    case "Literal":
      if (node.value instanceof RegExp || typeof node.value === "bigint") return { unknown: node };
      return { value: node.value as StaticValue };
    case "TemplateLiteral": {
      let text = node.quasis[0]?.value.cooked ?? "";
      for (const [index, part] of node.expressions.entries()) {
        const evaluated = next(part);
        if ("unknown" in evaluated) return evaluated;
        text += String(evaluated.value) + (node.quasis[index + 1]?.value.cooked ?? "");
      }
      return { value: text };
    }
    case "Identifier":
      return identifierValue(node.name, node, scope, depth);
    case "UnaryExpression": {
      if (node.operator !== "-" && node.operator !== "+") return { unknown: node };
      const evaluated = next(node.argument);
      if ("unknown" in evaluated) return evaluated;
      if (typeof evaluated.value !== "number") return { unknown: node };
      return { value: node.operator === "-" ? -evaluated.value : evaluated.value };
    }
    case "BinaryExpression":
      return binaryValue(node.operator, next(node.left), next(node.right), node);
    case "ArrayExpression": {
      const items: StaticValue[] = [];
      for (const element of node.elements) {
        if (!element) return { unknown: node };
        const evaluated = next(element.type === "SpreadElement" ? element.argument : element);
        if ("unknown" in evaluated) return evaluated;
        if (element.type === "SpreadElement") {
          if (!Array.isArray(evaluated.value)) return { unknown: element };
          items.push(...evaluated.value);
        } else {
          items.push(evaluated.value);
        }
      }
      return { value: items };
    }
    case "ObjectExpression": {
      const object: { [key: string]: StaticValue } = {};
      for (const property of node.properties) {
        if (property.type === "SpreadElement") {
          const evaluated = next(property.argument);
          if ("unknown" in evaluated) return evaluated;
          if (!isRecord(evaluated.value)) return { unknown: property };
          Object.assign(object, evaluated.value);
          continue;
        }
        const key = staticKey(property);
        if (key === undefined || property.kind !== "init" || property.method) return { unknown: property };
        const evaluated = next(property.value);
        if ("unknown" in evaluated) return evaluated;
        object[key] = evaluated.value;
      }
      return { value: object };
    }
    case "MemberExpression": {
      if (node.computed) return { unknown: node };
      const namespace = namespaceMember(node, scope);
      if (namespace) return evaluateStatic(namespace.value, namespace.scope, depth + 1);
      const evaluated = next(node.object);
      if ("unknown" in evaluated) return evaluated;
      if (!isRecord(evaluated.value) || !Object.hasOwn(evaluated.value, node.property.name)) {
        return { unknown: node };
      }
      return { value: evaluated.value[node.property.name] as StaticValue };
    }
    default:
      return { unknown: node };
  }
}

/** `ns.NAME` of `import * as ns from "./names.js"`: the constant it names, in its module. */
function namespaceMember(
  node: Expression & { type: "MemberExpression" },
  scope: StaticScope,
): { value: Expression; scope: StaticScope } | undefined {
  const object = unwrap(node.object);
  if (object.type !== "Identifier" || node.computed) return undefined;
  if (scope.module.imports.get(object.name)?.imported !== "*") return undefined;
  const declaration = resolveReference(scope.importedModule, scope.module, node);
  const value = declaration?.module.constExpressions.get(declaration.local);
  return declaration && value
    ? { value, scope: { ...scope, module: declaration.module, fn: undefined } }
    : undefined;
}

/** True for a plain object value (not an array, not null). */
export function isRecord(value: StaticValue | undefined): value is { [key: string]: StaticValue } {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function staticKey(property: Node): string | undefined {
  if (property.type !== "Property" || property.computed) return undefined;
  if (property.key.type === "Identifier") return property.key.name;
  if (property.key.type === "Literal") return String(property.key.value);
  return undefined;
}

function identifierValue(name: string, node: Node, scope: StaticScope, depth: number): Evaluated {
  if (name === "undefined") return { unknown: node };
  const local = scope.fn ? localConst(scope.fn, name) : undefined;
  if (local) return evaluateStatic(local, scope, depth + 1);
  // Declared here, or imported (through re-exports, module-graph.ts).
  const declaration = resolveLocal(scope.importedModule, scope.module, name);
  const constant = declaration?.module.constExpressions.get(declaration.local);
  if (declaration && constant) {
    return evaluateStatic(constant, { ...scope, module: declaration.module, fn: undefined }, depth + 1);
  }
  return { unknown: node };
}

/** `const name = ...` among the function's top-level statements (a `const` is never reassigned). */
function localConst(fn: FunctionLike, name: string): Expression | undefined {
  if (fn.body?.type !== "BlockStatement") return undefined;
  for (const statement of fn.body.body as Statement[]) {
    if (statement.type !== "VariableDeclaration" || statement.kind !== "const") continue;
    for (const declarator of statement.declarations) {
      if (declarator.id.type === "Identifier" && declarator.id.name === name && declarator.init) {
        return declarator.init;
      }
    }
  }
  return undefined;
}

function binaryValue(operator: string, left: Evaluated, right: Evaluated, node: Node): Evaluated {
  if ("unknown" in left) return left;
  if ("unknown" in right) return right;
  const a = left.value;
  const b = right.value;
  if (operator === "+" && (typeof a === "string" || typeof b === "string")) {
    if (isRecord(a) || isRecord(b) || Array.isArray(a) || Array.isArray(b)) return { unknown: node };
    return { value: `${a}${b}` };
  }
  if (typeof a !== "number" || typeof b !== "number") return { unknown: node };
  switch (operator) {
    case "+":
      return { value: a + b };
    case "-":
      return { value: a - b };
    case "*":
      return { value: a * b };
    case "/":
      return { value: a / b };
    case "%":
      return { value: a % b };
    case "**":
      return { value: a ** b };
    default:
      return { unknown: node };
  }
}
