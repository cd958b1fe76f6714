import { InvalidArgumentError } from "./errors.js";
import { reservedSuffixProblem } from "./step-identity.js";

/**
 * The one check of every identifier that enters Stepline: execution ids, workflow
 * names, step, timer, event and child names, idempotency-key names and Redis key
 * prefixes. Core, the stores, the compiler and the CLI call it where the identifier
 * enters (DESIGN.md section 9), so an identifier that passes here is one every store
 * keeps exactly: stores and MessagePack encode text as UTF-8, which cannot represent
 * an unpaired surrogate (it comes back as U+FFFD, and the journal no longer matches).
 *
 * The rule, for every kind: 1 to the kind's limit of UTF-8 bytes (the way LMDB and
 * Redis count a key), well-formed Unicode, and none of these: control characters
 * (C0 U+0000-U+001F, DEL U+007F, C1 U+0080-U+009F), line and paragraph separators
 * (U+2028, U+2029), the byte order mark (U+FEFF), bidirectional controls (U+061C,
 * U+200E, U+200F, U+202A-U+202E, U+2066-U+2069) and noncharacters (U+FDD0-U+FDEF,
 * U+xFFFE, U+xFFFF). They break log lines, terminals and keys, or are invisible.
 * Kinds add their own reservations (below).
 */

/** Most UTF-8 bytes in an execution id (derived child ids included). */
export const MAX_EXECUTION_ID_BYTES = 1024;
/** Most UTF-8 bytes in a workflow, step, timer, event, child or query name. */
export const MAX_IDENTIFIER_NAME_BYTES = 256;
/** Most bytes in a search attribute name (attributes.ts). */
export const MAX_ATTRIBUTE_NAME_BYTES = 64;
/** Most UTF-8 bytes in a Redis key prefix. */
export const MAX_KEY_PREFIX_BYTES = 64;

/** What an identifier is, as messages name it. */
export type IdentifierKind =
  | "execution id"
  | "child execution id"
  | "workflow name"
  | "step name"
  | "map name"
  | "timer name"
  | "event name"
  | "idempotency key name"
  | "patch id"
  | "query name"
  | "update name"
  | "update id"
  | "attribute name"
  | "Redis key prefix";

const ATTRIBUTE_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

const REFUSED_CHARACTER = /[\p{Cc}\p{Zl}\p{Zp}\p{Bidi_Control}\p{Noncharacter_Code_Point}\uFEFF]/u;
const REFUSED_CHARACTERS = new RegExp(REFUSED_CHARACTER.source, "gu");

const ALLOWED =
  "well-formed Unicode text without control characters (U+0000-U+001F, U+007F-U+009F), " +
  "line or paragraph separators, byte order marks, bidirectional controls or noncharacters";

/**
 * UTF-8 bytes of `text`, counting an unpaired surrogate as 3 (its U+FFFD replacement),
 * as `Buffer.byteLength` and the stores count.
 *
 * @example
 * utf8ByteLength("é"); // 2
 */
export function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    else if (unit >= 0xd800 && unit < 0xdc00 && i + 1 < text.length) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next < 0xe000) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * Why `text` breaks the common rule (module comment), or undefined when it keeps it.
 * Stores and workers use it to tell a record written before validation.
 *
 * @example
 * identifierProblem("user-\uD83D", 1024); // "contains an unpaired UTF-16 surrogate (U+D83D at index 5)"
 */
export function identifierProblem(text: string, maxBytes: number): string | undefined {
  if (text.length === 0) return "is empty";
  // String.prototype.isWellFormed, spelled out: the lib target here predates it.
  if (/[\uD800-\uDFFF]/.test(text)) {
    for (let i = 0; i < text.length; i++) {
      const unit = text.charCodeAt(i);
      const high = unit >= 0xd800 && unit < 0xdc00;
      const next = text.charCodeAt(i + 1);
      if (high && next >= 0xdc00 && next < 0xe000) i++;
      else if (high || (unit >= 0xdc00 && unit < 0xe000)) {
        return `contains an unpaired UTF-16 surrogate (${codePoint(unit)} at index ${i}), which UTF-8 cannot hold: text cut in the middle of a character`;
      }
    }
  }
  const refused = REFUSED_CHARACTER.exec(text);
  if (refused) {
    return `contains ${describeCharacter(refused[0])} at index ${refused.index}`;
  }
  const bytes = utf8ByteLength(text);
  if (bytes > maxBytes) return `is ${bytes} bytes of UTF-8, more than the ${maxBytes} allowed`;
  return undefined;
}

/**
 * Throws InvalidArgumentError unless `value` is a `kind` identifier: the common rule,
 * plus the kind's reservations. `where` is the call it came to (`client.start`).
 *
 * Reservations: a `/` in an execution id a user chooses (client.start, ctx.child's
 * `id`) and in a workflow name, because `/` separates the levels of the ids the
 * engine derives for children (`<parent>/<identity>`); `#<digits>` at the end of an
 * operation or workflow name (step-identity.ts); `stepline.` and `stepline-` at the
 * start of an event name (RESERVED_EVENT_PREFIXES); `{` and `}` in a Redis key prefix (they delimit hash tags).
 *
 * @example
 * assertIdentifier(options.id, "execution id", "client.start");
 * assertIdentifier(name, "step name", "ctx.step");
 */
export function assertIdentifier(
  value: unknown,
  kind: IdentifierKind,
  where: string,
): asserts value is string {
  check(value, kind, where, true);
}

/**
 * An execution id to look up (describe, sendEvent, cancel, ...): the common rule, `/`
 * allowed (child ids have it).
 *
 * @example
 * assertExecutionId(id, "client.describe");
 */
export function assertExecutionId(value: unknown, where: string): asserts value is string {
  check(value, "execution id", where, false);
}

function check(
  value: unknown,
  kind: IdentifierKind,
  where: string,
  reserved: boolean,
): asserts value is string {
  // Runs for every op the code issues, replayed ones too: the help text is built only to throw.
  const allowed = () => (reserved ? allowedFor(kind) : `${baseRule(kind)}.`);
  if (typeof value !== "string") {
    throw new InvalidArgumentError(
      `${where}: the ${kind} must be a string, not ${value === null ? "null" : typeof value}. ${allowed()}`,
    );
  }
  const problem =
    identifierProblem(value, maxBytesOf(kind)) ?? (reserved ? reservationProblem(value, kind) : undefined);
  if (problem !== undefined) {
    throw new InvalidArgumentError(`${where}: the ${kind} ${display(value)} ${problem}. ${allowed()}`);
  }
}

function maxBytesOf(kind: IdentifierKind): number {
  if (kind === "execution id" || kind === "child execution id") return MAX_EXECUTION_ID_BYTES;
  if (kind === "Redis key prefix") return MAX_KEY_PREFIX_BYTES;
  if (kind === "attribute name") return MAX_ATTRIBUTE_NAME_BYTES;
  return MAX_IDENTIFIER_NAME_BYTES;
}

/**
 * Event names that start with these are Stepline's: engine notices (`stepline.child-finished`,
 * continue-as-new.ts) and the control event of schedules (`stepline-schedule.control`,
 * schedules/schedule-workflow.ts). `client.sendEvent`, signal-with-start and
 * `ctx.waitForEvent` refuse them, so no user code can send or take an engine's event.
 */
export const RESERVED_EVENT_PREFIXES: readonly string[] = ["stepline.", "stepline-"];

/** Above 0 while the engine issues one of its own events (withEngineEventNames). */
let engineEventScopes = 0;

/**
 * Runs `issue` with the reservation of {@link RESERVED_EVENT_PREFIXES} lifted, for the
 * engine's own sends and waits (`engine.schedules` and the schedule workflow). Only the
 * synchronous part of `issue` is covered: the name must be checked before its first
 * await, as `client.sendEvent` and `ctx.waitForEvent` do (schedules.test.ts in
 * @stepline/testing fails if not: the schedule could no longer take its control).
 * Internal: not exported from the package.
 *
 * @example
 * await withEngineEventNames(() => client.sendEvent(id, SCHEDULE_CONTROL_EVENT, control));
 */
export function withEngineEventNames<T>(issue: () => T): T {
  engineEventScopes++;
  try {
    return issue();
  } finally {
    engineEventScopes--;
  }
}

function reservationProblem(value: string, kind: IdentifierKind): string | undefined {
  switch (kind) {
    case "execution id":
      return value.includes("/")
        ? 'contains "/", which is reserved for the ids Stepline derives for child executions ("<parent id>/<child name>")'
        : undefined;
    case "workflow name":
      if (value.includes("/")) {
        return 'contains "/", which separates the levels of child execution ids ("<parent id>/<workflow name>")';
      }
      return reservedSuffixProblem(value);
    case "event name": {
      const prefix = RESERVED_EVENT_PREFIXES.find((p) => value.startsWith(p));
      if (prefix !== undefined && engineEventScopes === 0) {
        return `starts with "${prefix}", which is reserved for Stepline's own events (engine notices, schedule control)`;
      }
      return reservedSuffixProblem(value);
    }
    case "step name":
    case "map name":
    case "timer name":
    case "idempotency key name":
      return reservedSuffixProblem(value);
    case "Redis key prefix":
      return /[{}]/.test(value) ? 'contains "{" or "}", which delimit the hash tags of the keys' : undefined;
    case "attribute name":
      // Names go into `--where name=value`, index keys and query strings as they are.
      return ATTRIBUTE_NAME.test(value)
        ? undefined
        : "is not a letter or _ followed by letters, digits, _, - or .";
    case "child execution id":
    case "patch id":
    case "query name":
    case "update name":
    case "update id":
      return undefined;
  }
}

function baseRule(kind: IdentifierKind): string {
  return `${/^[aeiou]/.test(kind) ? "An" : "A"} ${kind} is 1 to ${maxBytesOf(kind)} bytes of ${ALLOWED}`;
}

function allowedFor(kind: IdentifierKind): string {
  const base = baseRule(kind);
  switch (kind) {
    case "execution id":
      return `${base}, and has no "/" (reserved for child execution ids).`;
    case "workflow name":
      return `${base}, has no "/" and does not end in "#" and digits.`;
    case "event name":
      return `${base}, does not start with "stepline." or "stepline-" and does not end in "#" and digits.`;
    case "step name":
    case "map name":
    case "timer name":
    case "idempotency key name":
      return `${base}, and does not end in "#" and digits ("#" elsewhere is fine; in a loop, put the index in the name as "item-3").`;
    case "Redis key prefix":
      return `${base}, without "{" or "}".`;
    case "attribute name":
      return `An attribute name is 1 to ${MAX_ATTRIBUTE_NAME_BYTES} ASCII letters, digits, "_", "-" or ".", starting with a letter or "_" (customerId, order.region).`;
    case "child execution id":
    case "patch id":
    case "query name":
    case "update name":
    case "update id":
      return `${base}.`;
  }
}

function codePoint(value: number): string {
  return `U+${value.toString(16).toUpperCase().padStart(4, "0")}`;
}

function describeCharacter(character: string): string {
  const code = codePoint(character.codePointAt(0) as number);
  if (/\p{Cc}/u.test(character)) return `the control character ${code}`;
  if (character === "\u2028") return `the line separator ${code}`;
  if (character === "\u2029") return `the paragraph separator ${code}`;
  if (character === "\uFEFF") return `the byte order mark ${code}`;
  if (/\p{Bidi_Control}/u.test(character)) return `the bidirectional control ${code}`;
  return `the noncharacter ${code}`;
}

/** The value quoted for a message: refused characters and lone surrogates escaped, long ones cut. */
function display(value: string): string {
  const cut = value.length > 80 ? `${value.slice(0, 80)}...` : value;
  const escaped = cut
    .replace(REFUSED_CHARACTERS, (c) => `\\u{${(c.codePointAt(0) as number).toString(16).toUpperCase()}}`)
    .replace(
      /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g,
      (c) => `\\u{${c.charCodeAt(0).toString(16).toUpperCase()}}`,
    );
  return `"${escaped}"`;
}

const OPERATION_NAME_KINDS = {
  step: "step name",
  sleep: "timer name",
  waitForEvent: "event name",
  child: "workflow name",
} as const satisfies Record<string, IdentifierKind>;

/**
 * The name of a ctx operation (`ctx.child` is named after its workflow), checked
 * where the workflow code issues it.
 *
 * @example
 * assertOperationName("step", "charge"); // passes; "charge#2" throws
 */
export function assertOperationName(
  operation: keyof typeof OPERATION_NAME_KINDS,
  name: unknown,
): asserts name is string {
  assertIdentifier(name, OPERATION_NAME_KINDS[operation], `ctx.${operation}`);
}
