import type { Expression } from "oxc-parser";
import { parameterNames } from "./ast.js";
import { type CompileSession, WorkflowBodyCompiler } from "./body-compiler.js";
import type { Scope } from "./compile-scope.js";
import type { WorkflowMachine } from "./ir.js";
import { resolveChildResults } from "./lifecycle-compiler.js";
import { collectLifecycleNames } from "./lifecycle-names.js";
import { MachineBuilder } from "./machine-builder.js";
import type { ModuleIndex, WorkflowSite } from "./module-index.js";
import { pruneUnreachable } from "./reachability.js";

/** Builds the machine of one `workflow(name, fn)` whose name and function were found. */
export function compileWorkflow(
  session: CompileSession,
  module: ModuleIndex,
  site: WorkflowSite & { name: string; fn: NonNullable<WorkflowSite["fn"]> },
): WorkflowMachine {
  const builder = new MachineBuilder();
  const compiler = new WorkflowBodyCompiler(session, builder);
  const fn = site.fn;
  const [contextName, inputName] = parameterNames(fn);
  const scope: Scope = {
    module,
    draft: builder.root,
    contextNames: new Set(contextName ? [contextName] : []),
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
  resolveChildResults(scope.lifecycle, (node, severity, code, message) =>
    compiler.report(scope, node, severity, code, message),
  );
  return {
    workflow: site.name,
    ...(site.exportName ? { exportName: site.exportName } : {}),
    loc: module.file.locate(site.call.start),
    startAt: machine.startAt,
    states: machine.states,
  };
}
