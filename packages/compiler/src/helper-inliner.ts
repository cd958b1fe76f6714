import type { CallExpression, Expression, Node } from "oxc-parser";
import { type FunctionLike, isFunctionLike, parameterNames, unwrap, walk } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import type { Ref } from "./machine-builder.js";
import { resolveReference } from "./module-graph.js";
import type { ModuleIndex } from "./module-index.js";
import { type KnownString, knownStrings } from "./operation-names.js";

/**
 * A call to a helper that takes the context (`await chargeAndShip(ctx, order)`),
 * or an async IIFE: the helper's body is compiled in place, its `return` jumping to
 * the code after the call. Helpers are found in the workflow body, in the file, or
 * through a relative import. Recursion is refused: the machine would be infinite.
 */
export function inlineHelper(
  c: BodyCompiler,
  call: CallExpression,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  const calleeText = c.text(scope, call.callee);
  const found = findHelper(c, unwrap(call.callee), scope);
  if (!found) {
    return c.opaque(
      scope,
      call,
      "unresolved-helper",
      `${calleeText}(...) is given the context, but the compiler cannot find its source. Declare the helper in this file or import it (a relative path, through re-exports, or a package the compiler can read), as a function, an arrow function assigned to a const, or a member of an object literal.`,
      next,
    );
  }
  const { fn, module } = found;
  if (!awaited) {
    return c.opaque(
      scope,
      call,
      "operation-not-awaited",
      `${calleeText}(...) runs operations but is not awaited where it is called, so they run alongside the code after it. Await it, or put it directly in Promise.all([...]).`,
      next,
    );
  }
  if (scope.inlining.includes(fn)) {
    return c.opaque(
      scope,
      call,
      "recursive-helper",
      `${calleeText}(...) calls itself (directly or through other helpers), so its machine would be infinite. Write the repetition as a loop.`,
      next,
    );
  }
  const params = parameterNames(fn);
  const callee = unwrap(call.callee);
  // An IIFE or a function declared in the workflow body sees the context through its closure.
  const closure =
    isFunctionLike(callee) || (callee.type === "Identifier" && scope.localFunctions.get(callee.name) === fn);
  const contextNames = new Set<string>(closure ? scope.contextNames : []);
  const loopVariables = new Set<string>(module === scope.module ? scope.loopVariables : []);
  const boundStrings = new Map<string, string | undefined>(closure ? (scope.boundStrings ?? []) : []);
  const boundTemplates = new Map(closure ? (scope.boundTemplates ?? []) : []);
  const known = knownStrings(c, scope);
  const reassigned = fn.body ? assignedNames(fn.body) : new Set<string>();
  for (const [index, argument] of call.arguments.entries()) {
    const param = params[index];
    const inner = argument.type === "SpreadElement" ? undefined : unwrap(argument);
    if (inner?.type === "Identifier" && scope.contextNames.has(inner.name)) {
      if (!param) {
        return c.opaque(
          scope,
          call,
          "context-escapes",
          `${calleeText}(...) receives the context into a destructured or rest parameter; give it a plain parameter such as \`ctx\`.`,
          next,
        );
      }
      contextNames.add(param);
    } else if (param && argument.type !== "SpreadElement" && mentionsAny(argument, scope.loopVariables)) {
      loopVariables.add(param);
      boundStrings.set(param, undefined);
      const passed = inner && !reassigned.has(param) ? templateArgument(inner, scope) : undefined;
      if (passed) boundTemplates.set(param, passed);
    } else if (param) {
      loopVariables.delete(param);
      contextNames.delete(param);
      // `call(ctx, "charge")`: inside, `ctx.step(name, ...)` is the step "charge" (unless reassigned).
      const value = inner && !reassigned.has(param) ? stringValue(inner, known) : undefined;
      boundStrings.set(param, value);
      boundTemplates.delete(param);
    }
  }
  // Parameters the call passes nothing for are undefined, not a constant of the same name.
  for (const param of params.slice(call.arguments.length)) {
    if (!param) continue;
    boundStrings.set(param, undefined);
    boundTemplates.delete(param);
  }
  const helperScope: Scope = {
    ...scope,
    module,
    contextNames,
    loopVariables,
    boundStrings,
    boundTemplates,
    returnTarget: next,
    breakTarget: undefined,
    continueTarget: undefined,
    finalizers: [],
    loopFinalizerDepth: 0,
    localFunctions: module === scope.module ? scope.localFunctions : new Map(),
    closureHelpers: closure ? scope.closureHelpers : new Set(),
    inlining: [...scope.inlining, fn],
    inputName: undefined,
  };
  const body = fn.body;
  let entry: Ref;
  if (!body) entry = next;
  else if (body.type === "BlockStatement") entry = c.statements(body.body, next, helperScope);
  else entry = c.expression(body as Expression, next, helperScope, true);
  // Arguments are evaluated before the call.
  for (let i = call.arguments.length - 1; i >= 0; i--) {
    const argument = call.arguments[i] as Node;
    const inner = argument.type === "SpreadElement" ? argument : unwrap(argument as Expression);
    if (inner.type === "Identifier" && scope.contextNames.has(inner.name)) continue;
    entry = c.expression(argument, entry, scope, false);
  }
  return entry;
}

/** A template literal argument, or one the caller got as a template itself (passed on through helpers). */
function templateArgument(node: Expression, scope: Scope): { node: Expression; scope: Scope } | undefined {
  if (node.type === "TemplateLiteral") return { node, scope };
  return node.type === "Identifier" ? scope.boundTemplates?.get(node.name) : undefined;
}

function stringValue(node: Expression, known: KnownString): string | undefined {
  if (node.type === "Literal" && typeof node.value === "string") return node.value;
  return known(node);
}

/** Names assigned anywhere in a function body (`name = ...`, `name += ...`, `name++`). */
function assignedNames(body: Node): Set<string> {
  const names = new Set<string>();
  walk(body, (node) => {
    if (node.type === "AssignmentExpression" && node.left.type === "Identifier") names.add(node.left.name);
    if (node.type === "UpdateExpression" && node.argument.type === "Identifier")
      names.add(node.argument.name);
    return undefined;
  });
  return names;
}

function mentionsAny(node: Node, names: ReadonlySet<string>): boolean {
  let found = false;
  walk(node, (current) => {
    if (current.type === "Identifier" && names.has(current.name)) found = true;
    return !found;
  });
  return found;
}

/**
 * The helper a callee names, and the file it is in: a function of the workflow body or
 * the file, a member of an object literal (`helpers.charge`), or one imported, through
 * re-exports (`export * from`, `export { x } from`) and namespace imports (module-graph.ts).
 */
function findHelper(
  c: BodyCompiler,
  callee: Expression,
  scope: Scope,
): { fn: FunctionLike; module: ModuleIndex } | undefined {
  if (isFunctionLike(callee)) return { fn: callee, module: scope.module };
  if (callee.type === "Identifier") {
    const local = scope.localFunctions.get(callee.name);
    if (local) return { fn: local, module: scope.module };
  }
  const declaration = resolveReference(
    (from, specifier) => c.importedModule(from, specifier),
    scope.module,
    callee,
  );
  const fn = declaration?.module.functions.get(declaration.local);
  return declaration && fn ? { fn, module: declaration.module } : undefined;
}
