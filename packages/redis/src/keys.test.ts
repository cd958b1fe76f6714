import calculateSlot from "cluster-key-slot";
import { describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";

// Ids as users write them, and ones built to break hash tags: braces, empty, unicode.
const IDS = [
  "order-1",
  "",
  "a{b}c",
  "}x",
  "{",
  "{}",
  "x}{y",
  "q:orders",
  "ünïcødé-😀",
  "sl:order-1",
  "a".repeat(500),
];
const WORKFLOWS = ["orders", "", "w{1}", "}", "😀"];

const slotOf = (keys: readonly string[]) => new Set(keys.map((key) => calculateSlot(key)));

describe("KeySpace", () => {
  it("gives every key of one execution one slot, whatever its id", () => {
    for (const prefix of ["sl", "t1", "my:app"]) {
      const space = new KeySpace(prefix);
      for (const id of IDS) {
        const keys = Object.values(space.execution(id));
        expect(keys, `keys of "${id}"`).toHaveLength(3);
        expect(slotOf(keys).size, `slots of "${id}" under "${prefix}"`).toBe(1);
      }
    }
  });

  it("puts the journals of closed runs in the execution's slot, apart from every other key", () => {
    const space = new KeySpace("sl");
    for (const id of IDS) {
      const keys = [...Object.values(space.execution(id)), space.runJournal(id, 1), space.runJournal(id, 12)];
      expect(slotOf(keys).size, `slots of "${id}" with its runs`).toBe(1);
    }
    const all = IDS.flatMap((id) => [
      ...Object.values(space.execution(id)),
      space.runJournal(id, 1),
      space.runJournal(id, 2),
    ]);
    expect(new Set(all).size).toBe(all.length);
    expect(space.runJournal("x", 3)).toBe("{sl:x}:journal:run:3");
  });

  it("gives every key of one workflow's queue one slot", () => {
    const space = new KeySpace("sl");
    for (const workflow of WORKFLOWS) {
      expect(slotOf(Object.values(space.queue(workflow))).size, `slots of queue "${workflow}"`).toBe(1);
    }
  });

  it("spreads executions over slots: the tag holds the id, not only the prefix", () => {
    const space = new KeySpace("sl");
    const slots = new Set(
      Array.from({ length: 200 }, (_, i) => calculateSlot(space.execution(`order-${i}`).record)),
    );
    expect(slots.size).toBeGreaterThan(150);
  });

  it("never spells one key for two things", () => {
    const space = new KeySpace("sl");
    const all = [
      ...IDS.flatMap((id) => Object.values(space.execution(id))),
      ...WORKFLOWS.flatMap((workflow) => Object.values(space.queue(workflow))),
      space.created,
      space.workers,
    ];
    expect(new Set(all).size).toBe(all.length);
  });

  it("names every key of a prefix in its SCAN patterns, and none of another prefix", () => {
    const space = new KeySpace("t1");
    const patterns = space
      .patterns()
      .map((p) => new RegExp(`^${p.replace(/[{}]/g, "\\$&").replace("*", ".*")}$`));
    const covered = (key: string) => patterns.some((pattern) => pattern.test(key));
    const mine = [
      ...Object.values(space.execution("x")),
      ...Object.values(space.queue("w")),
      space.created,
      space.workers,
    ];
    expect(mine.filter((key) => !covered(key))).toEqual([]);
    const other = new KeySpace("t10");
    const theirs = [
      ...Object.values(other.execution("x")),
      ...Object.values(other.queue("w")),
      other.created,
      other.workers,
    ];
    expect(theirs.filter(covered)).toEqual([]);
  });

  it("refuses a prefix with braces or an empty one, naming it", () => {
    expect(() => new KeySpace("a{b")).toThrow(/Redis key prefix "a\{b" contains "\{" or "\}"/);
    expect(() => new KeySpace("")).toThrow(/Redis key prefix "" is empty/);
    expect(() => new KeySpace("sl\u0000")).toThrow(/control character U\+0000/);
    expect(() => new KeySpace("sl\uD800")).toThrow(/unpaired UTF-16 surrogate/);
    expect(() => new KeySpace("p".repeat(65))).toThrow(/65 bytes of UTF-8, more than the 64 allowed/);
  });
});
