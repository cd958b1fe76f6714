import type { CallExpression, ConditionalExpression, Expression, LogicalExpression, Node } from "oxc-parser";
import { childNodes, isFunctionLike, lifecycleMethodOf, methodCallOf, operationOf, unwrap } from "./ast.js";
import { type BodyCompiler, issuesOperations, type Scope } from "./compile-scope.js";
import { compileConcurrent, PROMISE_COMBINATORS } from "./concurrency-compiler.js";
import { inlineHelper } from "./helper-inliner.js";
import { compileAwaitChild, compileLifecycle } from "./lifecycle-compiler.js";
import { type Saga, UNDO_RUNNERS } from "./lifecycle-names.js";
import type { Ref } from "./machine-builder.js";
import { compileOperation } from "./operation-compiler.js";
import { calleeThrows, plainCode, throwPoint, throwScope } from "./plain-throws.js";
import { compilePromiseChain } from "./promise-chain-compiler.js";
import { compileSagaRun } from "./saga-compiler.js";
import { choiceState, truncate } from "./statement-compiler.js";
import { updateRegistration } from "./update-handlers.js";

/**
 * Compiles an expression in front of `next`, its parts in evaluation order.
 * `awaited` says whether the expression's value is awaited where it stands; an
 * operation whose promise is not awaited there runs concurrently with what follows,
 * which a sequence of states would misrepresent, so it is refused.
 */
export function compileExpression(
  c: BodyCompiler,
  expression: Node,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  if (!issuesOperations(expression, scope)) return plainCode(c, expression, next, scope);
  const node = isExpressionWrapper(expression) ? unwrap(expression as Expression) : expression;
  switch (node.type) {
    case "AwaitExpression":
      return c.expression(node.argument, next, scope, true);
    case "ChainExpression":
      return c.expression(node.expression, next, scope, awaited);
    case "CallExpression":
      return compileCall(c, node, next, scope, awaited);
    case "ConditionalExpression":
      return compileConditional(c, node, next, scope, awaited);
    case "LogicalExpression":
      return compileLogical(c, node, next, scope, awaited);
    case "Identifier":
      return c.opaque(
        scope,
        node,
        "context-escapes",
        `The context \`${node.name}\` is stored or passed on here, so the compiler cannot see which operations run through it. Call ctx.step(...) and the other operations directly, or pass ctx as an argument to a helper function declared in this package.`,
        next,
      );
    case "ArrowFunctionExpression":
    case "FunctionExpression":
      return c.opaque(
        scope,
        node,
        "operation-in-callback",
        "Operations inside a callback run whenever its caller decides, which the compiler cannot see. Await them in the workflow body, in a for...of loop, or in Promise.all(items.map(async (item) => ...)).",
        next,
      );
    case "MemberExpression": {
      const object = unwrap(node.object);
      if (object.type === "Identifier" && scope.contextNames.has(object.name)) {
        return c.opaque(
          scope,
          node,
          node.computed ? "dynamic-operation" : "context-escapes",
          node.computed
            ? `\`${c.text(scope, node)}\` picks the operation at run time. Call the operation by name: ctx.step(...), ctx.sleep(...), ...`
            : `\`${c.text(scope, node)}\` takes an operation off the context without calling it; the compiler cannot follow where it is called. Call it directly.`,
          next,
        );
      }
      return compileChildren(c, node, next, scope);
    }
    default:
      return compileChildren(c, node, next, scope);
  }
}

function isExpressionWrapper(node: Node): boolean {
  return (
    node.type === "ParenthesizedExpression" ||
    node.type === "TSAsExpression" ||
    node.type === "TSSatisfiesExpression" ||
    node.type === "TSNonNullExpression" ||
    node.type === "TSTypeAssertion"
  );
}

/** Any other expression: its parts in order, none of them awaited by it. */
function compileChildren(c: BodyCompiler, node: Node, next: Ref, scope: Scope): Ref {
  const children = childNodes(node);
  let entry = next;
  for (let i = children.length - 1; i >= 0; i--)
    entry = c.expression(children[i] as Node, entry, scope, false);
  return entry;
}

function compileCall(c: BodyCompiler, call: CallExpression, next: Ref, scope: Scope, awaited: boolean): Ref {
  const operation = operationOf(call, scope.contextNames);
  if (operation) return compileOperation(c, call, operation, next, scope, awaited);
  // ctx.onUpdate: no state here; its handler is a machine of its own (update-handlers.ts).
  if (updateRegistration(call, scope.contextNames)) return next;
  const lifecycle = lifecycleMethodOf(call, scope.contextNames);
  if (lifecycle) return compileLifecycle(c, call, lifecycle, next, scope, awaited);
  const receiver = scope.lifecycle ? methodCallOf(call) : undefined;
  if (receiver?.method === "run" && scope.lifecycle?.sagas.has(receiver.receiver)) {
    return compileSagaRun(
      c,
      call,
      scope.lifecycle.sagas.get(receiver.receiver) as Saga,
      next,
      scope,
      awaited,
    );
  }
  const closures = receiver && scope.lifecycle?.sagas.get(receiver.receiver)?.closures;
  // `undo.push(() => ctx.step(...))` registers an undo step: drawn where the undo loop runs it.
  if (closures && receiver.method === "push") return next;
  if (closures && UNDO_RUNNERS.has(receiver.method)) {
    return c.opaque(
      scope,
      call,
      "dynamic-operation",
      `${receiver.receiver}.${receiver.method}(...) runs undo closures in an order the compiler does not follow, so the diagram would show no undo step. Run them with \`for (const u of ${receiver.receiver}.reverse()) await u();\`, or use ctx.compensations().`,
      next,
    );
  }
  if (receiver?.method === "result" && scope.lifecycle?.handles.has(receiver.receiver)) {
    return compileAwaitChild(c, call, receiver.receiver, next, scope, awaited);
  }
  const callee = unwrap(call.callee);
  if (callee.type === "MemberExpression" && !callee.computed) {
    const object = unwrap(callee.object);
    const method = callee.property.name;
    if (object.type === "Identifier" && object.name === "Promise" && PROMISE_COMBINATORS.has(method)) {
      return compileConcurrent(c, call, method, next, scope, awaited);
    }
    // `await ctx.step(...).catch(() => fallback)`, `ctx.sleep(...).then(() => "timeout")`.
    const chain = compilePromiseChain(c, call, next, scope, awaited);
    if (chain) return chain;
  }
  if (isFunctionLike(callee) || callee.type === "Identifier" || callee.type === "MemberExpression") {
    const passesContext = call.arguments.some((argument) => {
      const inner = argument.type === "SpreadElement" ? argument : unwrap(argument);
      return inner.type === "Identifier" && scope.contextNames.has(inner.name);
    });
    const closure = callee.type === "Identifier" && scope.closureHelpers.has(callee.name);
    if (isFunctionLike(callee) || passesContext || closure)
      return inlineHelper(c, call, next, scope, awaited);
  }
  // `JSON.parse(await ctx.step(...))`: the call itself runs after its arguments, and may throw.
  const after = calleeThrows(call.callee, throwScope(c, scope))
    ? throwPoint(c, call, next, scope, `${truncate(c.text(scope, call.callee), 36)}(…)`)
    : next;
  return compileChildren(c, call, after, scope);
}

function compileConditional(
  c: BodyCompiler,
  node: ConditionalExpression,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  const consequent = c.expression(node.consequent, next, scope, awaited);
  const alternate = c.expression(node.alternate, next, scope, awaited);
  if (consequent === next && alternate === next) return c.expression(node.test, next, scope, false);
  const condition = c.text(scope, node.test);
  const { ref } = choiceState(c, scope, node, `${truncate(condition)}?`, [{ condition, next: consequent }], {
    label: "else",
    next: alternate,
  });
  return c.expression(node.test, ref, scope, false);
}

function compileLogical(
  c: BodyCompiler,
  node: LogicalExpression,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  const right = c.expression(node.right, next, scope, awaited);
  if (right === next) return c.expression(node.left, next, scope, false);
  const left = c.text(scope, node.left);
  const rules =
    node.operator === "&&"
      ? { condition: left, rule: right, otherwise: next }
      : node.operator === "||"
        ? { condition: left, rule: next, otherwise: right }
        : { condition: `${left} == null`, rule: right, otherwise: next };
  const { ref } = choiceState(
    c,
    scope,
    node,
    `${truncate(rules.condition)}?`,
    [{ condition: rules.condition, next: rules.rule }],
    { label: "else", next: rules.otherwise },
  );
  return c.expression(node.left, ref, scope, false);
}
