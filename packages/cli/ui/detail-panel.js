// What is selected (a state of the diagram or an event of the history), in full:
// input, output, error and timings.
import { formatClock, formatDuration, formatTimestamp, pretty } from "./format.js";
import { html } from "./html.js";

export function DetailPanel({ report, selection, onSelect }) {
  if (!selection)
    return html`<p class="muted">Click a state or an event to see its input, output, error and timings.</p>`;
  if (selection.kind === "event")
    return html`<${EventDetail} event=${report.events.find((e) => e.seq === selection.seq)} />`;
  if (selection.kind === "start") return html`<${StartDetail} report=${report} />`;
  if (selection.kind === "end") return html`<${EndDetail} report=${report} />`;
  const state = report.states.find((s) => s.op === selection.op);
  return state ? html`<${StateDetail} state=${state} events=${report.events} onSelect=${onSelect} />` : null;
}

function Fields({ rows }) {
  return html`<dl class="fields">${rows
    .filter(([, value]) => value !== undefined && value !== "")
    .map(([label, value]) => html`<dt>${label}</dt><dd>${value}</dd>`)}</dl>`;
}

function Value({ title, value, testid }) {
  return html`<h3>${title}</h3><pre class="payload" data-testid=${testid}>${pretty(value)}</pre>`;
}

function ErrorBlock({ error }) {
  if (!error) return null;
  // A stack begins with "Name: message" itself: show that line once.
  const headline = `${error.name}: ${error.message}`;
  const stack = error.stack?.startsWith(headline)
    ? error.stack.slice(headline.length).replace(/^\n/, "")
    : error.stack;
  return html`<h3>Error</h3><pre class="payload payload--error" data-testid="detail-error">${headline}${stack ? `\n\n${stack}` : ""}</pre>`;
}

function EventDetail({ event }) {
  if (!event) return null;
  return html`
    <h2 data-testid="detail-title">Event ${event.seq} · ${event.type}</h2>
    <${Fields} rows=${[["Time", `${formatTimestamp(event.at)} (${formatClock(event.at)})`], ["Operation", event.op], ["Attempt", event.attempt]]} />
    <${Value} title="Event" value=${event} testid="event-payload" />
  `;
}

function StartDetail({ report }) {
  const { execution } = report;
  return html`
    <h2 data-testid="detail-title">Start · ${execution.workflow}</h2>
    <${Fields} rows=${[["Started", formatTimestamp(Date.parse(execution.startedAt))], ["Version", execution.version]]} />
    <${Value} title="Input" value=${execution.input} testid="detail-input" />
  `;
}

function EndDetail({ report }) {
  const { execution } = report;
  return html`
    <h2 data-testid="detail-title">End · ${execution.status}</h2>
    <${Fields} rows=${[["Duration", formatDuration(execution.durationMs)], ["Reason", execution.cancelReason ?? execution.blockedReason ?? undefined]]} />
    ${"output" in execution && html`<${Value} title="Output" value=${execution.output} testid="detail-output" />`}
    <${ErrorBlock} error=${execution.error} />
  `;
}

function StateDetail({ state, events, onSelect }) {
  const own = events.filter((e) => state.seqs.includes(e.seq));
  return html`
    <h2 data-testid="detail-title">${state.name}</h2>
    <${Fields} rows=${[
      ["Kind", state.kind],
      ["Status", html`<span class="badge" data-status=${state.status}>${state.status}</span>`],
      ["Operation", state.op],
      ["Attempts", state.attempts],
      ["Started", formatTimestamp(state.startedAt)],
      ["Ended", state.endedAt ? formatTimestamp(state.endedAt) : undefined],
      ["Took", state.endedAt ? formatDuration(state.endedAt - state.startedAt) : undefined],
      [
        state.kind === "timer" ? "Fires at" : state.status === "retrying" ? "Retries at" : "Times out at",
        state.dueAt ? formatTimestamp(state.dueAt) : undefined,
      ],
    ]} />
    <h3>Input</h3>
    <p class="muted">${state.kind === "step" ? "A step's input is the workflow code around it; the journal keeps its result." : "-"}</p>
    ${"result" in state && html`<${Value} title="Output" value=${state.result} testid="detail-output" />`}
    <${ErrorBlock} error=${state.error} />
    <h3>Events</h3>
    <ul class="state-events">
      ${own.map((e) => html`<li><button type="button" class="link" onClick=${() => onSelect({ kind: "event", seq: e.seq })}>#${e.seq} ${e.type}${e.attempt ? ` (attempt ${e.attempt})` : ""} at ${formatClock(e.at)}</button></li>`)}
    </ul>
  `;
}
