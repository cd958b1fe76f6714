import type { TryStatement } from "oxc-parser";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import type { Ref } from "./machine-builder.js";
import { failState, matters } from "./statement-compiler.js";

/**
 * `try { A } catch { B } finally { F }`. Every state in A that can fail gets a
 * Catch to B's first state (or, with no B, to a copy of F that rethrows). F is
 * compiled once per way out: after A or B completes, on an error that escapes B,
 * and before a `return` or `break` that leaves the try. A copy has the same step
 * names, so its states are named `name#2`, ...; the journal shows whichever ran.
 */
export function compileTry(c: BodyCompiler, statement: TryStatement, next: Ref, scope: Scope): Ref {
  const finalizer = statement.finalizer;
  const afterFinally = finalizer ? c.statement(finalizer, next, scope) : next;

  // An error that leaves the try (thrown in A without a handler, or in B) runs F, then propagates.
  let escaping: Ref | undefined | null = null;
  const escapingError = (): Ref | undefined => {
    if (escaping !== null) return escaping;
    const outer = scope.errorTarget();
    // A finally that runs no operation adds nothing to the error path.
    if (!finalizer || !matters(finalizer, scope)) {
      escaping = outer;
    } else {
      escaping = c.statement(finalizer, outer ?? failState(c, scope, finalizer), scope);
    }
    return escaping;
  };
  const finalizers = finalizer ? [...scope.finalizers, { block: finalizer, scope }] : scope.finalizers;

  let handlerEntry: Ref | undefined;
  if (statement.handler) {
    const handlerScope: Scope = { ...scope, errorTarget: escapingError, finalizers };
    handlerEntry = c.statement(statement.handler.body, afterFinally, handlerScope);
  }
  const blockScope: Scope = {
    ...scope,
    errorTarget: handlerEntry ? () => handlerEntry : escapingError,
    finalizers,
  };
  return c.statement(statement.block, afterFinally, blockScope);
}
