import type { CallExpression, Expression, ForOfStatement, Node, Statement } from "oxc-parser";
import { isFunctionLike, methodCallOf, unwrap, walk } from "./ast.js";
import { issuesOperations, type Scope } from "./compile-scope.js";
import { mapCallback, PROMISE_COMBINATORS } from "./concurrency-compiler.js";
import { matters } from "./statement-compiler.js";

/**
 * Operation promises gathered into an array and awaited together later, as a
 * Promise.all over `items.map(...)` would run them: one iteration per item, every
 * one started at once.
 */
export interface CollectedPromises {
  /** Where they are made: the loop, or the `const runs = items.map(...)` declaration. */
  node: Node;
  /** The iterated expression. */
  items: Expression;
  /** What one iteration runs: the pushed expression, or the map callback's body. */
  body: Statement | Expression;
  /** The loop variable patterns, or the callback's parameters. */
  variables: Node[];
}

/**
 * Finds, in one statement list, the arrays of operation promises that are made and
 * then awaited together:
 *
 * - `const runs = []; for (const s of shards) runs.push(ctx.step(...)); await Promise.all(runs)`
 * - `const runs = items.map((i) => ctx.step(...)); await Promise.all(runs)`
 *
 * (and `Promise.allSettled(runs)`). Between the making and the awaiting no statement
 * may issue an operation, and the awaiting must be a statement of the same list, so
 * what runs alongside the collected operations is only plain code. Anything else is
 * not matched and stays refused as an operation not awaited where it is called
 * (fixture refused/promise-array).
 *
 * Returns the scope the list is compiled in (Promise.all over a matched array is
 * drawn from it, concurrency-compiler.ts) and the statements that draw nothing of
 * their own because the Promise.all draws them.
 *
 * @example
 * const found = findCollectedPromises(block.body, scope);
 * found?.consumed.has(loopStatement); // true: the loop is drawn as the Map at Promise.all(runs)
 */
export function findCollectedPromises(
  statements: readonly Statement[],
  scope: Scope,
): { scope: Scope; consumed: ReadonlySet<Statement> } | undefined {
  let collected: Map<string, CollectedPromises> | undefined;
  const consumed = new Set<Statement>();
  for (let i = 0; i < statements.length; i++) {
    const statement = statements[i] as Statement;
    const name = declaredArray(statement);
    if (!name) continue;
    const declaration = statement as Extract<Statement, { type: "VariableDeclaration" }>;
    const init = unwrap(declaration.declarations[0]?.init as Expression);
    let maker: Statement | undefined;
    let source: CollectedPromises | undefined;
    if (init.type === "ArrayExpression") {
      const loop = statements.slice(i + 1).find((s) => matters(s, scope));
      source = loop?.type === "ForOfStatement" ? pushLoop(loop, name, scope) : undefined;
      maker = source ? loop : undefined;
    } else {
      const mapped = mapCallback(init);
      const callee = init.type === "CallExpression" ? unwrap(init.callee) : undefined;
      if (mapped && callee?.type === "MemberExpression" && issuesOperations(mapped.body, scope)) {
        source = { node: init, items: callee.object, body: mapped.body, variables: mapped.params };
        maker = statement;
      }
    }
    if (!source || !maker) continue;
    // The first statement after the making that issues operations must be the awaiting one.
    const after = statements.slice(statements.indexOf(maker) + 1);
    const awaiting = after.find((s) => awaitsAll(s, name) || matters(s, scope));
    if (!awaiting || !awaitsAll(awaiting, name)) continue;
    collected ??= new Map(scope.collectedPromises);
    collected.set(name, source);
    consumed.add(maker);
  }
  return collected ? { scope: { ...scope, collectedPromises: collected }, consumed } : undefined;
}

/** `const runs = []` / `const runs: T[] = []` / `const runs = items.map(...)`: the name. */
function declaredArray(statement: Statement): string | undefined {
  if (statement.type !== "VariableDeclaration" || statement.declarations.length !== 1) return undefined;
  const declarator = statement.declarations[0];
  if (declarator?.id.type !== "Identifier" || !declarator.init) return undefined;
  const init = unwrap(declarator.init);
  if (init.type === "ArrayExpression" && init.elements.length === 0) return declarator.id.name;
  if (init.type === "CallExpression" && mapCallback(init)) return declarator.id.name;
  return undefined;
}

/** `for (const s of shards) runs.push(op)` (the push the body's only statement that issues operations). */
function pushLoop(loop: ForOfStatement, name: string, scope: Scope): CollectedPromises | undefined {
  const body = loop.body.type === "BlockStatement" ? loop.body.body : [loop.body];
  const working = body.filter((s) => matters(s, scope));
  const push = working.length === 1 ? working[0] : undefined;
  if (push?.type !== "ExpressionStatement") return undefined;
  const call = unwrap(push.expression);
  if (call.type !== "CallExpression" || call.arguments.length !== 1) return undefined;
  const method = methodCallOf(call);
  const pushed = call.arguments[0] as Node;
  if (method?.receiver !== name || method.method !== "push" || pushed.type === "SpreadElement")
    return undefined;
  const variables =
    loop.left.type === "VariableDeclaration" ? loop.left.declarations.map((d) => d.id) : [loop.left];
  return { node: loop, items: loop.right, body: pushed as Expression, variables };
}

/** True when the statement awaits `Promise.all(name)` (or allSettled) where it stands. */
function awaitsAll(statement: Statement, name: string): boolean {
  let found = false;
  walk(statement, (node) => {
    if (found || isFunctionLike(node)) return false;
    if (node.type !== "AwaitExpression") return undefined;
    const argument = unwrap(node.argument);
    if (argument.type === "CallExpression" && isAllOver(argument, name)) found = true;
    return undefined;
  });
  return found;
}

/** True when the subtree runs `Promise.all(runs)` (or allSettled) over one of the collected arrays. */
export function awaitsCollected(node: Node, collected: ReadonlyMap<string, CollectedPromises>): boolean {
  let found = false;
  walk(node, (current) => {
    if (found) return false;
    if (current.type === "CallExpression") {
      const argument = current.arguments[0];
      const inner = argument && argument.type !== "SpreadElement" ? unwrap(argument) : undefined;
      if (inner?.type === "Identifier" && collected.has(inner.name) && isAllOver(current, inner.name))
        found = true;
    }
    return undefined;
  });
  return found;
}

function isAllOver(call: CallExpression, name: string): boolean {
  const method = methodCallOf(call);
  const argument = call.arguments[0];
  if (method?.receiver !== "Promise" || !["all", "allSettled"].includes(method.method)) return false;
  if (!PROMISE_COMBINATORS.has(method.method) || !argument || argument.type === "SpreadElement") return false;
  const inner = unwrap(argument);
  return inner.type === "Identifier" && inner.name === name;
}
