/**
 * The map phase in a process of its own, so that its peak memory is the map's and not
 * what earlier phases left behind: `node --expose-gc ... map-child.ts <memory|lmdb> <seconds>`
 * prints the figures (MapFigures) as one JSON line on stdout; progress goes to stderr.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { memoryStore } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { benchMap } from "./map-phase.js";
import { Progress } from "./progress.js";

const [kind, seconds] = process.argv.slice(2);
if (kind !== "memory" && kind !== "lmdb") throw new Error("usage: map-child.ts <memory|lmdb> <seconds>");
const store = async () => {
  if (kind === "memory") return { store: memoryStore(), dispose: async () => {} };
  const dir = mkdtempSync(join(tmpdir(), "stepline-bench-map-"));
  const lmdb = lmdbStore(dir);
  return {
    store: lmdb,
    dispose: async () => {
      await lmdb.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};
const figures = await benchMap(
  kind === "memory" ? "memory store" : "LMDB",
  store,
  new Progress(),
  Number(seconds),
);
process.stdout.write(`${JSON.stringify(figures)}\n`);
