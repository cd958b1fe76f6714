import { edgesOf, type Machine, type State, type WorkflowMachine } from "./ir.js";
import { stateLabel } from "./state-label.js";

/**
 * Makes text safe inside a Mermaid label: `#`, `"`, `;`, `<` and `>` become entity
 * codes (Mermaid reads `<...>` as HTML and drops it: `Record<string, boolean>` showed
 * as `Record`), line ends become spaces.
 */
function escapeLabel(text: string): string {
  return text.replace(/[#";<>]|[\r\n]+/g, (match) => ENTITIES[match] ?? " ");
}

const ENTITIES: Record<string, string> = {
  "#": "#35;",
  '"': "#quot;",
  ";": "#59;",
  "<": "#lt;",
  ">": "#gt;",
};

/**
 * A Mermaid `stateDiagram-v2` of a machine. Choices are `<<choice>>` nodes with
 * the condition's text on their edges; Parallel and Map states are composite
 * states (branches separated by `--`); failures and opaque states are styled.
 *
 * @example
 * console.log(toMermaid(machines[0]));
 * // stateDiagram-v2
 * //   state "reserve (retry ×5)" as s1
 * //   [*] --> s1
 * //   ...
 */
export function toMermaid(machine: WorkflowMachine | Machine): string {
  const lines = ["stateDiagram-v2"];
  const styled: { fail: string[]; opaque: string[] } = { fail: [], opaque: [] };
  emitMachine(machine, "  ", lines, styled);
  // Update handlers run beside the main flow, whenever an update is accepted: a
  // composite state of their own, reached by no edge (docs/diagrams.md#updates).
  for (const [i, handler] of ("updates" in machine ? (machine.updates ?? []) : []).entries()) {
    lines.push(`  state "${escapeLabel(`update: ${handler.update}`)}" as update${i + 1} {`);
    emitMachine(handler, "    ", lines, styled);
    lines.push("  }");
  }
  if (styled.fail.length > 0) {
    lines.push("  classDef failure fill:#fde2e1,stroke:#c0392b,color:#7b241c");
    lines.push(`  class ${styled.fail.join(",")} failure`);
  }
  if (styled.opaque.length > 0) {
    lines.push("  classDef opaque fill:#fff3cd,stroke:#b7791f,stroke-dasharray:4 3");
    lines.push(`  class ${styled.opaque.join(",")} opaque`);
  }
  return `${lines.join("\n")}\n`;
}

function emitMachine(
  machine: Machine,
  indent: string,
  lines: string[],
  styled: { fail: string[]; opaque: string[] },
): void {
  for (const state of machine.states) emitState(state, indent, lines, styled);
  lines.push(`${indent}[*] --> ${machine.startAt}`);
  for (const state of machine.states) {
    for (const edge of edgesOf(state)) {
      lines.push(`${indent}${state.id} --> ${edge.to}${edge.label ? `: ${escapeLabel(edge.label)}` : ""}`);
    }
    if (isTerminal(state)) lines.push(`${indent}${state.id} --> [*]`);
  }
}

function emitState(
  state: State,
  indent: string,
  lines: string[],
  styled: { fail: string[]; opaque: string[] },
): void {
  if (state.kind === "choice") {
    lines.push(`${indent}state ${state.id} <<choice>>`);
    return;
  }
  if (state.kind === "fail") styled.fail.push(state.id);
  if (state.kind === "opaque") styled.opaque.push(state.id);
  const label = `${indent}state "${escapeLabel(stateLabel(state))}" as ${state.id}`;
  if (state.kind !== "parallel" && state.kind !== "map") {
    lines.push(label);
    return;
  }
  lines.push(`${label} {`);
  const branches = state.kind === "parallel" ? state.branches : [state.iterator];
  branches.forEach((branch, index) => {
    if (index > 0) lines.push(`${indent}  --`);
    emitMachine(branch, `${indent}  `, lines, styled);
  });
  lines.push(`${indent}}`);
}

/** States after which the machine (or branch) ends. */
function isTerminal(state: State): boolean {
  if (state.kind === "succeed" || state.kind === "fail") return true;
  return state.kind !== "choice" && !("next" in state && state.next !== undefined);
}
