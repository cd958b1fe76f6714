import type { StandardSchemaV1 } from "@standard-schema/spec";
import { guard, InvalidArgumentError, SteplineError } from "./errors.js";
import { showValue } from "./show-value.js";

/**
 * Input schemas: `workflow(name, fn, { input: schema })` with any Standard Schema V1
 * (zod 4, valibot 1, arktype, ...). The input is validated where it enters, before
 * anything is written: `client.start` (sync or async schemas) and `ctx.child` /
 * `ctx.startChild` in the parent's code (sync schemas only: workflow code must not
 * wait on anything that is not journaled). The schema's output, possibly transformed,
 * is what ExecutionStarted journals, so every replay sees the same value and the
 * schema is not run again on replay of the child. docs/getting-started.md#input-schemas.
 */

/**
 * One problem a schema found: its message, and where in the input, as keys and
 * indexes (empty: the input itself). Plain data, so it survives the journal.
 *
 * @example
 * const issue: InputIssue = { message: "Invalid input: expected string, received number", path: ["items", 1, "sku"] };
 */
export interface InputIssue {
  readonly message: string;
  readonly path: readonly (string | number)[];
}

/** Issues listed in a message; the rest are counted ("and 3 more"), all are in `issues`. */
const LISTED_ISSUES = 10;

/**
 * The input given to `client.start`, `ctx.child` or `ctx.startChild` does not match
 * the workflow's input schema. Nothing was written. `issues` has every issue the
 * schema reported (message and path); the message lists them on one line.
 *
 * @example
 * try {
 *   await client.start(signup, { email: "nope" });
 * } catch (error) {
 *   if (InputValidationError.is(error)) console.log(error.issues); // [{ message: "Invalid email address", path: ["email"] }]
 * }
 */
export class InputValidationError extends SteplineError {
  override readonly code = "STEPLINE_INPUT_VALIDATION";
  override name = "InputValidationError";
  readonly workflow: string;
  readonly issues: readonly InputIssue[];
  constructor(workflow: string, issues: readonly InputIssue[], where = "client.start") {
    const listed = (issues ?? []).slice(0, LISTED_ISSUES).map(showIssue).join("; ");
    const more = (issues ?? []).length > LISTED_ISSUES ? `; and ${issues.length - LISTED_ISSUES} more` : "";
    super(
      `${where}: the input of workflow "${workflow}" does not match its input schema: ${listed}${more}. ` +
        "Nothing was started. Pass an input the schema accepts, or change the schema given to " +
        `workflow("${workflow}", fn, { input }). See docs/getting-started.md#input-schemas.`,
    );
    this.workflow = workflow;
    this.issues = issues ?? [];
  }
  static override is = guard<InputValidationError>("STEPLINE_INPUT_VALIDATION");
}

/** `email: Invalid email address`; `items[0].sku: Required`; `(input): Expected object`. */
function showIssue(issue: InputIssue): string {
  const path = issue.path
    .map((key, i) => (typeof key === "number" ? `[${key}]` : i === 0 ? key : `.${key}`))
    .join("");
  return `${path || "(input)"}: ${issue.message.replace(/\s+/g, " ").trim()}`;
}

/**
 * Checks the `input` option of `workflow(name, fn, options)`: undefined (no schema) or
 * a Standard Schema V1. Anything else is an InvalidArgumentError.
 */
export function checkInputSchema(schema: unknown, name: string): StandardSchemaV1 | undefined {
  if (schema === undefined) return undefined;
  // arktype's types are functions, zod's and valibot's objects.
  const standard =
    (typeof schema === "object" || typeof schema === "function") && schema !== null
      ? (schema as { "~standard"?: { version?: unknown; validate?: unknown } })["~standard"]
      : undefined;
  if (standard?.version !== 1 || typeof standard.validate !== "function") {
    const got =
      standard === undefined
        ? showValue(schema)
        : "an object whose ~standard is not version 1 with validate()";
    throw new InvalidArgumentError(
      `workflow("${name}", fn, { input }): input must be a Standard Schema V1, an object with ` +
        `"~standard": { version: 1, validate } such as a zod 4, valibot 1 or arktype schema; got ${got}. ` +
        "Pass the schema itself, e.g. { input: z.object({ email: z.email() }) }.",
    );
  }
  return schema as StandardSchemaV1;
}

/** The journal form of a schema's issues: messages as strings, paths of keys (symbols as text). */
function toIssues(issues: readonly StandardSchemaV1.Issue[]): InputIssue[] {
  return issues.map((issue) => ({
    message: String(issue.message),
    path: (issue.path ?? []).map((segment) => {
      const key = typeof segment === "object" && segment !== null ? segment.key : segment;
      return typeof key === "number" || typeof key === "string" ? key : String(key);
    }),
  }));
}

function outcome(
  result: StandardSchemaV1.Result<unknown>,
  workflow: string,
  where: string,
): { value: unknown } {
  if (result.issues) throw new InputValidationError(workflow, toIssues(result.issues), where);
  return { value: result.value };
}

/**
 * What `client.start` journals for `input`: the schema's output, or `input` itself
 * when the definition has no schema. Throws InputValidationError when the schema
 * refuses it. Async schemas are awaited.
 */
export async function validateStartInput(
  definition: { name: string; input?: StandardSchemaV1 | undefined } | undefined,
  input: unknown,
): Promise<unknown> {
  const schema = definition?.input;
  if (!schema) return input;
  const result = await schema["~standard"].validate(input);
  return outcome(result, definition.name, "client.start").value;
}

/**
 * What `ctx.child` / `ctx.startChild` (`where`) starts the child with: the child
 * schema's output, or `input` when it has none. Throws InputValidationError for an
 * input the schema refuses, and InvalidArgumentError for a schema that answers with a
 * Promise (an async refinement): workflow code may not wait on anything that is not
 * journaled, so the call cannot await it.
 */
export function validateChildInput(
  definition: { name: string; input?: StandardSchemaV1 | undefined },
  input: unknown,
  where: "ctx.child" | "ctx.startChild",
): unknown {
  const schema = definition.input;
  if (!schema) return input;
  const result = schema["~standard"].validate(input);
  if (typeof (result as { then?: unknown }).then === "function") {
    // Never awaited: its rejection must not go unhandled.
    Promise.resolve(result).catch(() => {});
    throw new InvalidArgumentError(
      `${where}("${definition.name}"): the input schema of workflow "${definition.name}" is async (it ` +
        "returned a Promise), and workflow code can only validate synchronously, since it waits only on " +
        "journaled operations. Use a schema without async refinements for workflows started as children, " +
        "or do the async check in a ctx.step before the call. See docs/getting-started.md#input-schemas.",
    );
  }
  return outcome(
    result as StandardSchemaV1.Result<unknown>,
    definition.name,
    `${where}("${definition.name}")`,
  ).value;
}
