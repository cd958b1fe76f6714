/**
 * `ctx.onUpdate(name, async (args) => { ... }, { validate })` (docs/diagrams.md#updates):
 * each handler's body is compiled as a machine of its own, drawn beside the main flow,
 * since its operations run interleaved with the body's whenever an update is accepted.
 * The registration itself is no state of the main flow.
 */
import type { CallExpression, Node, Statement } from "oxc-parser";
import { isFunctionLike, unwrap, walk } from "./ast.js";
import { type CompileSession, WorkflowBodyCompiler } from "./body-compiler.js";
import type { Scope } from "./compile-scope.js";
import type { UpdateHandlerMachine } from "./ir.js";
import { MachineBuilder } from "./machine-builder.js";
import { pruneUnreachable } from "./reachability.js";

/** `ctx.onUpdate("name", handler, ...)` with a literal name and a function handler; else undefined. */
export function updateRegistration(
  call: CallExpression,
  contextNames: ReadonlySet<string>,
): { name: string; handler: Node & { body?: unknown } } | undefined {
  const callee = unwrap(call.callee);
  if (callee.type !== "MemberExpression" || callee.computed || callee.property.name !== "onUpdate") return;
  const object = unwrap(callee.object);
  if (object.type !== "Identifier" || !contextNames.has(object.name)) return;
  const [name, handler] = call.arguments;
  if (name?.type !== "Literal" || typeof name.value !== "string" || !handler) return;
  const fn = unwrap(handler as never) as Node;
  if (!isFunctionLike(fn)) return;
  return { name: name.value, handler: fn };
}

/**
 * The handler machines of the `ctx.onUpdate` calls in a workflow body (not inside
 * other functions), in source order; `scope` is the workflow body's.
 *
 * @example
 * const updates = compileUpdateHandlers(session, body, scope);
 * // [{ update: "addItem", startAt: "u1s1", states: [...] }]
 */
export function compileUpdateHandlers(
  session: CompileSession,
  body: Node,
  scope: Scope,
): UpdateHandlerMachine[] {
  const handlers: UpdateHandlerMachine[] = [];
  walk(body, (node) => {
    if (node !== body && isFunctionLike(node)) return false;
    if (node.type !== "CallExpression") return true;
    const registration = updateRegistration(node, scope.contextNames);
    if (!registration) return true;
    const fn = registration.handler as Node & { body: Node | null; end: number; start: number };
    const builder = new MachineBuilder(`u${handlers.length + 1}s`);
    const compiler = new WorkflowBodyCompiler(session, builder);
    const inner: Scope = {
      ...scope,
      draft: builder.root,
      returnTarget: "succeed",
      errorTarget: () => undefined,
      breakTarget: undefined,
      continueTarget: undefined,
      finalizers: [],
      loopFinalizerDepth: 0,
      inlining: [...scope.inlining, fn as never],
    };
    const end = builder.root.end;
    const handlerBody = fn.body;
    const entry = !handlerBody
      ? end
      : handlerBody.type === "BlockStatement"
        ? compiler.statements((handlerBody as unknown as { body: Statement[] }).body, end, inner)
        : compiler.expression(handlerBody, end, inner, true);
    builder.root.start.link(entry);
    const endOffset = Math.max(fn.end - 1, fn.start);
    const machine = builder.finish(scope.module.file.locate(endOffset), endOffset);
    for (const diagnostic of pruneUnreachable(machine)) session.report(diagnostic);
    handlers.push({
      update: registration.name,
      loc: scope.module.file.locate(node.start),
      startAt: machine.startAt,
      states: machine.states,
    });
    return false;
  });
  return handlers;
}
