import { edgesOf, type Machine, type State, type WorkflowMachine } from "./ir.js";
import { stateLabel } from "./state-label.js";

const quote = (text: string) => `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;

const NODE_STYLE: Record<State["kind"], string> = {
  task: 'shape=box, style="rounded,filled", fillcolor="#e8f1fb", color="#2f6fb5"',
  wait: 'shape=box, style="rounded,filled,dashed", fillcolor="#f1f1f1", color="#555555"',
  event: 'shape=box, style="rounded,filled", fillcolor="#efe6fa", color="#6b3fa0"',
  child: 'shape=box3d, style=filled, fillcolor="#e6f5ea", color="#2e7d46"',
  awaitChild: 'shape=box3d, style="filled,dashed", fillcolor="#e6f5ea", color="#2e7d46"',
  continueAsNew: 'shape=box, style="rounded,filled,bold", fillcolor="#d8f3dc", color="#2d6a4f"',
  choice: 'shape=diamond, style=filled, fillcolor="#fff8e1", color="#b58900", fontsize=10',
  parallel: 'shape=trapezium, style=filled, fillcolor="#eeeeee", color="#444444"',
  map: 'shape=trapezium, style=filled, fillcolor="#eeeeee", color="#444444"',
  succeed: 'shape=box, style="rounded,filled", fillcolor="#d8f3dc", color="#2d6a4f"',
  fail: 'shape=octagon, style=filled, fillcolor="#fde2e1", color="#c0392b"',
  opaque: 'shape=box, style="filled,dashed", fillcolor="#fff3cd", color="#b7791f"',
};

/**
 * A Graphviz DOT digraph of a machine: one node per state, Parallel branches and
 * Map iterators as clusters between a fork node and a join node, catches dashed
 * and red. Render it with Graphviz or {@link toSVG}.
 *
 * @example
 * writeFileSync("order.dot", toDot(machines[0]));
 */
export function toDot(machine: WorkflowMachine | Machine): string {
  const lines = [
    `digraph ${quote("workflow" in machine ? machine.workflow : "machine")} {`,
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=11];',
    '  node [fontname="Helvetica", fontsize=11];',
    '  edge [fontname="Helvetica", fontsize=9];',
    '  start [shape=circle, label="", width=0.18, style=filled, fillcolor=black];',
    '  end [shape=doublecircle, label="", width=0.14, style=filled, fillcolor=black];',
    `  start -> ${machine.startAt};`,
  ];
  // Edges go after every cluster: a node an edge names inside a cluster would join it.
  const edges: string[] = [];
  emitMachine(machine, "end", "  ", lines, edges);
  // Update handlers: a cluster each, with a start and an end of their own (docs/diagrams.md#updates).
  for (const [i, handler] of ("updates" in machine ? (machine.updates ?? []) : []).entries()) {
    const id = `update${i + 1}`;
    lines.push(`  subgraph cluster_${id} {`);
    lines.push(`    style="rounded"; color="#2c7be5"; label=${quote(`update: ${handler.update}`)};`);
    lines.push(`    ${id}_start [shape=circle, label="", width=0.18, style=filled, fillcolor="#2c7be5"];`);
    lines.push(
      `    ${id}_end [shape=doublecircle, label="", width=0.14, style=filled, fillcolor="#2c7be5"];`,
    );
    emitMachine(handler, `${id}_end`, "    ", lines, edges);
    lines.push("  }");
    edges.push(`  ${id}_start -> ${handler.startAt};`);
  }
  lines.push(...edges, "}");
  return `${lines.join("\n")}\n`;
}

/** Emits a machine's states; `exit` is the node its end leads to. */
function emitMachine(machine: Machine, exit: string, indent: string, lines: string[], edges: string[]): void {
  for (const state of machine.states) {
    lines.push(`${indent}${state.id} [label=${quote(stateLabel(state))}, ${NODE_STYLE[state.kind]}];`);
    // A Parallel or Map is drawn from its fork node to its join node; edges leave from the join.
    const from = state.kind === "parallel" || state.kind === "map" ? `${state.id}_join` : state.id;
    if (state.kind === "parallel" || state.kind === "map") {
      lines.push(`${indent}${from} [label="join", shape=invtrapezium, style=filled, fillcolor="#eeeeee"];`);
      const branches = state.kind === "parallel" ? state.branches : [state.iterator];
      branches.forEach((branch, index) => {
        lines.push(`${indent}subgraph cluster_${state.id}_${index} {`);
        lines.push(
          `${indent}  style="rounded,dashed"; color="#999999"; label=${quote(state.kind === "map" ? "each item" : `branch ${index + 1}`)};`,
        );
        emitMachine(branch, from, `${indent}  `, lines, edges);
        lines.push(`${indent}}`);
        edges.push(`  ${state.id} -> ${branch.startAt} [style=dashed];`);
      });
    }
    for (const edge of edgesOf(state)) {
      const attributes: string[] = [];
      if (edge.label) attributes.push(`label=${quote(edge.label)}`);
      if (edge.kind === "catch") attributes.push('style=dashed, color="#c0392b", fontcolor="#c0392b"');
      lines.push(
        `${indent}${from} -> ${edge.to}${attributes.length > 0 ? ` [${attributes.join(", ")}]` : ""};`,
      );
    }
    const ends =
      state.kind === "succeed" ||
      (state.kind !== "choice" && state.kind !== "fail" && !("next" in state && state.next !== undefined));
    if (ends) edges.push(`  ${from} -> ${exit};`);
  }
}
