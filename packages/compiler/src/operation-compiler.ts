import { assertOperationName, reservedSuffixProblem } from "@stepline/core";
import type { Argument, CallExpression, Expression, Node } from "oxc-parser";
import { type OperationMethod, unwrap } from "./ast.js";
import { type BodyCompiler, issuesOperations, type Scope } from "./compile-scope.js";
import type { ChildState, EventState, OperationName, State, TaskState, WaitState } from "./ir.js";
import type { Ref } from "./machine-builder.js";
import { resolveReference } from "./module-graph.js";
import type { ModuleIndex } from "./module-index.js";
import { knownStrings, literalName, readOperationName } from "./operation-names.js";
import { type Options, readOptions, staticScope, warnUnknown, wholeSeconds } from "./option-reader.js";
import { defaultRetrySpec, durationMs, readRetrySpec } from "./retry-spec.js";
import { evaluateStatic } from "./static-value.js";

const plain = (argument: Argument | undefined): Expression | undefined =>
  argument && argument.type !== "SpreadElement" ? argument : undefined;

/**
 * One context operation: a Task (step), a Wait (sleep, sleepUntil), a callback
 * Task (waitForEvent) or a child-execution Task (child). The state carries the
 * enclosing `try`'s Catch.
 */
export function compileOperation(
  c: BodyCompiler,
  call: CallExpression,
  method: OperationMethod,
  next: Ref,
  scope: Scope,
  awaited: boolean,
): Ref {
  const source = c.text(scope, call.callee);
  if (!awaited) {
    return c.opaque(
      scope,
      call,
      "operation-not-awaited",
      `${source}(...) is not awaited where it is called, so it runs alongside the code after it. Await it, or put it directly in Promise.all([...]).`,
      next,
    );
  }
  if (call.arguments.some((argument) => argument.type === "SpreadElement")) {
    return c.opaque(
      scope,
      call,
      "dynamic-operation",
      `${source}(...) takes spread arguments; pass them one by one.`,
      next,
    );
  }
  const loc = c.locate(scope, call);
  let state: State;
  if (method === "child") {
    const workflow = childWorkflowName(c, scope, plain(call.arguments[0]));
    if (typeof workflow !== "string")
      return c.opaque(scope, call, "child-not-resolved", workflow.problem, next);
    state = {
      id: "",
      kind: "child",
      name: workflow,
      loc,
      workflow,
      operation: literalName(workflow),
    } satisfies ChildState;
  } else {
    // `call(ctx, \`pack-${sku}\`)` in a loop: inside, `ctx.step(name)` is that template, read where it was written.
    const passed = scope.boundTemplates?.get(identifierName(plain(call.arguments[0])) ?? "");
    const nameScope = passed?.scope ?? scope;
    const nameNode = passed?.node ?? plain(call.arguments[0]);
    const name = readOperationName(
      nameNode,
      (node) => c.text(nameScope, node),
      knownStrings(c, nameScope),
      nameScope.loopVariables,
    );
    if ("problem" in name) {
      return c.opaque(
        scope,
        call,
        "dynamic-operation-name",
        `${source}(...) cannot be drawn: ${name.problem}. Operation names are identities in the journal and states in the diagram: use a string literal, or a template literal over loop variables only (\`pack-\${item.sku}\`).`,
        next,
      );
    }
    const refused = name.parameterised
      ? parameterisedNameRefusal(c, nameScope, nameNode as Expression, source)
      : operationNameRefusal(method, name.text);
    if (refused) return c.opaque(scope, call, "invalid-operation-name", refused, next);
    const built = buildState(c, scope, call, method, name);
    if (!built) return next;
    if (typeof built === "string") return c.opaque(scope, call, "operation-in-step-body", built, next);
    state = built;
  }
  const ref = c.add(scope, state, call);
  c.builder.link(scope.draft, state, "next", next, "omit");
  // A sleep fails only when the execution is cancelled: that path is `cancel`, not a Catch.
  const catchTarget = scope.errorTarget();
  if (catchTarget)
    c.builder.link(scope.draft, state, state.kind === "wait" ? "cancel" : "catch", catchTarget);
  return ref;
}

/** The state for a step, sleep or wait; a string is the reason to refuse a step. */
function buildState(
  c: BodyCompiler,
  scope: Scope,
  call: CallExpression,
  method: Exclude<OperationMethod, "child">,
  name: OperationName,
): State | string | undefined {
  const loc = c.locate(scope, call);
  const [, second, third] = call.arguments.map(plain);
  switch (method) {
    case "step": {
      if (second && issuesOperations(second, scope)) {
        return `The body of step "${name.text}" issues operations itself; a step body runs once and its result is journaled, so operations inside it are not replayed. Move them out of the step, into the workflow body.`;
      }
      return {
        id: "",
        kind: "task",
        name: name.text,
        loc,
        step: name,
        ...stepOptions(c, scope, name, third),
      };
    }
    case "sleep":
    case "sleepUntil": {
      const duration =
        method === "sleep" && second ? evaluateStatic(second, staticScope(c, scope)) : undefined;
      const ms = duration && "value" in duration ? durationMs(duration.value) : undefined;
      // A Wait may be 0 s; a sub-second sleep is rounded up, with a warning.
      const seconds =
        ms === undefined
          ? undefined
          : ms === 0
            ? 0
            : wholeSeconds(c, scope, second as Node, `the duration of sleep "${name.text}"`, ms);
      return {
        id: "",
        kind: "wait",
        name: name.text,
        loc,
        timer: name,
        until: method === "sleepUntil",
        ...(seconds === undefined ? { expression: second ? c.text(scope, second) : "" } : { seconds }),
      } satisfies WaitState;
    }
    case "waitForEvent": {
      const options = readOptions(c, scope, second);
      const what = `the timeout of waitForEvent "${name.text}"`;
      const timeoutSeconds = durationOption(
        c,
        scope,
        options,
        "timeout",
        what,
        "the wait is drawn without a timeout",
      );
      return {
        id: "",
        kind: "event",
        name: name.text,
        loc,
        event: name,
        ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
      } satisfies EventState;
    }
  }
}

/** A duration option in whole seconds; undefined when absent, or unknown (with a warning saying `shown`). */
function durationOption(
  c: BodyCompiler,
  scope: Scope,
  options: Options,
  key: string,
  what: string,
  shown: string,
): number | undefined {
  const evaluated = options.get(key);
  if (!evaluated) return undefined;
  const node = options.nodeOf(key) as Node;
  const ms = "value" in evaluated ? durationMs(evaluated.value) : undefined;
  if (ms === undefined) {
    warnUnknown(c, scope, node, what, shown);
    return undefined;
  }
  return wholeSeconds(c, scope, node, what, ms);
}

/**
 * A step's options as Task fields: `retry`, and `timeout` (per attempt),
 * `heartbeatTimeout` and `totalTimeout` in whole seconds, each written in place or
 * built from constants (option-reader.ts). ASL counts seconds, so a value that is not
 * a whole second is rounded up, with a warning (the runtime keeps the exact value); a
 * value the compiler cannot follow is left out, and a policy it cannot follow is
 * marked unknown (no Retry drawn), each with a warning.
 */
export function stepOptions(
  c: BodyCompiler,
  scope: Scope,
  name: OperationName,
  argument: Expression | undefined,
): Pick<TaskState, "retry" | "timeoutSeconds" | "heartbeatSeconds" | "totalTimeoutSeconds"> {
  const options = readOptions(c, scope, argument);
  const step = `step "${name.text}"`;
  if (options.unknown) {
    warnUnknown(
      c,
      scope,
      argument as Node,
      `the options of ${step}`,
      "the machine says its retry policy is unknown (no Retry drawn) and draws no timeouts",
    );
    return { retry: defaultRetrySpec(false) };
  }
  const retryValue = options.get("retry");
  const { spec, unknown, rounded } = readRetrySpec(retryValue);
  const retryNode = options.nodeOf("retry") as Node;
  if (unknown) {
    warnUnknown(
      c,
      scope,
      retryNode,
      unknown === "retry" ? `the retry policy of ${step}` : `retry.${unknown} of ${step}`,
      "the machine says the policy is unknown and draws no Retry",
    );
  }
  for (const { field, ms } of rounded) wholeSeconds(c, scope, retryNode, `retry.${field} of ${step}`, ms);
  const seconds = (option: string): number | undefined =>
    durationOption(c, scope, options, option, `the ${option} of ${step}`, `the Task is drawn without it`);
  const timeoutSeconds = seconds("timeout");
  let heartbeatSeconds = seconds("heartbeatTimeout");
  if (heartbeatSeconds !== undefined && timeoutSeconds !== undefined && heartbeatSeconds >= timeoutSeconds) {
    // ASL requires HeartbeatSeconds < TimeoutSeconds; a heartbeat limit the attempt's own limit overrides says nothing.
    c.report(
      scope,
      options.nodeOf("heartbeatTimeout") as Node,
      "warning",
      "heartbeat-not-below-timeout",
      `the heartbeatTimeout of step "${name.text}" (${heartbeatSeconds}s) is not below its timeout (${timeoutSeconds}s), so the attempt's timeout always comes first; ASL requires HeartbeatSeconds below TimeoutSeconds, so the Task has no HeartbeatSeconds. Make heartbeatTimeout shorter than timeout.`,
    );
    heartbeatSeconds = undefined;
  }
  const totalTimeoutSeconds = seconds("totalTimeout");
  return {
    retry: spec,
    ...(timeoutSeconds === undefined ? {} : { timeoutSeconds }),
    ...(heartbeatSeconds === undefined ? {} : { heartbeatSeconds }),
    ...(totalTimeoutSeconds === undefined ? {} : { totalTimeoutSeconds }),
  };
}

/**
 * The child workflow's name: the first argument of the `workflow("name", ...)` the
 * definition holds, found in this file or through imports and re-exports
 * (module-graph.ts: relative paths, and packages the import resolver can read). The
 * journal names a child by its workflow's name, never by a variable, so when it is not
 * found the result is a reason instead: the caller draws an opaque state (an error),
 * not a state with a wrong name (issue 12).
 */
export function childWorkflowName(
  c: BodyCompiler,
  scope: Scope,
  definition: Expression | undefined,
  call = "ctx.child",
): string | { problem: string } {
  if (!definition) return { problem: `${call}() has no definition argument. Pass the workflow definition.` };
  const node = unwrap(definition);
  const text = c.text(scope, node);
  const load = (from: ModuleIndex, specifier: string) => c.importedModule(from, specifier);
  const declaration = resolveReference(load, scope.module, node);
  const name = declaration?.module.workflowNames.get(declaration.local);
  if (name !== undefined) return name;
  return {
    problem: `${call}(${text}, ...): the child's name is unknown: the compiler did not find the workflow("name", ...) that ${text} holds, and the journal names the child by that name. Pass the definition itself: defined in this file, or imported through a relative path or a package the compiler can read (re-exports are followed).`,
  };
}

function identifierName(node: Expression | undefined): string | undefined {
  const inner = node && unwrap(node);
  return inner?.type === "Identifier" ? inner.name : undefined;
}

/**
 * Why core would refuse this literal name at run time (identifiers.ts, with the
 * step-identity rule), or undefined: the diagram never shows a state the code cannot reach.
 */
function operationNameRefusal(method: Exclude<OperationMethod, "child">, name: string): string | undefined {
  try {
    assertOperationName(method === "sleepUntil" ? "sleep" : method, name);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/**
 * The step-identity rule (core's step-identity.ts) for a template name: a literal tail
 * ending in `#` and digits (`` `pack-${sku}#2` ``) makes every name one the runtime
 * refuses, so it is refused here too; a tail `#${value}` is one whenever the value is
 * digits, so it gets a warning (the journal would read it as an occurrence).
 */
function parameterisedNameRefusal(
  c: BodyCompiler,
  scope: Scope,
  argument: Expression,
  source: string,
): string | undefined {
  const node = unwrap(argument);
  if (node.type !== "TemplateLiteral") return undefined;
  const tail = node.quasis.at(-1)?.value.cooked ?? "";
  const problem = tail === "" ? undefined : reservedSuffixProblem(tail);
  if (problem)
    return `${source}(\`${c.text(scope, node).slice(1, -1)}\`, ...): every name it makes ${problem}. Put the value elsewhere in the name ("item-3").`;
  const before = node.quasis.at(-2)?.value.cooked ?? "";
  if (tail === "" && node.quasis.length >= 2 && before.endsWith("#")) {
    c.report(
      scope,
      node,
      "warning",
      "reserved-name-suffix",
      `${source}(${c.text(scope, node)}, ...) ends in "#" and a value: when the value is digits ("#2"), the name ends like an occurrence of a repeated name, which the runtime refuses (step-identity rule). Put a letter or "-" between, as \`item-\${n}\`.`,
    );
  }
  return undefined;
}
