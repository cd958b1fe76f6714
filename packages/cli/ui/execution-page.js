// One execution: header, actions, the diagram, the selected item's details, the journal.
import { useState } from "preact/hooks";
import { Actions } from "./actions.js";
import { executionPath, useLive } from "./api.js";
import { DetailPanel } from "./detail-panel.js";
import { DiagramView } from "./diagram-view.js";
import { EventTable } from "./event-table.js";
import { formatDuration, formatTimestamp } from "./format.js";
import { html } from "./html.js";
import { InboxTable } from "./inbox-table.js";
import { TimeSlider, useArrowKeys, useReportAt } from "./time-slider.js";

export function ExecutionPage({ id }) {
  const { value: live, error: liveError } = useLive(`${executionPath(id)}/live`, "execution");
  const [selection, setSelection] = useState(null);
  // null: live; else the seq of the event the page shows the execution as of.
  const [position, setPosition] = useState(null);
  const last = live ? Math.max(0, live.events.length - 1) : 0;
  useArrowKeys(position, last, setPosition);
  const { report, error: atError } = useReportAt(id, position, live);
  const error = liveError ?? atError;
  if (!report) {
    return html`<p><a href="#/">← Executions</a></p>${error ? html`<p class="error" data-testid="page-error">${error}</p>` : html`<p class="muted">Loading...</p>`}`;
  }
  const { execution } = report;
  const selectedState =
    selection?.kind === "state" ? report.states.find((s) => s.op === selection.op) : undefined;
  const highlighted = new Set(selectedState?.seqs ?? []);
  return html`
    <p><a href="#/">← Executions</a></p>
    <section class="panel execution-header" data-testid="execution-header" data-status=${execution.status}>
      <div class="panel-title">
        <h1>${execution.id}</h1>
        <span class="badge badge--large" data-testid="execution-status" data-status=${execution.status}>${execution.status}</span>
        <span class="live" title="updated live from the store">live</span>
      </div>
      <dl class="fields fields--inline">
        <dt>Workflow</dt><dd>${execution.workflow}${execution.version ? ` v${execution.version}` : ""}</dd>
        <dt>Started</dt><dd>${formatTimestamp(Date.parse(execution.startedAt))}</dd>
        <dt>Duration</dt><dd>${formatDuration(execution.durationMs)}</dd>
        <dt>Current</dt><dd>${execution.currentStep ?? "-"}</dd>
        <dt>Events</dt><dd>${execution.historyLength}</dd>
        ${
          Object.keys(execution.attributes ?? {}).length > 0 &&
          html`<dt>Attributes</dt><dd data-testid="execution-attributes">${Object.entries(
            execution.attributes,
          ).map(
            ([name, value]) => html`<code class="attribute">${name}=${JSON.stringify(value)}</code> `,
          )}</dd>`
        }
      </dl>
      ${execution.error && html`<p class="error" data-testid="execution-error">Failed: ${execution.error.name}: ${execution.error.message}</p>`}
      ${execution.blockedReason && html`<p class="error">Blocked: ${execution.blockedReason}</p>`}
      ${
        execution.encryptedWith &&
        html`<p class="error" data-testid="encrypted">The journal is encrypted at rest with key "${execution.encryptedWith}": start stepline ui with --key-file (or STEPLINE_KEY_FILE) to read it.</p>`
      }
      ${
        execution.noWorker &&
        html`<p class="error" data-testid="no-worker">No worker has announced workflow ${execution.workflow}: nothing runs this execution until one that runs it starts on this store (check the workflow name).</p>`
      }
      ${error && html`<p class="error">${error}</p>`}
    </section>
    <${Actions} report=${live} key=${execution.status} />
    <${TimeSlider} events=${live.events} last=${last} position=${position} onMove=${setPosition} />
    <form class="panel compare-with" onSubmit=${(e) => {
      e.preventDefault();
      const other = new FormData(e.currentTarget).get("other")?.toString().trim();
      if (other) location.hash = `#/compare/${encodeURIComponent(id)}/${encodeURIComponent(other)}`;
    }}>
      <label>Compare with <input name="other" placeholder="another execution id" /></label>
      <button type="submit" name="compare">Compare</button>
    </form>
    <div class="columns">
      <section class="panel" data-testid="diagram-panel" data-as-of=${report.asOf ? report.asOf.seq : "live"}>
        <h2>Diagram${report.asOf ? html` <span class="muted">as of event ${report.asOf.seq}</span>` : ""}</h2>
        <${DiagramView} report=${report} selection=${selection} onSelect=${setSelection} />
      </section>
      <section class="panel detail" data-testid="detail">
        <${DetailPanel} report=${report} selection=${selection} onSelect=${setSelection} />
      </section>
    </div>
    <section class="panel">
      <h2>Inbox</h2>
      <${InboxTable} inbox=${report.inbox} onSelect=${setSelection} />
    </section>
    <section class="panel">
      <h2>Event history</h2>
      <${EventTable} events=${live.events} upTo=${report.asOf?.seq} selection=${selection} highlighted=${highlighted} onSelect=${setSelection} />
    </section>
  `;
}
