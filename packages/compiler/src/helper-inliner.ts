import type { CallExpression, Expression, Node } from "oxc-parser";
import { type FunctionLike, isFunctionLike, parameterNames, unwrap, walk } from "./ast.js";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import type { Ref } from "./machine-builder.js";
import type { ModuleIndex } from "./module-index.js";

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
      `${calleeText}(...) is given the context, but the compiler cannot find its source. Declare the helper in this file or import it with a relative path, as a function or an arrow function assigned to a const.`,
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
    } else if (param) {
      loopVariables.delete(param);
      contextNames.delete(param);
    }
  }
  const helperScope: Scope = {
    ...scope,
    module,
    contextNames,
    loopVariables,
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

function mentionsAny(node: Node, names: ReadonlySet<string>): boolean {
  let found = false;
  walk(node, (current) => {
    if (current.type === "Identifier" && names.has(current.name)) found = true;
    return !found;
  });
  return found;
}

/** The helper a callee names, and the file it is in. */
function findHelper(
  c: BodyCompiler,
  callee: Expression,
  scope: Scope,
): { fn: FunctionLike; module: ModuleIndex } | undefined {
  if (isFunctionLike(callee)) return { fn: callee, module: scope.module };
  if (callee.type === "Identifier") {
    const local = scope.localFunctions.get(callee.name) ?? scope.module.functions.get(callee.name);
    if (local) return { fn: local, module: scope.module };
    const imported = scope.module.imports.get(callee.name);
    if (imported && imported.imported !== "*")
      return exported(c, scope.module, imported.specifier, imported.imported);
    return undefined;
  }
  if (callee.type === "MemberExpression" && !callee.computed) {
    const object = unwrap(callee.object);
    const imported = object.type === "Identifier" ? scope.module.imports.get(object.name) : undefined;
    if (imported?.imported === "*")
      return exported(c, scope.module, imported.specifier, callee.property.name);
  }
  return undefined;
}

function exported(
  c: BodyCompiler,
  from: ModuleIndex,
  specifier: string,
  name: string,
): { fn: FunctionLike; module: ModuleIndex } | undefined {
  const module = c.importedModule(from, specifier);
  const local = module?.exports.get(name);
  const fn = local ? module?.functions.get(local) : undefined;
  return module && fn ? { fn, module } : undefined;
}
