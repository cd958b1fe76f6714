import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, StepFailedError, StepInterruptedError } from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { poison } from "./fixtures/poison-workflow.js";
import { lmdbStore } from "./lmdb-store.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-poison-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("a step that kills its worker process", () => {
  it("uses up its attempts and fails the execution instead of killing workers for ever", async () => {
    const engine = createEngine({ store: lmdbStore(dir), workflows: [poison], log: () => {} });
    const run = await engine.client.start(poison, null, { id: "poison-1" });
    let killed = 0;
    try {
      for (let worker = 0; worker < 6 && (await run.describe()).status !== "failed"; worker++) {
        const child = spawn(
          process.execPath,
          [
            "--conditions=@stepline/source",
            "--import",
            "tsx",
            join(packageDir, "src/fixtures/poison-worker.ts"),
            dir,
          ],
          { cwd: packageDir, stdio: ["ignore", "pipe", "inherit"] },
        );
        const exited = once(child, "exit");
        const failed = (async () => {
          while ((await run.describe()).status !== "failed") await new Promise((r) => setTimeout(r, 50));
        })();
        const winner = await Promise.race([exited.then(() => "exited"), failed.then(() => "failed")]);
        if (winner === "exited") killed++;
        else {
          child.kill("SIGKILL");
          await exited;
        }
      }
      // Worker 1 died before its attempt was journaled; workers 2 and 3 journaled
      // attempts 1 and 2 before running them; worker 4 found none left.
      expect(killed).toBe(3);
      const error = await run.result({ timeout: 1_000 }).catch((e: unknown) => e);
      expect(StepFailedError.is(error)).toBe(true);
      expect(StepInterruptedError.is((error as Error).cause)).toBe(true);
      expect((error as Error).message).toContain('Step "explode" failed after 2 attempts');
      const scheduled = (await run.history()).flatMap((e) => (e.type === "StepScheduled" ? [e.attempt] : []));
      expect(scheduled).toEqual([1, 2]);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
