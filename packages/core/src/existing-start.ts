import type { EngineEnv } from "./engine-env.js";
import type { EventOfType } from "./events.js";
import { ExecutionAlreadyExistsError } from "./execution-errors.js";
import type { ExecutionRecord } from "./store.js";

/**
 * What `client.start` does when the id is taken (Temporal's WorkflowIdConflictPolicy,
 * in our words):
 * - `"attach"` (default): return the existing execution if it runs the same workflow
 *   with an equal input (a retried start), else throw ExecutionAlreadyExistsError;
 * - `"fail"`: always throw ExecutionAlreadyExistsError;
 * - `"use-existing"`: return the existing execution of that workflow, whatever its input.
 */
export type IfExists = "attach" | "fail" | "use-existing";

/**
 * Throws ExecutionAlreadyExistsError unless `policy` lets `client.start` attach to the
 * existing execution `record`. Inputs are compared as the journal holds them: the
 * new input goes through the codec and back, so a Buffer equals its Uint8Array and an
 * `undefined` field equals the same field written before; key order does not matter.
 */
export async function checkExistingStart(
  env: EngineEnv,
  record: ExecutionRecord,
  request: { workflow: string; input: unknown; policy: IfExists | undefined },
): Promise<void> {
  const { id } = record;
  const exists = `An execution with id "${id}" already exists (workflow "${record.workflow}", status ${record.status})`;
  if (request.policy === "fail") {
    throw new ExecutionAlreadyExistsError(
      id,
      `${exists}, and client.start was called with ifExists: "fail". Use another id, or ifExists: "attach" to attach to it.`,
    );
  }
  if (record.workflow !== request.workflow) {
    throw new ExecutionAlreadyExistsError(
      id,
      `${exists}: it runs workflow "${record.workflow}", not "${request.workflow}". Use another id.`,
    );
  }
  if (request.policy === "use-existing") return;
  // The first run's input is the one client.start gave (a later run has ctx.continueAsNew's).
  const [first] = await env.store.journal.readRun(id, 1, 0);
  if (!first) return; // no journal to compare with: an empty record, attach as before
  const started = env.codec.decodeEvent(first, id, 0) as EventOfType<"ExecutionStarted">;
  const proposed = { ...started, input: request.input };
  const { copy: normalized } = env.codec.encodeWithCopy(proposed, "the input of client.start");
  if (sameValue(started.input, normalized.input)) return;
  throw new ExecutionAlreadyExistsError(
    id,
    `${exists} and was started with a different input. client.start attaches to an existing execution only ` +
      'when the workflow and the input are equal (ifExists: "attach", the default). Use another id for a new ' +
      'execution, or pass ifExists: "use-existing" to attach to it whatever its input.',
  );
}

/** Deep equality of decoded journal values: plain objects (any key order), arrays, Date, Uint8Array. */
function sameValue(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (a instanceof Date || b instanceof Date) {
    return a instanceof Date && b instanceof Date && Object.is(a.getTime(), b.getTime());
  }
  if (a instanceof Uint8Array || b instanceof Uint8Array) {
    if (!(a instanceof Uint8Array && b instanceof Uint8Array) || a.byteLength !== b.byteLength) return false;
    return a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!(Array.isArray(a) && Array.isArray(b)) || a.length !== b.length) return false;
    return a.every((item, i) => sameValue(item, b[i]));
  }
  const keysA = Object.keys(a);
  const keysB = Object.keys(b);
  if (keysA.length !== keysB.length) return false;
  const recordB = b as Record<string, unknown>;
  return keysA.every(
    (key) => Object.hasOwn(recordB, key) && sameValue((a as Record<string, unknown>)[key], recordB[key]),
  );
}
