import type { Node } from "oxc-parser";
import { childNodes, type FunctionLike, isFunctionLike, OPERATION_METHODS, unwrap, walk } from "./ast.js";

/**
 * The names the context goes by inside a function whose `index`-th parameter
 * receives it: `ctx`, any other plain name (`async (c, input) => ...`), or a
 * destructuring pattern (`async ({ step, sleep: nap }, input) => ...`).
 *
 * A destructured context is followed by rewriting the function's AST in place: each
 * use of a destructured name becomes the member it was taken from (`nap("x", 5)` is
 * compiled as `(context).sleep("x", 5)`), on a context name no identifier can spell,
 * with the original source positions, so states, labels and diagnostics read as the
 * code does, and the machine is the one the `ctx.sleep` form gives
 * (context-parameter.test.ts). A rest element (`{ step, ...rest }`) is a context name
 * too. A pattern the compiler cannot follow (a default value, a nested pattern, a
 * computed key) is a problem to report, never a silent empty machine.
 *
 * @example
 * contextParameter(fn, 0); // { names: ["ctx"] } for `async (ctx, input) => ...`
 */
export function contextParameter(
  fn: FunctionLike,
  index: number,
): { names: string[] } | { problem: string; node: Node } | undefined {
  const raw = fn.params[index];
  if (!raw) return undefined;
  const param = raw.type === "TSParameterProperty" ? raw.parameter : raw;
  if (param.type === "Identifier") return { names: [param.name] };
  if (param.type !== "ObjectPattern") {
    return {
      problem: "the context parameter is neither a plain name nor an object pattern",
      node: param,
    };
  }
  const aliases = new Map<string, string>();
  const names = [SYNTHETIC_CONTEXT];
  for (const property of param.properties) {
    if (property.type === "RestElement") {
      if (property.argument.type !== "Identifier")
        return { problem: "its rest element is not a plain name", node: property };
      names.push(property.argument.name);
      continue;
    }
    const key = property.key;
    const value = property.value;
    if (property.computed || key.type !== "Identifier" || value.type !== "Identifier") {
      return {
        problem: `\`${describe(property)}\` is not a plain \`name\` or \`name: alias\` (a default value, a nested pattern or a computed key)`,
        node: property,
      };
    }
    aliases.set(value.name, key.name);
  }
  if (fn.body && !rewritten.has(fn)) {
    rewritten.add(fn);
    rewriteUses(fn.body, aliases);
  }
  return { names };
}

/** The context name uses of destructured names are rewritten onto: no identifier can spell it. */
export const SYNTHETIC_CONTEXT = "(context)";

const rewritten = new WeakSet<FunctionLike>();

function describe(property: Node): string {
  return property.type === "Property" && property.key.type === "Identifier"
    ? property.key.name
    : property.type;
}

/** Turns every reference to an alias into `(context).member`, in place. */
function rewriteUses(body: Node, aliases: ReadonlyMap<string, string>): void {
  const visit = (node: Node, parent: Node | undefined, key: string | undefined): void => {
    if (node.type === "Identifier") {
      const member = aliases.get(node.name);
      if (member !== undefined && isReference(parent, key)) toMember(node, member);
      return;
    }
    // A nested function that binds an alias's name again has its own meaning for it.
    if (isFunctionLike(node) && bindsAny(node, aliases)) return;
    const record = node as unknown as Record<string, unknown>;
    for (const child of childNodes(node)) {
      const childKey = Object.keys(record).find(
        (k) => record[k] === child || (Array.isArray(record[k]) && (record[k] as unknown[]).includes(child)),
      );
      visit(child, node, childKey);
    }
  };
  visit(body, undefined, undefined);
}

/** False for the spots an identifier names no variable: `a.b`'s b, `{ b: 1 }`'s b, labels. */
function isReference(parent: Node | undefined, key: string | undefined): boolean {
  if (!parent) return true;
  if (parent.type === "MemberExpression" && key === "property" && !parent.computed) return false;
  if ((parent.type === "Property" || parent.type === "MethodDefinition") && key === "key" && !parent.computed)
    return false;
  if (parent.type === "VariableDeclarator" && key === "id") return false;
  return !(
    parent.type === "LabeledStatement" ||
    parent.type === "BreakStatement" ||
    parent.type === "ContinueStatement"
  );
}

function bindsAny(fn: FunctionLike, aliases: ReadonlyMap<string, string>): boolean {
  let found = false;
  for (const param of fn.params) {
    walk(param as Node, (node) => {
      if (node.type === "Identifier" && aliases.has(node.name)) found = true;
      return !found;
    });
  }
  return found;
}

function toMember(node: Node, member: string): void {
  const { start, end } = node;
  const target = node as unknown as Record<string, unknown>;
  delete target.name;
  delete target.typeAnnotation;
  delete target.optional;
  delete target.decorators;
  Object.assign(target, {
    type: "MemberExpression",
    object: { type: "Identifier", name: SYNTHETIC_CONTEXT, start, end },
    property: { type: "Identifier", name: member, start, end },
    computed: false,
    optional: false,
    start,
    end,
  });
}

/**
 * True when `body` calls something that looks like an operation (`x.step(...)`,
 * `sleep(...)`) on a receiver the compiler does not know as the context: a workflow
 * whose machine has no operation while its code has these is one the compiler did
 * not follow.
 */
export function hasOperationLikeCalls(body: Node): boolean {
  let found = false;
  walk(body, (node) => {
    if (found) return false;
    if (node.type !== "CallExpression") return undefined;
    const callee = unwrap(node.callee);
    const name =
      callee.type === "Identifier"
        ? callee.name
        : callee.type === "MemberExpression" && !callee.computed
          ? callee.property.name
          : undefined;
    if (name !== undefined && (OPERATION_METHODS as readonly string[]).includes(name)) found = true;
    return undefined;
  });
  return found;
}
