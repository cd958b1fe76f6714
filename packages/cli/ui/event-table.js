// The event history: one row per journal event; a click selects it. A long journal
// (above WINDOW_FROM events) is drawn windowed: only the rows in view, and a few around
// them, are in the page, between two spacer rows, so 50,000 events scroll as smoothly
// as 50 (inspector.browser.test.ts).
import { useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import { eventSummary, formatClock, short } from "./format.js";
import { html } from "./html.js";

const WINDOW_FROM = 500;
const ROW_HEIGHT = 29; // px: one line of 13px text with its padding (style.css `.events-window td`)
const OVERSCAN = 20;

/** `upTo`: the seq the page views the execution as of; later events are drawn as not yet happened. */
export function EventTable({ events, upTo, selection, highlighted, onSelect }) {
  const names = new Map();
  for (const event of events) {
    if (typeof event.op === "number" && typeof event.name === "string" && !names.has(event.op))
      names.set(event.op, event.name);
  }
  const row = (event) => {
    const i = event.seq;
    const delta = i === 0 ? 0 : event.at - events[i - 1].at;
    const selected = selection?.kind === "event" && selection.seq === event.seq;
    const related = highlighted.has(event.seq);
    return html`
      <tr
        key=${event.seq} data-seq=${event.seq} data-type=${event.type}
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
  };
  const head = html`<thead>
    <tr><th>Seq</th><th>Time (UTC)</th><th>+Delta</th><th>Event</th><th>Step</th><th>Attempt</th><th>Payload</th></tr>
  </thead>`;
  if (events.length <= WINDOW_FROM) {
    return html`<table class="events">${head}<tbody>${events.map(row)}</tbody></table>`;
  }
  return html`<${WindowedTable} events=${events} head=${head} row=${row} selection=${selection} highlighted=${highlighted} />`;
}

function WindowedTable({ events, head, row, selection, highlighted }) {
  const scroller = useRef(null);
  const [top, setTop] = useState(0);
  const [height, setHeight] = useState(600);
  useLayoutEffect(() => {
    if (scroller.current) setHeight(scroller.current.clientHeight || 600);
  }, []);
  // A selection made elsewhere (a state in the diagram, the inbox) scrolls its event into view.
  const target =
    selection?.kind === "event" ? selection.seq : highlighted.size > 0 ? Math.min(...highlighted) : undefined;
  useEffect(() => {
    const element = scroller.current;
    if (target === undefined || !element) return;
    const y = target * ROW_HEIGHT;
    if (y < element.scrollTop || y > element.scrollTop + element.clientHeight - ROW_HEIGHT) {
      element.scrollTop = Math.max(0, y - element.clientHeight / 2);
    }
  }, [target]);
  const first = Math.max(0, Math.floor(top / ROW_HEIGHT) - OVERSCAN);
  const last = Math.min(events.length, Math.ceil((top + height) / ROW_HEIGHT) + OVERSCAN);
  return html`
    <div
      class="events-window" ref=${scroller} data-testid="events-window" data-rows=${events.length}
      onScroll=${(e) => setTop(e.currentTarget.scrollTop)}>
      <table class="events">
        ${head}
        <tbody>
          <tr class="spacer" aria-hidden="true" style=${`height: ${first * ROW_HEIGHT}px`}></tr>
          ${events.slice(first, last).map(row)}
          <tr class="spacer" aria-hidden="true" style=${`height: ${(events.length - last) * ROW_HEIGHT}px`}></tr>
        </tbody>
      </table>
    </div>
  `;
}
