// The event history: one row per journal event; a click selects it.
import { eventSummary, formatClock, short } from "./format.js";
import { html } from "./html.js";

/** `upTo`: the seq the page views the execution as of; later events are drawn as not yet happened. */
export function EventTable({ events, upTo, selection, highlighted, onSelect }) {
  const names = new Map();
  for (const event of events) {
    if (typeof event.op === "number" && typeof event.name === "string" && !names.has(event.op))
      names.set(event.op, event.name);
  }
  return html`
    <table class="events">
      <thead>
        <tr><th>Seq</th><th>Time (UTC)</th><th>+Delta</th><th>Event</th><th>Step</th><th>Attempt</th><th>Payload</th></tr>
      </thead>
      <tbody>
        ${events.map((event, i) => {
          const delta = i === 0 ? 0 : event.at - events[i - 1].at;
          const selected = selection?.kind === "event" && selection.seq === event.seq;
          const related = highlighted.has(event.seq);
          return html`
            <tr
              data-seq=${event.seq} data-type=${event.type}
              class=${`${selected ? "selected" : ""}${related ? " related" : ""}${upTo !== undefined && event.seq > upTo ? " later" : ""}`}
              onClick=${() => onSelect({ kind: "event", seq: event.seq })}>
              <td>${event.seq}</td>
              <td>${formatClock(event.at)}</td>
              <td>+${delta}ms</td>
              <td class=${`event-type ${/Failed|TimedOut/.test(event.type) ? "is-failed" : /Succeeded|Fired|Received/.test(event.type) ? "is-succeeded" : ""}`}>${event.type}</td>
              <td>${typeof event.op === "number" ? (names.get(event.op) ?? `op ${event.op}`) : ""}</td>
              <td>${event.attempt ?? ""}</td>
              <td class="payload-cell">${short(eventSummary(event))}</td>
            </tr>
          `;
        })}
      </tbody>
    </table>
  `;
}
