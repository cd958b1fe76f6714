// The inbox: every event sent to the execution, and the wait that received it (or
// that none did: an event sent to a name nothing waits for shows here and nowhere else).
import { formatClock, short } from "./format.js";
import { html } from "./html.js";

export function InboxTable({ inbox, onSelect }) {
  if (!inbox || inbox.length === 0)
    return html`<p class="muted" data-testid="inbox-empty">No events sent.</p>`;
  return html`
    <table class="events" data-testid="inbox">
      <thead>
        <tr><th>Seq</th><th>Sent (UTC)</th><th>Event</th><th>Received by</th><th>Payload</th></tr>
      </thead>
      <tbody>
        ${inbox.map(
          (entry) => html`
            <tr data-inbox-seq=${entry.seq} data-consumed=${entry.consumedBy ? "true" : "false"}>
              <td>${entry.seq}</td>
              <td>${formatClock(entry.at)}</td>
              <td>${entry.name}</td>
              <td>${
                entry.consumedBy
                  ? html`<button type="button" class="link" onClick=${() => onSelect({ kind: "event", seq: entry.consumedBy.seq })}>${entry.consumedBy.name} (event ${entry.consumedBy.seq})</button>`
                  : html`<span class="muted">not received: no wait has taken it</span>`
              }</td>
              <td class="payload-cell">${short(entry.payload)}</td>
            </tr>
          `,
        )}
      </tbody>
    </table>
  `;
}
