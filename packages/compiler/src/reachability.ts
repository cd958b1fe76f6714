import type { Diagnostic } from "./diagnostics.js";
import { edgesOf, type Machine, type State, subMachines } from "./ir.js";

/**
 * The safety net behind every emitted machine: a state no transition of its machine
 * leads to is invalid ASL ("State x is not reachable"), and a machine that carries one
 * draws a path the code does not have. Such states are taken out of the machine, each
 * with an error diagnostic, so the CLI exits non-zero instead of emitting a machine
 * that looks fine (issue 12; reachability.test.ts).
 *
 * Reachability is ASL's: `next`, Choice rules and `otherwise`, and Catch (a Wait's
 * `cancel` is a Catch of the Parallel that wraps it in ASL).
 *
 * @example
 * const diagnostics = pruneUnreachable(machine); // [] for every machine the compiler builds today
 */
export function pruneUnreachable(machine: Machine): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  prune(machine, diagnostics);
  return diagnostics;
}

function prune(machine: Machine, diagnostics: Diagnostic[]): void {
  const byId = new Map(machine.states.map((state) => [state.id, state]));
  const reached = new Set<string>();
  const pending = [machine.startAt];
  while (pending.length > 0) {
    const id = pending.pop() as string;
    if (reached.has(id) || !byId.has(id)) continue;
    reached.add(id);
    for (const edge of edgesOf(byId.get(id) as State)) pending.push(edge.to);
  }
  const unreachable = machine.states.filter((state) => !reached.has(state.id));
  for (const state of unreachable) diagnostics.push(diagnosticFor(state));
  machine.states = machine.states.filter((state) => reached.has(state.id));
  for (const state of machine.states) for (const sub of subMachines(state)) prune(sub, diagnostics);
}

function diagnosticFor(state: State): Diagnostic {
  const why =
    "no transition leads to it (a catch whose try runs nothing that can fail: no operation, and no plain code that can throw, such as a call of a helper that throws or JSON.parse)";
  return {
    ...state.loc,
    severity: "error",
    code: "unreachable-state",
    message: `state "${state.name}" cannot be reached in the machine: ${why}. It is left out, so the machine does not show this path. Put an operation that can fail inside the try, or move this code out of the catch.`,
  };
}
