// Steps through an execution's journal: a slider (and the arrow keys) picks the event
// to view the execution as of; the page then shows the diagram and the details known
// at that moment, fetched with ?at=SEQ (src/inspector/api-routes.ts).
import { useEffect, useState } from "preact/hooks";
import { executionPath, getJson } from "./api.js";
import { formatClock } from "./format.js";
import { html } from "./html.js";

/**
 * The report as of `position` (null: the live one). Returns { report, error } once
 * fetched; the live report meanwhile, so the page does not blink.
 */
export function useReportAt(id, position, live) {
  const [state, setState] = useState({ position: null, report: undefined, error: undefined });
  useEffect(() => {
    if (position === null) return;
    let stale = false;
    getJson(`${executionPath(id)}?at=${position}`).then(
      (report) => !stale && setState({ position, report, error: undefined }),
      (error) => !stale && setState({ position, report: undefined, error: error.message }),
    );
    return () => {
      stale = true;
    };
  }, [id, position]);
  if (position === null || state.position !== position) return { report: live, error: state.error };
  return { report: state.report ?? live, error: state.error };
}

/**
 * Arrow keys (left/right one event, Home/End the first and the live end) move the
 * position while no input has the focus.
 */
export function useArrowKeys(position, last, setPosition) {
  useEffect(() => {
    const onKey = (event) => {
      if (event.target instanceof HTMLInputElement && event.target.type !== "range") return;
      const at = position ?? last;
      const moves = { ArrowLeft: at - 1, ArrowRight: at + 1, Home: 0, End: last };
      if (!(event.key in moves)) return;
      event.preventDefault();
      const next = Math.max(0, Math.min(last, moves[event.key]));
      setPosition(next >= last ? null : next);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [position, last, setPosition]);
}

export function TimeSlider({ events, last, position, onMove }) {
  const at = position ?? last;
  const event = events[Math.min(at, events.length - 1)];
  return html`
    <section class="panel time-slider" data-testid="time-slider">
      <label>
        Journal
        <input
          type="range" name="position" min="0" max=${last} value=${at}
          aria-label="Event to view the execution as of"
          onInput=${(e) => {
            const next = Number(e.currentTarget.value);
            onMove(next >= last ? null : next);
          }} />
      </label>
      <span data-testid="time-position">
        ${position === null ? `live: all ${last + 1} events` : `as of event ${at} of ${last}`}${
          event ? ` · ${formatClock(event.at)} · ${event.type}` : ""
        }
      </span>
      ${position !== null && html`<button type="button" name="live" onClick=${() => onMove(null)}>Back to live</button>`}
      <span class="muted">← → step through events, Home / End</span>
    </section>
  `;
}
