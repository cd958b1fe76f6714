import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "@stepline/core";
import { replayJournal } from "@stepline/testing";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { MAP_ITEMS, mapCrash } from "./fixtures/map-crash-workflow.js";
import { lmdbStore } from "./lmdb-store.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-map-crash-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function startWorker(env: Record<string, string>) {
  const child = spawn(
    process.execPath,
    [
      "--conditions=@stepline/source",
      "--import",
      "tsx",
      join(packageDir, "src/fixtures/map-crash-worker.ts"),
      dir,
    ],
    { cwd: packageDir, stdio: ["ignore", "pipe", "inherit"], env: { ...process.env, ...env } },
  );
  return { child, exited: once(child, "exit") };
}

describe("a worker process killed in the middle of a ctx.map", () => {
  it("is resumed by another worker that re-runs no journaled item step and ends with every result in order", async () => {
    const engine = createEngine({ store: lmdbStore(dir), workflows: [mapCrash], log: () => {} });
    try {
      const run = await engine.client.start(mapCrash, dir, { id: "map-crash-1" });
      // Worker 1 kills itself in its 15th step body, with other items in flight.
      const first = startWorker({ KILL_AT_BODY: "15" });
      const [, signal] = (await first.exited) as [number | null, string | null];
      expect(signal).toBe("SIGKILL");
      const atKill = await run.history();
      const journaledBeforeKill = new Set(atKill.flatMap((e) => (e.type === "StepSucceeded" ? [e.op] : [])));
      expect(journaledBeforeKill.size).toBeGreaterThan(0);
      expect(journaledBeforeKill.size).toBeLessThan(15);
      const nameOf = new Map(
        atKill.flatMap((e) => (e.type === "StepScheduled" ? [[e.op, e.name] as const] : [])),
      );

      const second = startWorker({});
      try {
        const output = await run.result({ timeout: "60s" });
        expect(output).toEqual(Array.from({ length: MAP_ITEMS }, (_, i) => i * 2));
      } finally {
        second.child.kill("SIGKILL");
        await second.exited;
      }
      const bodies = readFileSync(join(dir, "bodies.log"), "utf8").trim().split("\n");
      const runs = new Map<string, number>();
      for (const name of bodies) runs.set(name, (runs.get(name) ?? 0) + 1);
      expect(runs.size).toBe(MAP_ITEMS);
      for (const op of journaledBeforeKill) {
        const name = nameOf.get(op) as string;
        expect({ name, runs: runs.get(name) }).toEqual({ name, runs: 1 });
      }
      // Only bodies cut short by the kill ran twice: at most the 4 in flight.
      const twice = [...runs.values()].filter((n) => n > 1).length;
      expect(twice).toBeLessThanOrEqual(4);
      const history = await run.history();
      expect(history.filter((e) => e.type === "StepSucceeded").length).toBe(MAP_ITEMS);
      const report = await replayJournal(mapCrash, history);
      expect(report.blocked).toBeUndefined();
      expect(report.sameOutcome).toBe(true);
    } finally {
      await engine.close();
    }
  }, 90_000);
});
