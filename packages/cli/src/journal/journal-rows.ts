import type { JournalEvent } from "@stepline/core";
import { attemptOf, type EventFields, eventSummary, fieldsOf, operationNames, opOf } from "./event-fields.js";

/** One journal event as the history table shows it. */
export interface JournalRow {
  seq: number;
  /** Epoch ms. */
  at: number;
  /** Ms since the previous event (0 for the first). */
  delta: number;
  type: string;
  /** Operation index, if the event is about one. */
  op: number | undefined;
  /** The operation's name (`op 3` when the journal never named it). */
  step: string;
  attempt: number | undefined;
  /** What the event is about; see {@link eventSummary}. */
  summary: unknown;
}

/**
 * The journal as table rows, in seq order: each completion event is named after the
 * operation that its scheduling event named.
 *
 * @example
 * journalRows(await client.history(id)).map((r) => `${r.seq} ${r.type} ${r.step}`);
 * // ["0 ExecutionStarted ", "1 StepScheduled reserve", "2 StepSucceeded reserve", ...]
 */
export function journalRows(events: readonly (JournalEvent | EventFields)[]): JournalRow[] {
  const fields = events.map(fieldsOf);
  const names = operationNames(fields);
  return fields.map((event, i) => {
    const op = opOf(event);
    const previous = i === 0 ? event.at : (fields[i - 1] as EventFields).at;
    return {
      seq: event.seq,
      at: event.at,
      delta: event.at - previous,
      type: event.type,
      op,
      step: op === undefined ? "" : (names.get(op) ?? `op ${op}`),
      attempt: attemptOf(event),
      summary: eventSummary(event),
    };
  });
}
