// Two executions side by side, op by op: where their paths part (the first op whose
// state differs in name or kind, or where one has gone on and the other has not).
import { useEffect, useState } from "preact/hooks";
import { executionPath, getJson } from "./api.js";
import { html } from "./html.js";

/** The first op at which the two state lists part, or null when one is a prefix of the other. */
export function divergence(left, right) {
  const length = Math.max(left.length, right.length);
  for (let i = 0; i < length; i++) {
    const a = left[i];
    const b = right[i];
    if (!a || !b || a.name !== b.name || a.kind !== b.kind) return i;
  }
  return null;
}

export function ComparePage({ left, right }) {
  const [reports, setReports] = useState(undefined);
  const [error, setError] = useState(undefined);
  useEffect(() => {
    Promise.all([getJson(executionPath(left)), getJson(executionPath(right))]).then(setReports, (e) =>
      setError(e.message),
    );
  }, [left, right]);
  const back = html`<p><a href="#/">← Executions</a></p>`;
  if (error) return html`${back}<p class="error" data-testid="page-error">${error}</p>`;
  if (!reports) return html`${back}<p class="muted">Loading...</p>`;
  const [a, b] = reports;
  const at = divergence(a.states, b.states);
  const rows = Math.max(a.states.length, b.states.length);
  const cell = (state) =>
    state
      ? html`<span class="badge" data-status=${state.status}>${state.status}</span> ${state.name}`
      : html`<span class="muted">-</span>`;
  const headline =
    at === null
      ? `The same path for all ${rows} operations.`
      : !a.states[at] || !b.states[at]
        ? `The same path up to op ${at}; then only ${a.states[at] ? left : right} goes on.`
        : `The paths part at op ${at}: ${left} ran ${a.states[at].name}, ${right} ran ${b.states[at].name}.`;
  return html`
    ${back}
    <section class="panel">
      <h1>Compare</h1>
      <p data-testid="divergence" data-op=${at === null ? "none" : at}>${headline}</p>
      <table class="compare">
        <thead>
          <tr>
            <th>Op</th>
            <th><a href=${`#/executions/${encodeURIComponent(left)}`}>${left}</a> (${a.execution.workflow}, ${a.execution.status})</th>
            <th><a href=${`#/executions/${encodeURIComponent(right)}`}>${right}</a> (${b.execution.workflow}, ${b.execution.status})</th>
          </tr>
        </thead>
        <tbody>
          ${Array.from(
            { length: rows },
            (_, op) => html`
            <tr data-op=${op} class=${op === at ? "diverges" : at !== null && op > at ? "after-divergence" : ""}>
              <td>${op}</td><td>${cell(a.states[op])}</td><td>${cell(b.states[op])}</td>
            </tr>
          `,
          )}
        </tbody>
      </table>
    </section>
  `;
}
