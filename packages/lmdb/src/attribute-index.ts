import {
  attributeIndexChanges,
  attributeIndexValue,
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
 * | db           | key                             | value |
 * |--------------|---------------------------------|-------|
 * | `attributes` | [name, typed value, executionId] | empty |
 *
 * The typed value is `attributeIndexValue` ("s:c-42", "n:3", "b:true"). A store written
 * before attributes has no record with any, so an empty (or, read-only, absent) db is
 * already its index: nothing to build.
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
}

export function openAttributeIndex(root: RootDatabase): AttributeIndex {
  const db = root.openDB<Uint8Array, AttributeKey>("attributes", { encoding: "binary" }) as
    | Database<Uint8Array, AttributeKey>
    | undefined;
  const EMPTY = new Uint8Array(0);

  const idsOf = (name: string, value: string): string[] => {
    const ids: string[] = [];
    // [name, value] sorts before every [name, value, id]; stop at the first other pair.
    for (const [keyName, keyValue, id] of db?.getKeys({ start: [name, value] as unknown as AttributeKey }) ??
      []) {
      if (keyName !== name || keyValue !== value) break;
      ids.push(id);
    }
    return ids;
  };

  return {
    update(previous, next) {
      if (!db || previous?.attributes === next?.attributes) return;
      const id = (next ?? previous)?.id as string;
      const { removed, added } = attributeIndexChanges(previous?.attributes, next?.attributes);
      for (const [name, value] of removed) db.remove([name, value, id]);
      for (const [name, value] of added) db.put([name, value, id], EMPTY);
    },
    find(where) {
      const pairs = Object.entries(where).map(([name, value]) => [name, attributeIndexValue(value)] as const);
      const [first, ...rest] = pairs;
      if (!first || !db) return [];
      return idsOf(first[0], first[1]).filter((id) =>
        rest.every(([name, value]) => db.doesExist([name, value, id])),
      );
    },
  };
}
