import {
  CancelledError,
  InvalidArgumentError,
  NonDeterminismError,
  RetryableError,
  SteplineError,
  TerminalError,
  TimeoutError,
} from "./errors.js";
import type { SerializedError } from "./events.js";
import {
  ExecutionAlreadyExistsError,
  ExecutionBlockedError,
  ExecutionFinishedError,
  ExecutionNotFoundError,
  HistoryLimitError,
  RedriveRefusedError,
  UnknownWorkflowError,
} from "./execution-errors.js";
import { InputValidationError } from "./input-schema.js";
import {
  ChildFailedError,
  CompensationError,
  MapFailedError,
  StepFailedError,
  StepInterruptedError,
} from "./operation-errors.js";
import {
  CorruptJournalError,
  DefinitionsOnlyError,
  EngineClosedError,
  LeaseLostError,
  PayloadTooLargeError,
  SerializationError,
  StoreOpenError,
  StoreReadOnlyError,
} from "./store-errors.js";
import { serializeThrown } from "./thrown-value.js";
import {
  UpdateFailedError,
  UpdateNotCompletedError,
  UpdateNotFoundError,
  UpdateRejectedError,
} from "./update-errors.js";

/** A class whose instances can be rebuilt from the journal, looked up by `name`. */
export type ErrorClass = abstract new (...args: never[]) => Error;

const BUILT_IN: readonly ErrorClass[] = [
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
  SteplineError,
  TerminalError,
  RetryableError,
  NonDeterminismError,
  TimeoutError,
  CancelledError,
  CompensationError,
  StepFailedError,
  StepInterruptedError,
  ChildFailedError,
  MapFailedError,
  ExecutionAlreadyExistsError,
  ExecutionBlockedError,
  ExecutionNotFoundError,
  HistoryLimitError,
  ExecutionFinishedError,
  UnknownWorkflowError,
  SerializationError,
  PayloadTooLargeError,
  CorruptJournalError,
  LeaseLostError,
  InvalidArgumentError,
  EngineClosedError,
  RedriveRefusedError,
  StoreOpenError,
  StoreReadOnlyError,
  UpdateNotFoundError,
  UpdateRejectedError,
  UpdateFailedError,
  UpdateNotCompletedError,
  DefinitionsOnlyError,
  InputValidationError,
];

/**
 * Maps error names to classes: JavaScript's built-in errors, Stepline's, and any
 * the user registers (`createEngine({ errors: [PaymentDeclined] })`), so a
 * journaled error comes back with the same class on every replay.
 */
export class ErrorRegistry {
  readonly #classes = new Map<string, ErrorClass>();

  constructor(extra: readonly ErrorClass[] = []) {
    for (const cls of BUILT_IN) this.#classes.set(nameOf(cls), cls);
    for (const cls of extra) {
      const name = nameOf(cls);
      const taken = this.#classes.get(name);
      if (taken && taken !== cls) {
        throw new InvalidArgumentError(
          `Error class ${cls.name || "(anonymous)"} is registered under the name "${name}", which ${
            BUILT_IN.includes(taken) ? "a built-in error" : `class ${taken.name}`
          } already has. Errors are rebuilt from the journal by name: give the class its own, e.g. ` +
            `\`override name = "${cls.name || "MyError"}"\`.`,
        );
      }
      this.#classes.set(name, cls);
    }
  }

  /**
   * Journal form of any thrown value: bounded by {@link ERROR_LIMITS}, plain data,
   * and never throws, whatever was thrown (thrown-value.ts).
   */
  serialize(thrown: unknown): SerializedError {
    return serializeThrown(thrown);
  }

  /** Rebuilds the error: registered class (else `Error`), name, message, stack, fields, cause. */
  deserialize(serialized: SerializedError): Error {
    const cls = this.#classes.get(serialized.name) ?? Error;
    const error = Object.create(cls.prototype) as Error;
    Object.defineProperty(error, "message", {
      value: serialized.message,
      writable: true,
      configurable: true,
    });
    Object.defineProperty(error, "stack", {
      value: serialized.stack ?? `${serialized.name}: ${serialized.message}`,
      writable: true,
      configurable: true,
    });
    // Defined, not assigned: a field named like a setter of the class must not run it.
    for (const [key, value] of Object.entries(serialized.data ?? {})) {
      if (key === "__proto__") continue;
      Object.defineProperty(error, key, { value, writable: true, enumerable: true, configurable: true });
    }
    if (error.name !== serialized.name) {
      Object.defineProperty(error, "name", { value: serialized.name, writable: true, configurable: true });
    }
    if (serialized.cause) {
      Object.defineProperty(error, "cause", {
        value: this.deserialize(serialized.cause),
        writable: true,
        configurable: true,
      });
    }
    return error;
  }
}

function nameOf(cls: ErrorClass): string {
  // Stepline errors set `name` as an instance field, so read it from an instance.
  try {
    return Reflect.construct(cls as unknown as new (message: string) => Error, ["probe"]).name;
  } catch {
    return cls.name;
  }
}
