// The execution's diagram. THE SEAM for the compiled diagram: this module alone draws
// it, from `report` (src/journal/execution-report.ts). Today it draws the states the
// journal has visited, one box per step / timer / wait / child in op order, coloured
// by status; later it can draw the compiled state machine from @stepline/compiler and
// colour its states from the same `report.states`, keeping this signature.
import { formatDuration } from "./format.js";
import { html } from "./html.js";

const KIND_LABEL = {
  step: "Task",
  timer: "Wait",
  wait: "Event",
  child: "Child workflow",
  operation: "Operation",
};
const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

/**
 * @param {{ report: object, selection: object | null, onSelect: (selection: object) => void }} props
 * Each state is a button with data-state (its name), data-op, data-kind, data-status
 * (succeeded, failed, retrying, running, waiting, interrupted) and data-current.
 */
export function DiagramView({ report, selection, onSelect }) {
  const { execution, states } = report;
  const ended = TERMINAL.has(execution.status);
  const endName = ended ? execution.status[0].toUpperCase() + execution.status.slice(1) : "...";
  const isSelected = (kind, op) => selection?.kind === kind && (op === undefined || selection.op === op);
  return html`
    <div class="diagram" role="list" aria-label="States visited">
      <${Node}
        name="Start" kind="start" status="succeeded" label="Execution started"
        selected=${isSelected("start")} onClick=${() => onSelect({ kind: "start" })} />
      ${states.map(
        (state) => html`
          <${Edge} />
          <${Node}
            name=${state.name} op=${state.op} kind=${state.kind} status=${state.status} current=${state.current}
            label=${stateLabel(state)}
            selected=${isSelected("state", state.op)}
            onClick=${() => onSelect({ kind: "state", op: state.op })} />
        `,
      )}
      <${Edge} pending=${!ended} />
      <${Node}
        name=${endName} kind="end" status=${ended || execution.status === "blocked" ? execution.status : "pending"}
        label=${ended ? `Execution ${execution.status}` : `Execution ${execution.status}: not ended`}
        selected=${isSelected("end")} onClick=${() => onSelect({ kind: "end" })} />
    </div>
  `;
}

function stateLabel(state) {
  const kind = KIND_LABEL[state.kind] ?? state.kind;
  const attempts = state.attempts > 1 ? ` · ${state.attempts} attempts` : "";
  const took = state.endedAt ? ` · ${formatDuration(state.endedAt - state.startedAt)}` : "";
  return `${kind} · ${state.status}${attempts}${took}`;
}

function Node({ name, op, kind, status, current, label, selected, onClick }) {
  return html`
    <button
      type="button" role="listitem"
      class=${`state state--${status}${current ? " state--current" : ""}${selected ? " state--selected" : ""}`}
      data-state=${name} data-op=${op} data-kind=${kind} data-status=${status} data-current=${current ? "true" : "false"}
      onClick=${onClick}>
      <span class="state-name">${name}</span>
      <span class="state-label">${label}</span>
    </button>
  `;
}

function Edge({ pending }) {
  return html`<div class=${`edge${pending ? " edge--pending" : ""}`} aria-hidden="true"></div>`;
}
