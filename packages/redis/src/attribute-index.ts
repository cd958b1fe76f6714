import {
  type AttributeValue,
  attributeIndexValue,
  type CountFilter,
  type ExecutionRecord,
  type SearchAttributes,
} from "@stepline/core";
import type { Cluster, Redis } from "ioredis";
import type { KeySpace } from "./keys.js";
import type { LuaScripts } from "./lua-scripts.js";
import { nullable, parseRecord } from "./record-codec.js";

/**
 * The search attribute index of a Redis store (`list({ where })`, `count({ where })`),
 * as the lifecycle indexes are kept (lifecycle-index.ts): it lives in the prefix's slot,
 * apart from the records, so it cannot change atomically with one. An append that
 * changes attributes writes them to the record (`a:<name>` fields, append-events.lua)
 * and replies with the record and its `rev`; {@link syncReply} then hands them to
 * index-attributes.lua, which ignores an update older than the one it applied, so the
 * index ends as the record is.
 *
 * One sorted set holds every entry, `<name>\t<bytes>:<typed value>\t<id>`, scores 0: the
 * executions with one (name, value) are one ZRANGEBYLEX range. The byte length before the
 * value keeps a value that contains a tab from reading as a shorter one. Names cannot
 * contain a tab (identifiers.ts, "attribute name").
 *
 * `list` reads the records the index names and checks them (storeRules.matches): an
 * entry left behind by a process that died between the append and the sync finds nothing
 * it should not. `count` reads no record (count-attributes.lua: the attribute index and
 * the lifecycle members hash), as the lifecycle counts do, so such an entry is counted
 * until the execution's next attribute change, its delete, or `rebuild()`
 * (lifecycle-index.ts), which brings this index to the records as well. The opposite (an
 * entry not yet written) is made right the same ways.
 */
export class AttributeIndex {
  readonly #client: Redis | Cluster;
  readonly #scripts: LuaScripts;
  readonly #keys: KeySpace;

  constructor(client: Redis | Cluster, scripts: LuaScripts, keys: KeySpace) {
    this.#client = client;
    this.#scripts = scripts;
    this.#keys = keys;
  }

  /** After append-events.lua changed attributes: the record in its reply (flat fields from `from`). */
  async syncReply(flat: readonly unknown[], from: number): Promise<void> {
    const record = parseRecord(flat, from);
    if (!record?.status) return;
    let rev = 0;
    for (let i = from; i + 1 < flat.length; i += 2) {
      if (String(flat[i]) === "rev") rev = Number(String(flat[i + 1]));
    }
    await this.sync(record, rev);
  }

  async sync(record: ExecutionRecord, rev: number): Promise<void> {
    const k = this.#keys.attributes();
    const entries = Object.entries(record.attributes ?? {}).map(([name, value]) =>
      entry(name, value, record.id),
    );
    await this.#scripts.run("index-attributes", [k.members, k.entries], [record.id, rev, ...entries]);
  }

  /** After a delete: the execution leaves the index. */
  async forget(id: string): Promise<void> {
    const k = this.#keys.attributes();
    await this.#scripts.run("index-attributes", [k.members, k.entries], [id, "forget"]);
  }

  /**
   * How many executions the index names for every pair of `where` (non-empty) with
   * `filter`'s status and workflow (the lifecycle members hash, which the caller has
   * built), in one script that reads no record.
   */
  async count(where: SearchAttributes, filter: CountFilter): Promise<number> {
    const k = this.#keys.attributes();
    const prefixes = Object.entries(where).map(([name, value]) => entryPrefix(name, value));
    const reply = await this.#scripts.run(
      "count-attributes",
      [k.entries, this.#keys.lifecycle().members],
      [nullable(filter.status), nullable(filter.workflow), ...prefixes],
    );
    return Number(reply);
  }

  /**
   * Ids the index names for every pair of `where` (non-empty): the range of the first
   * pair, each id checked against the other pairs' entries (ZSCORE: ZMSCORE needs Redis 6.2).
   */
  async find(where: SearchAttributes): Promise<string[]> {
    const k = this.#keys.attributes();
    const [first, ...rest] = Object.entries(where);
    if (!first) return [];
    const start = entryPrefix(first[0], first[1]);
    const members = await this.#client.zrangebylex(
      k.entries,
      Buffer.concat([Buffer.from("["), start]),
      // No UTF-8 text has the byte 0xff: this bound follows every id.
      Buffer.concat([Buffer.from("("), start, Buffer.from([0xff])]),
    );
    let ids = members.map((member) => member.slice(start.toString().length));
    for (const [name, value] of rest) {
      if (ids.length === 0) break;
      const scores = await Promise.all(
        ids.map((id) => this.#client.zscore(k.entries, entry(name, value, id))),
      );
      ids = ids.filter((_, i) => scores[i] !== null);
    }
    return ids;
  }
}

/** The start of the entries of one (name, value): `<name>\t<bytes>:<typed value>\t`. */
function entryPrefix(name: string, value: AttributeValue): Buffer {
  const typed = attributeIndexValue(value);
  return Buffer.from(`${name}\t${Buffer.byteLength(typed)}:${typed}\t`);
}

function entry(name: string, value: AttributeValue, id: string): string {
  return `${entryPrefix(name, value).toString()}${id}`;
}
