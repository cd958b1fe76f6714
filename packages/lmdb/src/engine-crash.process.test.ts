import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, StepFailedError, StepInterruptedError } from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { killedOnLastAttempt, poison } from "./fixtures/poison-workflow.js";
import { lmdbStore } from "./lmdb-store.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-poison-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/**
 * Starts worker processes one after the other, each until it dies or `done()` holds;
 * returns how many died (SIGKILLed by their own step).
 */
async function runWorkersUntil(done: () => Promise<boolean>, most: number): Promise<number> {
  let killed = 0;
  for (let worker = 0; worker < most && !(await done()); worker++) {
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
    const finished = (async () => {
      while (!(await done())) await new Promise((r) => setTimeout(r, 50));
    })();
    const winner = await Promise.race([exited.then(() => "exited"), finished.then(() => "done")]);
    if (winner === "exited") killed++;
    else {
      child.kill("SIGKILL");
      await exited;
    }
  }
  return killed;
}

describe("a step that kills its worker process", () => {
  it("uses up its maxInterruptions and fails the execution instead of killing workers for ever", async () => {
    const engine = createEngine({ store: lmdbStore(dir), workflows: [poison], log: () => {} });
    const run = await engine.client.start(poison, null, { id: "poison-1" });
    try {
      const killed = await runWorkersUntil(async () => (await run.describe()).status === "failed", 6);
      // Worker 1 died before its attempt was journaled; workers 2 and 3 journaled
      // attempts 1 and 2 before running them (interruptions 1 and 2); worker 4 found
      // two interruptions, more than maxInterruptions (1) allows.
      expect(killed).toBe(3);
      const error = await run.result({ timeout: 1_000 }).catch((e: unknown) => e);
      expect(StepFailedError.is(error)).toBe(true);
      expect(StepInterruptedError.is((error as Error).cause)).toBe(true);
      expect((error as Error).message).toContain('Step "explode" failed after 2 attempts');
      expect((error as Error).message).toContain("interrupted 2 times");
      const scheduled = (await run.history()).flatMap((e) => (e.type === "StepScheduled" ? [e.attempt] : []));
      expect(scheduled).toEqual([1, 2]);
    } finally {
      await engine.close();
    }
  }, 60_000);

  it("does not count a kill during the last attempt maxAttempts allows as a failure: the step runs again", async () => {
    const engine = createEngine({ store: lmdbStore(dir), workflows: [killedOnLastAttempt], log: () => {} });
    const run = await engine.client.start(killedOnLastAttempt, null, { id: "last-1" });
    try {
      const killed = await runWorkersUntil(async () => (await run.describe()).status === "succeeded", 4);
      // Worker 1 failed attempt 1 and was killed in attempt 2 (not journaled yet); worker 2
      // journaled attempt 2 and was killed in it; worker 3 ran attempt 3.
      expect(killed).toBe(2);
      expect(await run.result({ timeout: 1_000 })).toBe("charged on attempt 3");
      const history = await run.history();
      expect(history.flatMap((e) => (e.type === "StepScheduled" ? [e.attempt] : []))).toEqual([1, 2, 3]);
      expect(history.filter((e) => e.type === "StepFailed").map((e) => e.attempt)).toEqual([1]);
    } finally {
      await engine.close();
    }
  }, 60_000);
});
