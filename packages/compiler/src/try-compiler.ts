import type { TryStatement } from "oxc-parser";
import type { BodyCompiler, Scope } from "./compile-scope.js";
import type { Ref } from "./machine-builder.js";
import { failState, ifReached, matters } from "./statement-compiler.js";

/**
 * `try { A } catch { B } finally { F }`. Every state in A that can fail gets a
 * Catch to B's first state (or, with no B, to a copy of F that rethrows). F is
 * compiled once per way out: after A or B completes, on an error that escapes B,
 * and before a `return` or `break` that leaves the try. A copy has the same step
 * names, so its states are named `name#2`, ...; the journal shows whichever ran.
 * A way out that no transition takes gets no copy: when every path through A and B
 * returns or throws, the copy "after the try" would be unreachable, and ASL refuses
 * unreachable states (fixture try-catch-finally/all-paths-leave, try-shapes.test.ts).
 */
export function compileTry(c: BodyCompiler, statement: TryStatement, next: Ref, scope: Scope): Ref {
  const finalizer = statement.finalizer;
  if (!finalizer) return compileGuarded(c, statement, next, scope);
  return ifReached(
    c,
    () => c.statement(finalizer, next, scope),
    (afterFinally) => compileGuarded(c, statement, afterFinally, scope),
  );
}

/** The try block and its handler, both going to `afterFinally` when they complete. */
function compileGuarded(c: BodyCompiler, statement: TryStatement, afterFinally: Ref, scope: Scope): Ref {
  const finalizer = statement.finalizer;
  // An error that leaves the try (thrown in A without a handler, or in B) runs F, then propagates.
  let escaping: Ref | undefined | null = null;
  const escapingError = (): Ref | undefined => {
    if (escaping !== null) return escaping;
    // A finally that runs no operation adds nothing to the error path.
    if (!finalizer || !matters(finalizer, scope)) {
      escaping = scope.errorTarget();
    } else {
      // The outer handler (or the rethrow) only if F can complete: a finally that returns ends the error.
      escaping = ifReached(
        c,
        () => scope.errorTarget() ?? failState(c, scope, finalizer),
        (propagate) => c.statement(finalizer, propagate, scope),
      );
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
