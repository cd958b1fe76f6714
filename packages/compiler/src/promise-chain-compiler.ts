import type { CallExpression, Expression, Node } from "oxc-parser";
import { isFunctionLike, unwrap } from "./ast.js";
import { type BodyCompiler, issuesOperations, type Scope } from "./compile-scope.js";
import type { Ref } from "./machine-builder.js";

/** The promise methods that chain a callback onto an operation. */
const CHAIN_METHODS = new Set(["then", "catch", "finally"]);

/**
 * `op.then(onFulfilled, onRejected?)` and `op.catch(onRejected)` (and `op.finally(fn)`
 * with no operation in `fn`) on a promise that
 * issues operations, where the chain itself is awaited (directly, or as an element of
 * `Promise.all` / `race`): the callbacks run when the operation settles, so they are
 * drawn after it. `onFulfilled` follows the operation; `onRejected` is where its
 * failure goes (a Catch), and the code goes on after it. An error thrown in
 * `onFulfilled` is not caught by `onRejected` of the same call (JavaScript's rule),
 * so it goes to the enclosing handler.
 *
 * Returns undefined when the call is not such a chain (the receiver issues no
 * operation, or a callback is not written inline while it issues operations): the
 * caller then compiles it as any other call, which refuses what it cannot follow.
 */
export function compilePromiseChain(
  c: BodyCompiler,
  call: CallExpression,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref | undefined {
  const callee = unwrap(call.callee);
  if (callee.type !== "MemberExpression" || callee.computed) return undefined;
  const method = callee.property.name;
  if (!CHAIN_METHODS.has(method) || !issuesOperations(callee.object, scope)) return undefined;
  const callbacks = call.arguments.map((argument) =>
    argument.type === "SpreadElement" ? undefined : unwrap(argument as Expression),
  );
  if (callbacks.length > (method === "then" ? 2 : 1)) return undefined;
  // A callback passed by reference (`.then(helper)`) with operations: the caller refuses it.
  if (callbacks.some((cb) => !cb || (!isFunctionLike(cb) && issuesOperations(cb, scope)))) return undefined;
  if (method === "finally") {
    // `op.finally(() => cleanUp())`: plain code either way; the operation's outcome goes on.
    // A finally callback with operations would run on both paths: not drawn, refused as before.
    if (callbacks.some((cb) => cb && issuesOperations(cb, scope))) return undefined;
    return c.expression(callee.object, next, scope, awaited);
  }
  const [first, second] = callbacks;
  const onFulfilled = method === "then" ? first : undefined;
  const onRejected = method === "then" ? second : first;
  const afterSuccess = onFulfilled ? compileCallback(c, onFulfilled, next, scope) : next;
  const onFailure = onRejected ? compileCallback(c, onRejected, next, scope) : undefined;
  const receiverScope: Scope = onFailure ? { ...scope, errorTarget: () => onFailure } : scope;
  return c.expression(callee.object, afterSuccess, receiverScope, awaited);
}

/**
 * A callback's body in front of `next`: a `return` in it ends the callback (the
 * chain's value), and the `finally` blocks around the chain are not run by it.
 */
function compileCallback(c: BodyCompiler, callback: Node, next: Ref, scope: Scope): Ref {
  if (!isFunctionLike(callback) || !callback.body) return next;
  const inner: Scope = {
    ...scope,
    returnTarget: next,
    breakTarget: undefined,
    continueTarget: undefined,
    finalizers: [],
    loopFinalizerDepth: 0,
  };
  const body = callback.body;
  // The chain waits for a promise the callback returns, so an operation it returns is awaited.
  if (body.type === "BlockStatement") return c.statements(body.body, next, inner);
  return c.expression(body as Expression, next, inner, true);
}
