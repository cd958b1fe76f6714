/**
 * `client.update` (updates.ts has the replay engine's side): checks the request against
 * the execution's code by replaying its journal (handler registered, validator passes)
 * before anything is written, writes it to the inbox with its update id, and waits for
 * the journal to say how it ended. A retried call with the same `updateId` writes
 * nothing again and gets the same answer.
 */
import { assertPlainData } from "./codec.js";
import { type Duration, parseDuration } from "./duration.js";
import type { EngineEnv } from "./engine-env.js";
import { InvalidArgumentError, TimeoutError } from "./errors.js";
import { isTerminalEvent, type JournalEvent } from "./events.js";
import { ExecutionBlockedError, ExecutionFinishedError, ExecutionNotFoundError } from "./execution-errors.js";
import { assertExecutionId, assertIdentifier } from "./identifiers.js";
import { newId } from "./ids.js";
import { checkWorkflowOption, definitionOf } from "./queries.js";
import { TERMINAL_STATUSES } from "./store.js";
import { UpdateFailedError, UpdateNotCompletedError } from "./update-errors.js";
import type { WorkflowDefinition } from "./workflow.js";
import { WorkflowRun } from "./workflow-run.js";

/**
 * Options of `client.update`.
 *
 * @example
 * await client.update("cart-1", "add", "sku-1", { updateId: `add-${requestId}`, timeout: "30s" });
 */
export interface UpdateOptions {
  /**
   * Names the request, so that a caller retrying after a crash or a timeout gets the
   * first request's result instead of a second delivery. Default: a fresh id.
   */
  updateId?: string;
  /** How long to wait for the result; TimeoutError after it (the request stays delivered). */
  timeout?: Duration;
  /** The definition to check the request with, as for `client.query` (QueryOptions.workflow). */
  workflow?: WorkflowDefinition<never, unknown, never>;
}

const OPTIONS = new Set(["updateId", "timeout", "workflow"]);

/** `client.update`: check by replay, write the request, wait for its end (client.ts). */
export async function updateExecution(
  env: EngineEnv,
  id: string,
  name: string,
  args: unknown,
  options: UpdateOptions,
): Promise<unknown> {
  const call = `client.update("${id}", "${name}", args, options)`;
  assertExecutionId(id, "client.update");
  assertIdentifier(name, "update name", "client.update");
  checkWorkflowOption(options, call);
  for (const key of Object.keys(options)) {
    if (!OPTIONS.has(key)) {
      throw new InvalidArgumentError(
        `${call}: unknown option "${key}"; the options are updateId, timeout and workflow.`,
      );
    }
  }
  if (options.updateId !== undefined) assertIdentifier(options.updateId, "update id", "client.update");
  const timeoutMs =
    options.timeout === undefined ? undefined : parseDuration(options.timeout, "update timeout");
  assertPlainData(args, `The args of update "${name}"`);
  env.assertOpen("client.update");
  const record = await env.store.executions.get(id);
  if (!record) throw new ExecutionNotFoundError(id);
  const updateId = options.updateId ?? newId();
  const journal = await env.readJournal(id);
  const sent =
    journal.some((e) => "updateId" in e && e.updateId === updateId) ||
    (await env.store.inbox.read(id)).some(
      (bytes, i) => env.codec.decodeInboxEntry(bytes, id, i).update === updateId,
    );
  if (!sent) {
    if (TERMINAL_STATUSES.has(record.status)) throw new ExecutionFinishedError(id, record.status, "update");
    const definition = definitionOf(env, record, options.workflow, call);
    await checkRequest({ definition, executionId: id, journal, name, args }, env);
    const now = env.clock.now();
    const bytes = env.codec.encode(
      { name, payload: args, at: now, update: updateId },
      `The args of update "${name}"`,
    );
    await env.store.inbox.send(id, bytes, now);
    env.notifyInbox(id);
    env.wake();
  }
  const deadline = timeoutMs === undefined ? undefined : env.clock.now() + timeoutMs;
  return awaitUpdateEnd(env, { id, name, updateId, deadline });
}

/** Replays the journal and asks the code's handler and validator; throws their refusal. */
async function checkRequest(
  params: {
    definition: WorkflowDefinition<never, unknown, never>;
    executionId: string;
    journal: readonly JournalEvent[];
    name: string;
    args: unknown;
  },
  env: EngineEnv,
): Promise<void> {
  const run = new WorkflowRun({
    definition: params.definition as WorkflowDefinition<never, unknown>,
    executionId: params.executionId,
    journal: params.journal,
    errors: env.errors,
  });
  await run.replay();
  if (run.blocked) throw new ExecutionBlockedError(params.executionId, run.blocked.message);
  const refusal = run.updates.refusal(params.name, params.args);
  if (refusal) throw refusal;
}

/**
 * Reads the journal as it grows until it has the update's UpdateCompleted or
 * UpdateRejected; an end of the execution (or of its run, once the update was
 * accepted in it) first is UpdateNotCompletedError.
 */
async function awaitUpdateEnd(
  env: EngineEnv,
  request: { id: string; name: string; updateId: string; deadline: number | undefined },
): Promise<unknown> {
  const { id, name, updateId, deadline } = request;
  let run = 0;
  let from = 0;
  let accepted = false;
  let poll = Math.min(20, env.pollInterval);
  for (;;) {
    env.assertOpen("client.update");
    const record = await env.store.executions.get(id);
    if (!record) throw new ExecutionNotFoundError(id);
    if (record.run !== run) [run, from, accepted] = [record.run, 0, false];
    const events = await env.readJournal(id, from);
    from += events.length;
    for (const event of events) {
      if (event.type === "UpdateAccepted" && event.updateId === updateId) accepted = true;
      if (event.type === "UpdateRejected" && event.updateId === updateId)
        throw env.errors.deserialize(event.error);
      if (event.type === "UpdateCompleted" && event.updateId === updateId) {
        if (event.error) throw new UpdateFailedError(id, name, env.errors.deserialize(event.error));
        return event.result;
      }
      // Not yet accepted when the run continues as new: the request goes on to the next run's inbox.
      if (isTerminalEvent(event) || (event.type === "ContinuedAsNew" && accepted)) {
        const ended = event.type === "ContinuedAsNew" ? "continued as new" : `ended (${record.status})`;
        throw new UpdateNotCompletedError(id, name, ended, accepted);
      }
    }
    if (record.status === "blocked") throw new ExecutionBlockedError(id, record.blockedReason);
    const left = deadline === undefined ? poll : Math.min(poll, deadline - env.clock.now());
    if (left <= 0) {
      throw new TimeoutError(
        `Update "${name}" of execution "${id}" did not complete in time (update id "${updateId}"); the request ` +
          "stays delivered: call client.update again with this updateId to wait for its result.",
      );
    }
    await env.waitForFinish(id, left);
    poll = Math.min(poll * 2, env.pollInterval * 10, 1_000);
  }
}
