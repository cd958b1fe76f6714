/**
 * Search attributes (docs/talking-to-executions.md): small facts a workflow states
 * about itself, kept on its execution record and indexed by every store, so that
 * `client.list({ where })` and `client.count({ where })` find executions by them.
 *
 * ```ts
 * ctx.setAttributes({ customerId: "c-42", region: "eu" });
 * ctx.setAttributes({ region: null }); // removes region
 * await client.list({ where: { customerId: "c-42" }, status: "running" });
 * ```
 *
 * Semantics:
 * - each call is merged over the earlier ones (the latest value of a key wins); a
 *   `null` value removes the key;
 * - the call journals `AttributesSet { attributes }` (the update as given) and takes no
 *   op index, as PatchApplied (patching.ts): a journal with or without it replays the
 *   same ops. The n-th call of a run matches the run's n-th AttributesSet: on replay
 *   it writes nothing and changes nothing (the journal, not the code, is what the
 *   record holds);
 * - the runner hands the merged update of the events it appends to the store
 *   (`AppendRequest.attributes`), which changes the record and its index in the same
 *   write as the append;
 * - the record keeps its attributes across continue-as-new (it is the execution's, not
 *   the run's); delete and retention remove them from the index with the record.
 *
 * Limits (checked where the call is made, InvalidArgumentError): names follow the
 * "attribute name" identifier rule (identifiers.ts); values are strings of at most
 * {@link MAX_ATTRIBUTE_STRING_BYTES} UTF-8 bytes, finite numbers or booleans; at most
 * {@link MAX_ATTRIBUTES} distinct names per run.
 */
import { InvalidArgumentError } from "./errors.js";
import type { JournalEvent, NewEvent } from "./events.js";
import { assertIdentifier, utf8ByteLength } from "./identifiers.js";

/** The value of one search attribute. */
export type AttributeValue = string | number | boolean;

/** An execution's search attributes: name to value. */
export type SearchAttributes = Readonly<Record<string, AttributeValue>>;

/** What `ctx.setAttributes` takes: a `null` value removes the attribute. */
export type AttributesUpdate = Readonly<Record<string, AttributeValue | null>>;

/** Most distinct attribute names one run may set (a removed one still counts). */
export const MAX_ATTRIBUTES = 32;
/** Most UTF-8 bytes in a string attribute value. */
export const MAX_ATTRIBUTE_STRING_BYTES = 256;

/** A lone UTF-16 surrogate: UTF-8 cannot hold it, so no store would give it back. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Why `value` is not an attribute value (null allowed when `allowNull`), or undefined. */
function valueProblem(value: unknown, allowNull: boolean): string | undefined {
  if (value === null) return allowNull ? undefined : "is null; a where filter matches values, not removals";
  switch (typeof value) {
    case "boolean":
      return undefined;
    case "number":
      return Number.isFinite(value) ? undefined : `is ${value}; expected a finite number`;
    case "string": {
      if (LONE_SURROGATE.test(value)) return "contains an unpaired UTF-16 surrogate, which UTF-8 cannot hold";
      const bytes = utf8ByteLength(value);
      return bytes > MAX_ATTRIBUTE_STRING_BYTES
        ? `is ${bytes} bytes of UTF-8, more than the ${MAX_ATTRIBUTE_STRING_BYTES} allowed`
        : undefined;
    }
    default:
      return `is ${Array.isArray(value) ? "an array" : typeof value}`;
  }
}

const VALUE_RULE = `An attribute value is a string (at most ${MAX_ATTRIBUTE_STRING_BYTES} bytes of UTF-8), a finite number or a boolean`;

/**
 * Checks a map of attributes (`ctx.setAttributes`'s update, or a `where` filter) and
 * returns it as a plain object. Throws InvalidArgumentError naming the call, the
 * attribute and what is allowed.
 *
 * @example
 * checkAttributes({ customerId: "c-42" }, "client.list: where", false);
 */
export function checkAttributes(value: unknown, where: string, allowNull: true): AttributesUpdate;
export function checkAttributes(value: unknown, where: string, allowNull: false): SearchAttributes;
export function checkAttributes(value: unknown, where: string, allowNull: boolean): AttributesUpdate {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const found = value === null ? "null" : Array.isArray(value) ? "an array" : typeof value;
    throw new InvalidArgumentError(
      `${where} must be an object of attribute names to values, not ${found}: { customerId: "c-42" }.`,
    );
  }
  const entries = Object.entries(value);
  if (entries.length > MAX_ATTRIBUTES) {
    throw new InvalidArgumentError(
      `${where} has ${entries.length} attributes, more than the ${MAX_ATTRIBUTES} allowed.`,
    );
  }
  const checked: Record<string, AttributeValue | null> = {};
  for (const [name, v] of entries) {
    assertIdentifier(name, "attribute name", where);
    const problem = valueProblem(v, allowNull);
    if (problem !== undefined) {
      const removal = allowNull ? " (null removes the attribute)" : "";
      throw new InvalidArgumentError(`${where}: attribute "${name}" ${problem}. ${VALUE_RULE}${removal}.`);
    }
    checked[name] = v as AttributeValue | null;
  }
  return checked;
}

/** Why an AttributesSet's `attributes` field is malformed (journal-rules.ts), or undefined. */
export function attributesFieldProblem(value: unknown): string | undefined {
  try {
    checkAttributes(value, "attributes", true);
    return undefined;
  } catch (error) {
    return `has a bad attributes field (${(error as Error).message})`;
  }
}

/**
 * `current` with `update` merged over it (`null` removes); undefined when nothing is
 * left, so that a record without attributes has none (no empty object).
 *
 * @example
 * mergeAttributes({ a: 1, b: 2 }, { b: null, c: true }); // { a: 1, c: true }
 */
export function mergeAttributes(
  current: SearchAttributes | undefined,
  update: AttributesUpdate,
): SearchAttributes | undefined {
  const next: Record<string, AttributeValue> = { ...current };
  for (const [name, value] of Object.entries(update)) {
    if (value === null) delete next[name];
    else next[name] = value;
  }
  return Object.keys(next).length === 0 ? undefined : next;
}

/**
 * The update the AttributesSet events among `events` make, merged in order (a later
 * value of a name wins, `null` kept so the store removes it); undefined for none.
 * The runner passes it with the append (`AppendRequest.attributes`).
 */
export function attributesUpdateOf(events: readonly NewEvent[]): AttributesUpdate | undefined {
  let update: Record<string, AttributeValue | null> | undefined;
  for (const event of events) {
    if (event.type === "AttributesSet") update = { ...update, ...event.attributes };
  }
  return update;
}

/** True when `attributes` has every name of `where` with an equal value. */
export function matchesWhere(attributes: SearchAttributes | undefined, where: SearchAttributes): boolean {
  for (const [name, value] of Object.entries(where)) {
    if (attributes?.[name] !== value) return false;
  }
  return true;
}

/**
 * A value as index keys hold it: typed, so the string "1", the number 1 and `true`
 * are three values ("s:1", "n:1", "b:true"). -0 and 0 are one value, as `===` says.
 *
 * @example
 * attributeIndexValue("c-42"); // "s:c-42"
 */
export function attributeIndexValue(value: AttributeValue): string {
  if (typeof value === "string") return `s:${value}`;
  if (typeof value === "number") return `n:${value === 0 ? 0 : value}`;
  return `b:${value}`;
}

/**
 * The index changes between two versions of a record's attributes: the [name, value]
 * pairs to remove and to add (a pair whose value did not change is in neither).
 */
export function attributeIndexChanges(
  before: SearchAttributes | undefined,
  after: SearchAttributes | undefined,
): { removed: [string, string][]; added: [string, string][] } {
  const removed: [string, string][] = [];
  const added: [string, string][] = [];
  for (const [name, value] of Object.entries(before ?? {})) {
    if (after?.[name] !== value) removed.push([name, attributeIndexValue(value)]);
  }
  for (const [name, value] of Object.entries(after ?? {})) {
    if (before?.[name] !== value) added.push([name, attributeIndexValue(value)]);
  }
  return { removed, added };
}

/**
 * The memory store's attribute index: (name, value) to the ids that have it. `list`
 * and `count` with `where` read the smallest set and check the rest.
 */
export class AttributeIndex {
  readonly #ids = new Map<string, Set<string>>();

  /** Moves `id` from the pairs of `before` to those of `after` (undefined: none). */
  update(id: string, before: SearchAttributes | undefined, after: SearchAttributes | undefined): void {
    if (before === after) return;
    const { removed, added } = attributeIndexChanges(before, after);
    for (const pair of removed) {
      const key = JSON.stringify(pair);
      const ids = this.#ids.get(key);
      ids?.delete(id);
      if (ids?.size === 0) this.#ids.delete(key);
    }
    for (const pair of added) {
      const key = JSON.stringify(pair);
      const ids = this.#ids.get(key);
      if (ids) ids.add(id);
      else this.#ids.set(key, new Set([id]));
    }
  }

  /** Ids whose attributes match every pair of `where` (a non-empty filter). */
  find(where: SearchAttributes): string[] {
    const sets = Object.entries(where).map(
      ([name, value]) =>
        this.#ids.get(JSON.stringify([name, attributeIndexValue(value)])) ?? new Set<string>(),
    );
    sets.sort((a, b) => a.size - b.size);
    const [smallest, ...rest] = sets;
    return [...(smallest ?? [])].filter((id) => rest.every((ids) => ids.has(id)));
  }

  /** Pairs indexed (for tests: a deleted execution leaves none behind). */
  get size(): number {
    let n = 0;
    for (const ids of this.#ids.values()) n += ids.size;
    return n;
  }
}

/**
 * The replay side of `ctx.setAttributes` for one run: the n-th call of the run is the
 * journal's n-th AttributesSet when there is one (nothing to write), else a new event.
 */
export class AttributeCalls {
  #recorded = 0;
  #calls = 0;
  readonly #names = new Set<string>();

  /** Reads one event of the journal the run starts from (the run's one pass over it). */
  observe(event: JournalEvent): void {
    if (event.type !== "AttributesSet") return;
    this.#recorded++;
    for (const name of Object.keys(event.attributes)) this.#names.add(name);
  }

  /** The event to journal for this call (undefined on replay). Throws past MAX_ATTRIBUTES names. */
  decide(update: AttributesUpdate): NewEvent | undefined {
    const call = this.#calls++;
    if (call < this.#recorded) return undefined;
    const names = new Set(this.#names);
    for (const name of Object.keys(update)) names.add(name);
    if (names.size > MAX_ATTRIBUTES) {
      this.#calls--;
      throw new InvalidArgumentError(
        `ctx.setAttributes: this run would set ${names.size} distinct attribute names, more than the ${MAX_ATTRIBUTES} allowed. ` +
          "Reuse a few names (remove one with null); attributes are for finding executions, not for their data.",
      );
    }
    for (const name of Object.keys(update)) this.#names.add(name);
    return { type: "AttributesSet", attributes: { ...update } };
  }
}

/**
 * `checked` (a list or count filter whose other fields were checked) with the `where`
 * of `filter` checked and kept; an empty `where` is dropped (it matches everything).
 *
 * @example
 * store.executions.count(withWhere(checkCountFilter(filter), filter, "client.count"));
 */
export function withWhere<F extends object>(
  checked: F,
  filter: unknown,
  call: string,
): F & { where?: SearchAttributes } {
  const where = (filter as { where?: unknown } | undefined)?.where;
  if (where === undefined) return checked;
  const attributes = checkAttributes(where, `${call}: where`, false);
  if (Object.keys(attributes).length === 0) {
    const { where: _dropped, ...rest } = checked as F & { where?: unknown };
    return rest as F;
  }
  return { ...checked, where: attributes };
}
