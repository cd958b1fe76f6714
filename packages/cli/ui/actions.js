// Actions on an execution: send an event and cancel while it lives; redrive a failed
// one; resume a blocked one.
import { useState } from "preact/hooks";
import { executionPath, postJson } from "./api.js";
import { html } from "./html.js";

const TERMINAL = new Set(["succeeded", "failed", "cancelled"]);

export function Actions({ report }) {
  const { execution, pending } = report;
  const waitingFor = pending.find((s) => s.kind === "wait")?.name ?? "";
  const [name, setName] = useState(waitingFor);
  const [payload, setPayload] = useState("");
  const [confirming, setConfirming] = useState(false);
  const [message, setMessage] = useState(null);
  const act = (path, done) => async () => {
    try {
      await postJson(`${executionPath(execution.id)}/${path}`, {});
      setMessage({ error: false, text: done });
    } catch (error) {
      setMessage({ error: true, text: error.message });
    }
  };
  const note =
    message &&
    html`<p class=${message.error ? "error" : "ok"} data-testid="action-message">${message.text}</p>`;
  if (execution.status === "failed") {
    return html`
      <section class="panel actions">
        <button type="button" name="redrive" onClick=${act("redrive", "Redriven: its failed steps run again.")}>
          Redrive from the failed steps
        </button>
        ${note}
      </section>
    `;
  }
  if (TERMINAL.has(execution.status)) return null;

  const send = async (event) => {
    event.preventDefault();
    let value;
    try {
      value = payload.trim() === "" ? undefined : JSON.parse(payload);
    } catch (error) {
      setMessage({ error: true, text: `The payload is not JSON: ${error.message}` });
      return;
    }
    const eventName = name || waitingFor;
    try {
      await postJson(`${executionPath(execution.id)}/events`, { name: eventName, payload: value });
      setMessage({ error: false, text: `Sent "${eventName}".` });
    } catch (error) {
      setMessage({ error: true, text: error.message });
    }
  };
  const cancel = async () => {
    setConfirming(false);
    try {
      await postJson(`${executionPath(execution.id)}/cancel`, { reason: "cancelled from the inspector" });
      setMessage({ error: false, text: "Cancellation requested." });
    } catch (error) {
      setMessage({ error: true, text: error.message });
    }
  };
  return html`
    <section class="panel actions">
      <form class="send-event" onSubmit=${send}>
        <label>Event <input name="event-name" required value=${name || waitingFor} placeholder="name" onInput=${(e) => setName(e.currentTarget.value)} /></label>
        <label>Payload (JSON) <input name="event-payload" value=${payload} placeholder="true" onInput=${(e) => setPayload(e.currentTarget.value)} /></label>
        <button type="submit" name="send-event">Send event</button>
      </form>
      ${
        execution.status === "blocked" &&
        html`<button type="button" name="resume" onClick=${act("resume", "Resumed: a worker runs it again.")}>Resume</button>`
      }
      <div class="cancel">
        ${
          confirming
            ? html`<button type="button" class="danger" name="confirm-cancel" onClick=${cancel}>Confirm cancel</button>
              <button type="button" onClick=${() => setConfirming(false)}>Keep running</button>`
            : html`<button type="button" class="danger" name="cancel" onClick=${() => setConfirming(true)}>Cancel execution</button>`
        }
      </div>
      ${note}
    </section>
  `;
}
