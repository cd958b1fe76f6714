import type { Expression } from "oxc-parser";
import { parameterNames } from "./ast.js";
import { type CompileSession, WorkflowBodyCompiler } from "./body-compiler.js";
import type { Scope } from "./compile-scope.js";
import { contextParameter, hasOperationLikeCalls } from "./context-parameter.js";
import type { State, WorkflowMachine } from "./ir.js";
import { resolveChildResults } from "./lifecycle-compiler.js";
import { collectLifecycleNames } from "./lifecycle-names.js";
import { MachineBuilder } from "./machine-builder.js";
import type { ModuleIndex, WorkflowSite } from "./module-index.js";
import { pruneUnreachable } from "./reachability.js";
import { compileUpdateHandlers } from "./update-handlers.js";

/** Builds the machine of one `workflow(name, fn)` whose name and function were found. */
export function compileWorkflow(
  session: CompileSession,
  module: ModuleIndex,
  site: WorkflowSite & { name: string; fn: NonNullable<WorkflowSite["fn"]> },
): WorkflowMachine {
  const builder = new MachineBuilder();
  const compiler = new WorkflowBodyCompiler(session, builder);
  const fn = site.fn;
  const [, inputName] = parameterNames(fn);
  const context = contextParameter(fn, 0);
  if (context && "problem" in context) {
    session.report({
      ...module.file.locate(context.node.start),
      severity: "error",
      code: "context-not-followed",
      message: `workflow("${site.name}", ...): the compiler cannot follow the context parameter: ${context.problem}. Write it as \`ctx\` and call ctx.step(...), or destructure plain names: \`async ({ step, sleep }, input) => ...\`.`,
    });
  }
  const scope: Scope = {
    module,
    draft: builder.root,
    contextNames: new Set(context && "names" in context ? context.names : []),
    loopVariables: new Set(),
    returnTarget: "succeed",
    errorTarget: () => undefined,
    breakTarget: undefined,
    continueTarget: undefined,
    finalizers: [],
    loopFinalizerDepth: 0,
    localFunctions: new Map(),
    closureHelpers: new Set(),
    inputName,
    inlining: [fn],
  };
  // Only a workflow with a saga or a child handle pays for looking for their calls (issuesOperations).
  const lifecycle = fn.body && collectLifecycleNames(fn.body, scope.contextNames);
  if (lifecycle && (lifecycle.sagas.size > 0 || lifecycle.handles.size > 0)) scope.lifecycle = lifecycle;
  const body = fn.body;
  const end = builder.root.end;
  const entry = !body
    ? end
    : body.type === "BlockStatement"
      ? compiler.statements(body.body, end, scope)
      : compiler.expression(body as Expression, end, scope, true);
  builder.root.start.link(entry);
  const endOffset = Math.max(fn.end - 1, fn.start);
  const machine = builder.finish(module.file.locate(endOffset), endOffset);
  for (const diagnostic of pruneUnreachable(machine)) session.report(diagnostic);
  if (
    body &&
    !(context && "problem" in context) &&
    !machine.states.some(isOperationLike) &&
    hasOperationLikeCalls(body)
  ) {
    // The principle of issue 12: never a silent empty machine for code that calls operations.
    session.report({
      ...module.file.locate(fn.start),
      severity: "error",
      code: "context-not-followed",
      message: `workflow("${site.name}", ...): the machine has no operation, yet the function calls step, sleep, waitForEvent or child on something the compiler does not know as the context. Take the context as the first parameter (\`ctx\`, or destructured: \`{ step, sleep }\`) and call operations on it.`,
    });
  }
  resolveChildResults(scope.lifecycle, (node, severity, code, message) =>
    compiler.report(scope, node, severity, code, message),
  );
  const updates = body ? compileUpdateHandlers(session, body, scope) : [];
  return {
    workflow: site.name,
    ...(site.exportName ? { exportName: site.exportName } : {}),
    loc: module.file.locate(site.call.start),
    startAt: machine.startAt,
    states: machine.states,
    ...(updates.length > 0 ? { updates } : {}),
  };
}

/** States that stand for something the code does (not Choice, Succeed or Fail). */
function isOperationLike(state: State): boolean {
  return state.kind !== "choice" && state.kind !== "succeed" && state.kind !== "fail";
}
