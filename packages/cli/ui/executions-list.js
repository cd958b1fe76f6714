// The executions list: filters, and a table that follows the store live.
import { useState } from "preact/hooks";
import { useLive } from "./api.js";
import { formatDuration, formatTimestamp } from "./format.js";
import { html } from "./html.js";

const STATUSES = ["", "running", "sleeping", "waiting", "blocked", "succeeded", "failed", "cancelled"];

/**
 * The pairs of the attributes filter, `customerId=c-42 tier=2`: split on spaces and
 * commas outside double quotes (`note="a b"`); each is read as `stepline list --where`.
 */
export function wherePairs(text) {
  return text.match(/(?:[^\s,"]+|"[^"]*")+/g) ?? [];
}

/** Executions a page shows; the server pages (`after`), so 10,000 executions cost one page. */
const PAGE = 200;

export function ExecutionsList() {
  const [status, setStatus] = useState("");
  const [workflow, setWorkflow] = useState("");
  const [where, setWhere] = useState("");
  // The pages gone past: the last id of each (the newest page is live and has none).
  const [cursors, setCursors] = useState([]);
  const filter = (set) => (value) => {
    setCursors([]);
    set(value);
  };
  const params = new URLSearchParams({ limit: String(PAGE) });
  if (status) params.set("status", status);
  if (workflow.trim()) params.set("workflow", workflow.trim());
  for (const pair of wherePairs(where)) params.append("where", pair);
  if (cursors.length > 0) params.set("after", cursors[cursors.length - 1]);
  const { value: executions, error } = useLive(`/api/live?${params}`, "executions");
  const pager =
    executions &&
    (cursors.length > 0 || executions.length === PAGE) &&
    html`
    <p class="pager" data-testid="pager">
      ${cursors.length > 0 && html`<button type="button" name="newer" onClick=${() => setCursors(cursors.slice(0, -1))}>← Newer</button>`}
      <span class="muted" data-testid="page-number">page ${cursors.length + 1}</span>
      ${
        executions.length === PAGE &&
        html`<button type="button" name="older" onClick=${() => setCursors([...cursors, executions[executions.length - 1].id])}>Older →</button>`
      }
    </p>`;
  return html`
    <section class="panel">
      <div class="panel-title">
        <h1>Executions</h1>
        <span class="live" title="updated live from the store">live</span>
      </div>
      <form class="filters" onSubmit=${(e) => e.preventDefault()}>
        <label>Status
          <select name="status" value=${status} onChange=${(e) => filter(setStatus)(e.currentTarget.value)}>
            ${STATUSES.map((s) => html`<option value=${s}>${s || "any"}</option>`)}
          </select>
        </label>
        <label>Workflow
          <input name="workflow" placeholder="any" value=${workflow} onInput=${(e) => filter(setWorkflow)(e.currentTarget.value)} />
        </label>
        <label title="search attributes, all must match: customerId=c-42 tier=2">Attributes
          <input name="where" placeholder="customerId=c-42 tier=2" value=${where} onInput=${(e) => filter(setWhere)(e.currentTarget.value)} />
        </label>
      </form>
      ${error && html`<p class="error">${error}</p>`}
      ${
        executions === undefined
          ? html`<p class="muted">Loading...</p>`
          : executions.length === 0
            ? html`<p class="muted">No executions${status || workflow || where.trim() ? " match these filters" : " in this store yet"}.</p>`
            : html`<${ExecutionsTable} executions=${executions} />`
      }
      ${pager}
    </section>
  `;
}

function ExecutionsTable({ executions }) {
  return html`
    <table class="executions">
      <thead>
        <tr><th>Id</th><th>Workflow</th><th>Status</th><th>Started</th><th>Duration</th><th>Current step</th><th>Attributes</th></tr>
      </thead>
      <tbody>
        ${executions.map(
          (e) => html`
            <tr data-id=${e.id} data-status=${e.status} onClick=${() => (location.hash = `#/executions/${encodeURIComponent(e.id)}`)}>
              <td><a href=${`#/executions/${encodeURIComponent(e.id)}`}>${e.id}</a></td>
              <td>${e.workflow}</td>
              <td><span class="badge" data-status=${e.status}>${e.status}</span>${e.noWorker && html` <span class="muted" data-testid="no-worker" title=${`no worker has announced workflow ${e.workflow}`}>no worker</span>`}</td>
              <td>${formatTimestamp(Date.parse(e.startedAt))}</td>
              <td>${formatDuration(e.durationMs)}</td>
              <td>${e.currentStep ?? ""}</td>
              <td class="attributes" data-testid="row-attributes" title=${attributesText(e.attributes)}>${attributesText(e.attributes)}</td>
            </tr>
          `,
        )}
      </tbody>
    </table>
  `;
}

/** `customerId="c-42" tier=2`, as `stepline list` and the execution header show them. */
function attributesText(attributes) {
  return Object.entries(attributes ?? {})
    .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
    .join(" ");
}
