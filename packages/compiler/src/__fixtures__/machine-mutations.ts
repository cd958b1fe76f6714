/**
 * Small, deliberate breakages of a machine, to show that verifyTrace rejects the
 * journals that relied on what was broken. Test support only: not part of the package.
 */
import { allStates, edgesOf, type Machine, type State, subMachines } from "../ir.js";
import { isThrowPoint } from "../plain-throws.js";

/** A state a journal event names directly. */
const observable = (state: State) =>
  state.kind === "task" || state.kind === "wait" || state.kind === "event" || state.kind === "child";

export interface Mutation {
  description: string;
  machine: Machine;
  /** Journals whose matched path includes every one of these states must be rejected. */
  usedStates: string[];
}

/** How many edges (and start pointers) lead into each state. */
function incoming(machine: Machine): Map<string, number> {
  const counts = new Map<string, number>();
  const add = (id: string) => counts.set(id, (counts.get(id) ?? 0) + 1);
  const visit = (m: Machine) => {
    add(m.startAt);
    for (const state of m.states) {
      for (const edge of edgesOf(state)) add(edge.to);
      for (const sub of subMachines(state)) visit(sub);
    }
  };
  visit(machine);
  return counts;
}

/**
 * Drops each edge into an operation state that has no other way in: a `next`
 * becomes the end of the machine, a Choice rule is removed (an `else` is sent
 * where the first rule goes). Any journal that ran
 * that operation took the edge.
 */
export function dropEdgeMutations(machine: Machine): Mutation[] {
  const counts = incoming(machine);
  const mutations: Mutation[] = [];
  for (const state of allStates(machine)) {
    for (const edge of edgesOf(state)) {
      const target = [...allStates(machine)].find((s) => s.id === edge.to) as State;
      if (!observable(target) || counts.get(target.id) !== 1) continue;
      const copy = structuredClone(machine);
      const from = [...allStates(copy)].find((s) => s.id === state.id) as State;
      if (edge.kind === "otherwise" && from.kind === "choice") {
        from.otherwise = { ...from.otherwise, next: (from.choices[0] as { next: string }).next };
      } else if (edge.kind === "choice" && from.kind === "choice") {
        if (from.choices.length === 1) from.choices[0] = { ...from.otherwise, condition: "x" };
        else from.choices = from.choices.filter((rule) => rule.next !== edge.to);
      } else if (edge.kind === "catch") {
        if (from.kind === "wait") delete from.cancel;
        else delete (from as { catch?: string }).catch;
      } else {
        delete (from as { next?: string }).next;
      }
      mutations.push({
        description: `drop ${state.name} -> ${target.name} (${edge.kind})`,
        machine: copy,
        usedStates: [target.id],
      });
    }
  }
  return mutations;
}

/**
 * Swaps two consecutive steps with names used nowhere else (`a -> b` becomes
 * `b -> a`): a journal that ran both ran them in the other order.
 */
export function swapMutations(machine: Machine): Mutation[] {
  const states = [...allStates(machine)];
  const uses = new Map<string, number>();
  for (const state of states)
    if (state.kind === "task") uses.set(state.step.text, (uses.get(state.step.text) ?? 0) + 1);
  const mutations: Mutation[] = [];
  for (const first of states) {
    if (first.kind !== "task" || first.next === undefined) continue;
    const second = states.find((s) => s.id === first.next);
    if (second?.kind !== "task" || uses.get(first.step.text) !== 1 || uses.get(second.step.text) !== 1)
      continue;
    const copy = structuredClone(machine);
    const a = [...allStates(copy)].find((s) => s.id === first.id) as typeof first;
    const b = [...allStates(copy)].find((s) => s.id === second.id) as typeof second;
    [a.step, b.step, a.name, b.name] = [b.step, a.step, b.name, a.name];
    mutations.push({
      description: `swap ${first.name} and ${second.name}`,
      machine: copy,
      usedStates: [first.id, second.id],
    });
  }
  return mutations;
}

/**
 * The machine with every "may throw" Choice's error edge removed (plain-throws.ts): as
 * if plain code never threw. A journal in which plain code threw must not fit it.
 */
export function neverThrowsMutation(machine: Machine): Mutation {
  const copy = structuredClone(machine);
  const points = [...allStates(copy)].filter(isThrowPoint);
  for (const point of points) point.choices = [{ condition: "never", next: point.otherwise.next }];
  return { description: "plain code never throws", machine: copy, usedStates: points.map((p) => p.id) };
}
