import { assertPlainData } from "./codec.js";
import { InvalidArgumentError } from "./errors.js";
import { ExecutionAlreadyExistsError } from "./execution-errors.js";
import { assertIdentifier } from "./identifiers.js";
import { showValue } from "./show-value.js";
import type { ExecutionRecord } from "./store.js";

/**
 * Signal-with-start (Temporal's signalWithStart; docs/talking-to-executions.md): the
 * event `client.start(workflow, input, { id, event })` delivers with the start. The
 * store creates the execution with the event as inbox entry 0, or delivers it to the
 * existing execution with that id, in one atomic write, so of many clients racing on
 * one id none loses its event and all reach the same execution.
 *
 * @example
 * await client.start(cart, { userId }, { id: `cart-${userId}`, event: { name: "add", payload: item } });
 */
export interface StartEvent {
  /** The event name a `ctx.waitForEvent(name)` waits for (the rule of event names). */
  name: string;
  /** Plain data, as `client.sendEvent` takes; default undefined. */
  payload?: unknown;
}

/**
 * The signal-with-start option of {@link StartOptions}.
 *
 * @example
 * const options: StartEventOption = { event: { name: "approval", payload: true } };
 */
export interface StartEventOption {
  /**
   * Deliver this event with the start (signal-with-start): a new execution gets it as
   * its first inbox entry; an existing one of the same workflow that has not finished
   * gets it as `client.sendEvent` would give it, and its handle is returned whatever its
   * input. A finished one refuses it with ExecutionFinishedError, one of another workflow
   * with ExecutionAlreadyExistsError; nothing is written then. `ifExists` can only be
   * left out or `"use-existing"` with it.
   */
  event?: StartEvent;
}

/**
 * Checks `options.event` of `client.start` before anything is written: an object with
 * an event name (identifier rule) and a plain-data payload, and no `ifExists` policy it
 * cannot keep. Returns the event, or undefined when there is none.
 */
export function checkStartEvent(options: StartEventOption & { ifExists?: unknown }): StartEvent | undefined {
  const { event, ifExists } = options;
  if (event === undefined) return undefined;
  if (event === null || typeof event !== "object" || Array.isArray(event)) {
    throw new InvalidArgumentError(
      `client.start: event must be an object { name, payload? }; got ${showValue(event)}.`,
    );
  }
  assertIdentifier(event.name, "event name", "client.start: event.name");
  assertPlainData(event.payload, `The payload of event "${event.name}"`);
  if (ifExists !== undefined && ifExists !== "use-existing") {
    throw new InvalidArgumentError(
      `client.start: ifExists ${showValue(ifExists)} cannot be combined with event. With an event, an existing ` +
        "execution of the workflow that has not finished gets the event and its handle is returned whatever its " +
        'input (ifExists: "use-existing", the only policy allowed with event). Leave ifExists out, or use ' +
        "client.sendEvent to reach an execution you know exists.",
    );
  }
  return { name: event.name, payload: event.payload };
}

/**
 * After a signal-with-start found the id taken: the store delivered the event unless the
 * existing execution runs another workflow, which this reports (nothing was written).
 * A finished execution was refused by the store already (ExecutionFinishedError).
 */
export function checkEventDelivered(record: ExecutionRecord, workflow: string, event: StartEvent): void {
  if (record.workflow === workflow) return;
  throw new ExecutionAlreadyExistsError(
    record.id,
    `An execution with id "${record.id}" already exists (workflow "${record.workflow}", status ${record.status}): ` +
      `it runs workflow "${record.workflow}", not "${workflow}", so client.start did not deliver event ` +
      `"${event.name}" to it. Use another id, or client.sendEvent to send it to that execution.`,
  );
}
