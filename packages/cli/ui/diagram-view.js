// The execution's diagram: this module alone draws it, from `report`
// (src/journal/execution-report.ts). With `report.diagram` (the server was given the
// workflow's source with `stepline ui --workflows`), it shows the compiled state
// machine, whole, each state coloured by the operations the journal matched to it.
// Without, it draws the states the journal has visited, one box per step / timer /
// wait / child in op order, coloured by status.
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
/** A chain longer than this is drawn with its middle elided (a journal of 50,000 events has 25,000 states). */
const MAX_DRAWN = 200;
const HEAD_DRAWN = 50;

/**
 * @param {{ report: object, selection: object | null, onSelect: (selection: object) => void }} props
 * Each state is a button with data-state (its name), data-op, data-kind, data-status
 * (succeeded, failed, retrying, running, waiting, interrupted) and data-current.
 */
export function DiagramView({ report, selection, onSelect }) {
  if (report.diagram)
    return html`<${CompiledDiagram} report=${report} selection=${selection} onSelect=${onSelect} />`;
  const { execution, states } = report;
  const ended = TERMINAL.has(execution.status);
  const endName = ended ? execution.status[0].toUpperCase() + execution.status.slice(1) : "...";
  const isSelected = (kind, op) => selection?.kind === kind && (op === undefined || selection.op === op);
  // The first states and the last (where a live execution stands); the history lists all.
  const elided = states.length > MAX_DRAWN ? states.length - MAX_DRAWN : 0;
  const drawn =
    elided === 0 ? states : [...states.slice(0, HEAD_DRAWN), null, ...states.slice(HEAD_DRAWN + elided)];
  return html`
    <div class="diagram" role="list" aria-label="States visited">
      <${Node}
        name="Start" kind="start" status="succeeded" label="Execution started"
        selected=${isSelected("start")} onClick=${() => onSelect({ kind: "start" })} />
      ${drawn.map((state) =>
        state === null
          ? html`<${Edge} /><div class="state-gap" role="listitem" data-testid="elided-states">… ${elided.toLocaleString("en-US")} more states: the event history lists them</div>`
          : html`
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

/**
 * The compiled machine's SVG (from the server, states marked with data-state-id,
 * data-status and data-op). A click on a visited state selects its operation.
 */
function CompiledDiagram({ report, selection, onSelect }) {
  const { diagram } = report;
  const selectedOp = selection?.kind === "state" ? selection.op : undefined;
  const svg =
    selectedOp === undefined
      ? diagram.svg
      : diagram.svg.replace(
          new RegExp(`class="(node [^"]*)"([^>]*data-op="${selectedOp}")`),
          'class="$1 state--selected"$2',
        );
  const onClick = (event) => {
    const node = event.target.closest("[data-state-id]");
    const op = node?.getAttribute("data-op");
    if (op !== null && op !== undefined) onSelect({ kind: "state", op: Number(op) });
  };
  return html`
    <div class="compiled-diagram">
      ${
        diagram.divergence
          ? html`<p class="diagram-warning" role="alert">
              This journal is not a path of the compiled diagram (the code changed since it ran?):
              ${diagram.divergence}
            </p>`
          : null
      }
      <div class="compiled-svg" onClick=${onClick} dangerouslySetInnerHTML=${{ __html: svg }}></div>
      <p class="diagram-source">compiled from ${diagram.source}</p>
    </div>
  `;
}
