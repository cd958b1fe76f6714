import {
  attributeIndexChanges,
  attributeIndexValue,
  type CountFilter,
  type ExecutionRecord,
  type SearchAttributes,
} from "@stepline/core";
import type { Database, RootDatabase } from "lmdb";

/**
 * The search-attribute index (`ctx.setAttributes`, docs/talking-to-executions.md), kept
 * in the same write transaction as every record change (`Databases.putRecord` and
 * `removeRecord`), so an append that sets attributes changes the record and the index
 * atomically, and delete and retention take the entries away with the record:
 *
 * | db           | key                             | value                                 |
 * |--------------|---------------------------------|---------------------------------------|
 * | `attributes` | [name, typed value, executionId] | UTF-8 `<status>\t<workflow>` of the record |
 *
 * The typed value is `attributeIndexValue` ("s:c-42", "n:3", "b:true"). A store written
 * before attributes has no record with any, so an empty (or, read-only, absent) db is
 * already its index: nothing to build.
 *
 * The value carries the record's status and workflow so that `count({ where, status,
 * workflow })` is answered from the index alone, reading no record (attribute-index.test.ts
 * "count reads no record"). The price: a status change of an execution that has
 * attributes rewrites its entries (at most MAX_ATTRIBUTES puts, in the same
 * transaction). An entry written before values were kept is empty: count reads that
 * one record instead, and the entry gets its value at the record's next status change.
 */
export type AttributeKey = [name: string, value: string, executionId: string];

export interface AttributeIndex {
  /** Only inside a write transaction, with the record change. */
  update(previous: ExecutionRecord | undefined, next: ExecutionRecord | undefined): void;
  /**
   * Ids of executions with every pair of `where` (non-empty), read from the index only:
   * the ids of the first pair, each checked against the other pairs' keys.
   */
  find(where: SearchAttributes): string[];
  /**
   * How many executions have every pair of `where` (non-empty) and `filter`'s status
   * and workflow, from the index only; `recordOf` is asked only for an entry written
   * before entries held the status (empty value).
   */
  count(
    where: SearchAttributes,
    filter: CountFilter,
    recordOf: (id: string) => ExecutionRecord | undefined,
  ): number;
}

export function openAttributeIndex(root: RootDatabase): AttributeIndex {
  const db = root.openDB<Uint8Array, AttributeKey>("attributes", { encoding: "binary" }) as
    | Database<Uint8Array, AttributeKey>
    | undefined;
  const encoder = new TextEncoder();
  const decoder = new TextDecoder();
  const entryValueOf = (record: ExecutionRecord) => encoder.encode(`${record.status}\t${record.workflow}`);

  /** The [id, value] entries of one pair: [name, value] sorts before every [name, value, id]. */
  function* entriesOf(name: string, value: string): Generator<[string, Uint8Array]> {
    for (const { key, value: bytes } of db?.getRange({ start: [name, value] as unknown as AttributeKey }) ??
      []) {
      if (key[0] !== name || key[1] !== value) return;
      yield [key[2], bytes];
    }
  }
  const pairsOf = (where: SearchAttributes) =>
    Object.entries(where).map(([name, value]) => [name, attributeIndexValue(value)] as const);

  return {
    update(previous, next) {
      if (!db) return;
      const moved =
        previous !== undefined &&
        next !== undefined &&
        (previous.status !== next.status || previous.workflow !== next.workflow);
      if (previous?.attributes === next?.attributes && !moved) return;
      const id = (next ?? previous)?.id as string;
      const { removed, added } = attributeIndexChanges(previous?.attributes, next?.attributes);
      for (const [name, value] of removed) db.remove([name, value, id]);
      if (!next) return;
      const value = entryValueOf(next);
      // A new status rewrites every entry of the record; otherwise only the new pairs.
      const written = moved
        ? Object.entries(next.attributes ?? {}).map(([n, v]) => [n, attributeIndexValue(v)] as const)
        : added;
      for (const [name, typed] of written) db.put([name, typed, id], value);
    },
    find(where) {
      const [first, ...rest] = pairsOf(where);
      if (!first || !db) return [];
      const ids: string[] = [];
      for (const [id] of entriesOf(first[0], first[1])) {
        if (rest.every(([name, value]) => db.doesExist([name, value, id]))) ids.push(id);
      }
      return ids;
    },
    count(where, filter, recordOf) {
      const [first, ...rest] = pairsOf(where);
      if (!first || !db) return 0;
      let n = 0;
      for (const [id, bytes] of entriesOf(first[0], first[1])) {
        if (!rest.every(([name, value]) => db.doesExist([name, value, id]))) continue;
        if (filter.status === undefined && filter.workflow === undefined) {
          n++;
          continue;
        }
        let status: string | undefined;
        let workflow: string | undefined;
        if (bytes.length === 0) {
          const record = recordOf(id);
          status = record?.status;
          workflow = record?.workflow;
        } else {
          const text = decoder.decode(bytes);
          const tab = text.indexOf("\t");
          status = text.slice(0, tab);
          workflow = text.slice(tab + 1);
        }
        if (status === undefined) continue;
        if (filter.status !== undefined && status !== filter.status) continue;
        if (filter.workflow !== undefined && workflow !== filter.workflow) continue;
        n++;
      }
      return n;
    },
  };
}
