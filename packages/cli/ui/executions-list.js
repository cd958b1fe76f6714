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

export function ExecutionsList() {
  const [status, setStatus] = useState("");
  const [workflow, setWorkflow] = useState("");
  const [where, setWhere] = useState("");
  const params = new URLSearchParams({ limit: "200" });
  if (status) params.set("status", status);
  if (workflow.trim()) params.set("workflow", workflow.trim());
  for (const pair of wherePairs(where)) params.append("where", pair);
  const { value: executions, error } = useLive(`/api/live?${params}`, "executions");
  return html`
    <section class="panel">
      <div class="panel-title">
        <h1>Executions</h1>
        <span class="live" title="updated live from the store">live</span>
      </div>
      <form class="filters" onSubmit=${(e) => e.preventDefault()}>
        <label>Status
          <select name="status" value=${status} onChange=${(e) => setStatus(e.currentTarget.value)}>
            ${STATUSES.map((s) => html`<option value=${s}>${s || "any"}</option>`)}
          </select>
        </label>
        <label>Workflow
          <input name="workflow" placeholder="any" value=${workflow} onInput=${(e) => setWorkflow(e.currentTarget.value)} />
        </label>
        <label title="search attributes, all must match: customerId=c-42 tier=2">Attributes
          <input name="where" placeholder="customerId=c-42 tier=2" value=${where} onInput=${(e) => setWhere(e.currentTarget.value)} />
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
