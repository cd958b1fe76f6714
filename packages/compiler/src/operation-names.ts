import type { Expression, Node } from "oxc-parser";
import { unwrap, walk } from "./ast.js";
import type { OperationName } from "./ir.js";

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
 * Reads an operation's name argument: a string literal, a `const` of the file, or
 * a template literal whose placeholders use only loop variables (one state with a
 * parameterised name). Anything else is data the compiler cannot see.
 *
 * @param constants `const NAME = "..."` at the file's top level.
 * @param loopVariables the loop variables and map callback parameters in scope.
 */
export function readOperationName(
  argument: Expression | undefined,
  text: (node: Node) => string,
  constants: ReadonlyMap<string, string>,
  loopVariables: ReadonlySet<string>,
): OperationName | NameProblem {
  if (!argument) return { problem: "it has no name argument" };
  const node = unwrap(argument);
  if (node.type === "Literal" && typeof node.value === "string") return literalName(node.value);
  if (node.type === "Identifier" && constants.has(node.name)) {
    return literalName(constants.get(node.name) as string);
  }
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
    const inner = unwrap(placeholder);
    if (inner.type === "Identifier" && constants.has(inner.name)) {
      const value = constants.get(inner.name) as string;
      display += value;
      pattern += escapeRegExp(value);
    } else {
      display += `\${${text(placeholder)}}`;
      pattern += ".*";
    }
  });
  const parameterised = node.expressions.some((e) => {
    const inner = unwrap(e);
    return !(inner.type === "Identifier" && constants.has(inner.name));
  });
  if (!parameterised) return literalName(display);
  for (const placeholder of node.expressions) {
    const outside = identifiersOutside(placeholder, loopVariables, constants);
    if (outside.length > 0) {
      return {
        problem: `its name uses \`${outside.join("`, `")}\`, which ${outside.length === 1 ? "is" : "are"} not a loop variable`,
      };
    }
  }
  return { text: display, parameterised: true, pattern: `^${pattern}$` };
}

/** Identifiers an expression reads that are neither loop variables nor constants (property names excluded). */
function identifiersOutside(
  expression: Node,
  loopVariables: ReadonlySet<string>,
  constants: ReadonlyMap<string, string>,
): string[] {
  const outside: string[] = [];
  walk(expression, (node) => {
    if (node.type === "MemberExpression") {
      walk(node.object, (inner) => {
        if (inner.type === "Identifier" && !loopVariables.has(inner.name) && !constants.has(inner.name)) {
          outside.push(inner.name);
        }
        return undefined;
      });
      if (node.computed) walk(node.property, () => undefined);
      return false;
    }
    if (node.type === "Identifier" && !loopVariables.has(node.name) && !constants.has(node.name)) {
      outside.push(node.name);
    }
    return undefined;
  });
  return [...new Set(outside)];
}
