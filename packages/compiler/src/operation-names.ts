import type { Expression, Node } from "oxc-parser";
import { unwrap, walk } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import type { OperationName } from "./ir.js";
import { staticScope } from "./option-reader.js";
import { evaluateStatic } from "./static-value.js";

/** Why a name could not be read. */
export interface NameProblem {
  problem: string;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** A name written as a string literal. */
export function literalName(text: string): OperationName {
  return { text, parameterised: false, pattern: `^${escapeRegExp(text)}$` };
}

/**
 * The string an identifier or a property read stands for, when the compiler knows it
 * (a constant, imported or not, `STEPS.charge`, a helper's parameter bound to a
 * literal); undefined otherwise. See {@link knownStrings}.
 */
export type KnownString = (node: Expression) => string | undefined;

/**
 * What a name may be read from in this scope: a helper's parameters bound to known
 * strings at the call (`call(ctx, "charge")`), then constants the compiler can follow
 * (static-value.ts: the file's and the function's `const`s, imported ones through
 * re-exports, members of `as const` objects). A loop variable is never a constant.
 *
 * @example
 * readOperationName(argument, text, knownStrings(c, scope), scope.loopVariables);
 */
export function knownStrings(c: BodyCompiler, scope: Scope): KnownString {
  const known: KnownString = (expression) => {
    const node = unwrap(expression);
    if (node.type === "Identifier") {
      if (scope.loopVariables.has(node.name)) return undefined;
      const bound = scope.boundStrings?.get(node.name);
      if (bound !== undefined) return bound;
      if (scope.boundStrings?.has(node.name)) return undefined;
    } else if (node.type === "TemplateLiteral") {
      // `${label}-again` with `label` known: a known string too.
      let text = node.quasis[0]?.value.cooked ?? "";
      for (const [index, part] of node.expressions.entries()) {
        const value = known(part);
        if (value === undefined) return undefined;
        text += value + (node.quasis[index + 1]?.value.cooked ?? "");
      }
      return text;
    } else if (node.type !== "MemberExpression" || node.computed) {
      return undefined;
    } else {
      const root = rootIdentifier(node);
      if (!root || scope.loopVariables.has(root) || scope.boundStrings?.has(root)) return undefined;
    }
    const evaluated = evaluateStatic(node, staticScope(c, scope));
    return "value" in evaluated && typeof evaluated.value === "string" ? evaluated.value : undefined;
  };
  return known;
}

function rootIdentifier(node: Expression): string | undefined {
  let current = node;
  while (current.type === "MemberExpression") current = unwrap(current.object);
  return current.type === "Identifier" ? current.name : undefined;
}

/** Known strings from a table of names only (tests, and code with no scope). */
export function constantTable(constants: ReadonlyMap<string, string>): KnownString {
  return (expression) => {
    const node = unwrap(expression);
    return node.type === "Identifier" ? constants.get(node.name) : undefined;
  };
}

/**
 * Reads an operation's name argument: a string literal, a string the compiler knows
 * ({@link knownStrings}: a constant, imported or not, or a helper parameter bound to a
 * literal), or a template literal whose other placeholders use only loop variables
 * (one state with a parameterised name). Anything else is data the compiler cannot see.
 *
 * @param known the strings identifiers and property reads stand for.
 * @param loopVariables the loop variables and map callback parameters in scope.
 */
export function readOperationName(
  argument: Expression | undefined,
  text: (node: Node) => string,
  known: KnownString | ReadonlyMap<string, string>,
  loopVariables: ReadonlySet<string>,
): OperationName | NameProblem {
  if (!argument) return { problem: "it has no name argument" };
  const lookup = typeof known === "function" ? known : constantTable(known);
  const node = unwrap(argument);
  if (node.type === "Literal" && typeof node.value === "string") return literalName(node.value);
  const whole = lookup(node);
  if (whole !== undefined) return literalName(whole);
  if (node.type !== "TemplateLiteral") {
    return { problem: `its name \`${text(node)}\` is computed from data` };
  }
  let display = "";
  let pattern = "";
  node.quasis.forEach((quasi, index) => {
    const cooked = quasi.value.cooked ?? quasi.value.raw;
    display += cooked;
    pattern += escapeRegExp(cooked);
    const placeholder = node.expressions[index];
    if (!placeholder) return;
    const value = lookup(placeholder);
    if (value !== undefined) {
      display += value;
      pattern += escapeRegExp(value);
    } else {
      display += `\${${text(placeholder)}}`;
      pattern += ".*";
    }
  });
  const parameterised = node.expressions.some((e) => lookup(e) === undefined);
  if (!parameterised) return literalName(display);
  for (const placeholder of node.expressions) {
    if (lookup(placeholder) !== undefined) continue;
    const outside = identifiersOutside(placeholder, loopVariables, lookup);
    if (outside.length > 0) {
      return {
        problem: `its name uses \`${outside.join("`, `")}\`, which ${outside.length === 1 ? "is" : "are"} not a loop variable`,
      };
    }
  }
  return { text: display, parameterised: true, pattern: `^${pattern}$` };
}

/** Identifiers an expression reads that are neither loop variables nor known strings (property names excluded). */
function identifiersOutside(
  expression: Node,
  loopVariables: ReadonlySet<string>,
  known: KnownString,
): string[] {
  const outside: string[] = [];
  const isOutside = (node: Node) =>
    node.type === "Identifier" && !loopVariables.has(node.name) && known(node as Expression) === undefined;
  walk(expression, (node) => {
    if (node.type === "MemberExpression") {
      if (known(node) !== undefined) return false;
      walk(node.object, (inner) => {
        if (isOutside(inner)) outside.push((inner as { name: string }).name);
        return undefined;
      });
      if (node.computed) walk(node.property, () => undefined);
      return false;
    }
    if (isOutside(node)) outside.push((node as { name: string }).name);
    return undefined;
  });
  return [...new Set(outside)];
}
