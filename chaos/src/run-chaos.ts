import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type JournalEvent, TERMINAL_STATUSES } from "@stepline/core";
import { replayJournal } from "@stepline/testing";
import { type RedisServer, startRedisServer } from "../../packages/redis/src/testing/redis-server.js";
import { chaosWorkflow, onBody } from "./chaos-workflow.js";
import { CHECKS, type ChaosHistory, type CheckReport, checkHistory } from "./checker.js";
import type { ChaosInput } from "./expectation.js";
import { type Fault, faultSchedule, seededRandom } from "./fault-schedule.js";
import { HistoryLog, readHistory } from "./history-log.js";
import { openStore } from "./open-store.js";

export interface ChaosOptions {
  store: "lmdb" | "redis";
  /** Executions of the ten-step workflow. */
  executions: number;
  /** Worker processes running at once (a killed one is replaced). */
  workers: number;
  /** Faults (SIGKILL or SIGSTOP/SIGCONT of a worker process) in the schedule. */
  faults: number;
  /** Seed of the fault schedule and the inputs; print it to reproduce a run. */
  seed: number;
  /** Lease of each worker: a stopped or killed worker's executions move on after it. Default 1,000 ms. */
  leaseMs?: number;
  /** Executions started per second while the faults are played. Default: all at once. */
  startsPerSecond?: number;
  /** Step bodies work up to this long (ms). Default 60. */
  maxDelayMs?: number;
  /** Executions each worker process runs at once. Default 5. */
  concurrency?: number;
  /** Give up waiting for every execution to end this long after the last fault. Default 120 s. */
  settleMs?: number;
  /** Where progress and figures are printed. Default console.log. */
  print?: (line: string) => void;
}

export interface ChaosResult {
  report: CheckReport;
  schedule: readonly Fault[];
  seconds: number;
}

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/**
 * One chaos run: starts worker processes on a fresh store (LMDB directory or a private
 * redis-server), starts the executions, plays the seeded fault schedule on the worker
 * processes, waits until every execution has ended, stops the workers, replays every
 * journal and runs the checker over the store, the replays and the logs.
 *
 * @example
 * const { report } = await runChaos({ store: "lmdb", executions: 40, workers: 3, faults: 6, seed: 1 });
 * expect(report.total).toBe(0);
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const print = options.print ?? ((line: string) => console.log(line));
  const leaseMs = options.leaseMs ?? 1_000;
  const began = Date.now();
  const dir = mkdtempSync(join(tmpdir(), `stepline-chaos-${options.store}-`));
  const logDir = join(dir, "logs");
  mkdirSync(logDir);
  const harnessLog = new HistoryLog(join(logDir, "harness.log"));
  let redis: RedisServer | undefined;
  const slots: (ChildProcess | undefined)[] = [];
  const ready = new Set<ChildProcess>();
  try {
    let location: string;
    if (options.store === "lmdb") location = `lmdb:${join(dir, "store")}`;
    else {
      redis = await startRedisServer({ appendonly: true });
      location = `redis:${redis.url}|chaos`;
    }
    const random = seededRandom(options.seed);
    const schedule = faultSchedule(random, options);
    print(
      `chaos ${options.store}: ${options.executions} executions, ${options.workers} workers, seed ${options.seed} ` +
        `(reproduce: STEPLINE_CHAOS_SEED=${options.seed})`,
    );
    print(`fault schedule: ${schedule.map(describeFault).join(", ") || "none"}`);

    const spawnWorker = async (slot: number) => {
      const child = spawn(
        process.execPath,
        [
          "--conditions=@stepline/source",
          "--import",
          "tsx",
          join(packageDir, "src/worker-main.ts"),
          location,
          join(logDir, `worker-${slot}-${Date.now()}.log`),
          String(leaseMs),
          String(options.concurrency ?? 5),
        ],
        { cwd: packageDir, stdio: ["ignore", "inherit", "inherit", "ipc"] },
      );
      slots[slot] = child;
      await new Promise<void>((resolve, reject) => {
        child.once("message", () => resolve());
        child.once("exit", (code) =>
          reject(new Error(`chaos worker exited with ${code} before it was ready`)),
        );
      });
      ready.add(child);
      harnessLog.write({ k: "spawn", t: Date.now(), pid: child.pid as number });
    };
    await Promise.all(Array.from({ length: options.workers }, (_, slot) => spawnWorker(slot)));

    const engine = createEngine({ store: openStore(location), log: () => {}, pollInterval: 50 });
    try {
      // Executions arrive at a steady rate while the faults are played, so that workers
      // have free slots to take over the leases of stopped and killed ones.
      const executions: { id: string; input: ChaosInput }[] = [];
      const perSecond = options.startsPerSecond ?? Number.POSITIVE_INFINITY;
      const starting = (async () => {
        const startedAt = Date.now();
        for (let i = 0; i < options.executions; i++) {
          const input = { n: Math.floor(random() * 1_000_000_000), maxDelayMs: options.maxDelayMs ?? 60 };
          const id = `chaos-${i}`;
          await engine.client.start(chaosWorkflow, input, { id });
          executions.push({ id, input });
          const due = startedAt + ((i + 1) * 1_000) / perSecond;
          if (due > Date.now()) await sleep(due - Date.now());
        }
      })();

      const stopped = new Map<number, ReturnType<typeof setTimeout>>();
      const respawns: Promise<void>[] = [];
      let skipped = 0;
      for (const fault of schedule) {
        await sleep(fault.afterMs);
        // The scheduled slot, or the next one that can take this fault (a killed worker's
        // replacement may still be starting; a stopped one is not stopped again).
        const slot = slots
          .map((_, k) => (fault.slot + k) % slots.length)
          .find((k) => {
            const candidate = slots[k];
            return (
              candidate !== undefined && ready.has(candidate) && (fault.kind === "kill" || !stopped.has(k))
            );
          });
        const child = slot === undefined ? undefined : slots[slot];
        if (slot === undefined || child === undefined) {
          skipped++;
          continue;
        }
        const pid = child.pid as number;
        if (fault.kind === "kill") {
          clearTimeout(stopped.get(slot));
          stopped.delete(slot);
          const exited = once(child, "exit");
          child.kill("SIGKILL");
          harnessLog.write({ k: "kill", t: Date.now(), pid });
          await exited;
          respawns.push(spawnWorker(slot));
        } else {
          child.kill("SIGSTOP");
          harnessLog.write({ k: "stop", t: Date.now(), pid });
          stopped.set(
            slot,
            setTimeout(() => {
              stopped.delete(slot);
              child.kill("SIGCONT");
              harnessLog.write({ k: "cont", t: Date.now(), pid });
            }, fault.stopMs),
          );
        }
      }
      await starting;
      await Promise.all(respawns);
      // Faults stop here: every stopped worker goes on.
      for (const [slot, timer] of stopped) {
        clearTimeout(timer);
        const child = slots[slot] as ChildProcess;
        child.kill("SIGCONT");
        harnessLog.write({ k: "cont", t: Date.now(), pid: child.pid as number });
      }
      print(
        `faults done after ${((Date.now() - began) / 1000).toFixed(1)} s (${skipped} skipped: no worker could take them); ` +
          "waiting for every execution to end",
      );

      const settleBy = Date.now() + (options.settleMs ?? 120_000);
      const pending = new Set(executions.map((e) => e.id));
      while (pending.size > 0 && Date.now() < settleBy) {
        for (const id of [...pending])
          if (TERMINAL_STATUSES.has((await engine.client.describe(id)).status)) pending.delete(id);
        if (pending.size > 0) await sleep(200);
      }

      await Promise.all(slots.map((child) => stopWorker(child, harnessLog)));

      const finals: ChaosHistory["finals"] = new Map(
        await Promise.all(
          executions.map(
            async ({ id }) =>
              [
                id,
                {
                  status: (await engine.client.describe(id)).status,
                  journal: (await engine.client.history(id)) as JournalEvent[],
                },
              ] as const,
          ),
        ),
      );
      const replays = new Map<string, { sameOutcome: boolean; bodiesRun: number; blocked?: string }>();
      for (const [id, { journal }] of finals) {
        let bodiesRun = 0;
        onBody((event) => {
          if (event.phase === "start") bodiesRun++;
        });
        const report = await replayJournal(chaosWorkflow, journal);
        onBody(() => {});
        replays.set(id, {
          sameOutcome: report.sameOutcome,
          bodiesRun,
          ...(report.blocked ? { blocked: report.blocked.message } : {}),
        });
      }

      const report = checkHistory({ executions, finals, replays, log: readHistory(logDir) });
      const seconds = (Date.now() - began) / 1000;
      printReport(print, options.store, report, seconds);
      return { report, schedule, seconds };
    } finally {
      await engine.close();
    }
  } finally {
    await Promise.all(slots.map((child) => stopWorker(child, harnessLog, true)));
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Ends a worker process: SIGCONT (it may be stopped) and SIGTERM, SIGKILL after 10 s or at once when `now`. */
async function stopWorker(child: ChildProcess | undefined, log: HistoryLog, now = false): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGCONT");
  if (now) child.kill("SIGKILL");
  else {
    child.kill("SIGTERM");
    log.write({ k: "term", t: Date.now(), pid: child.pid as number });
  }
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}

function describeFault(fault: Fault): string {
  const what = fault.kind === "kill" ? "SIGKILL" : `SIGSTOP ${fault.stopMs} ms`;
  return `+${fault.afterMs} ms ${what} worker ${fault.slot}`;
}

function printReport(print: (line: string) => void, store: string, report: CheckReport, seconds: number) {
  const f = report.figures;
  print(
    `chaos ${store} figures: ${f.executions} executions, ${f.workerProcesses} worker processes, ${f.kills} kills, ` +
      `${f.stops} stops, ${f.claims} claims, ${f.bodyRuns} body runs (${f.retries} designed retries), ` +
      `${f.duplicates} duplicates (${f.explainedByKill} explained by a kill, ${f.explainedByLostLease} by a lost lease, ` +
      `${f.unexplained} unexplained), appends ${f.appendsAccepted} accepted / ${f.appendsRefused} refused / ` +
      `${f.appendsUnknown} unknown, ${seconds.toFixed(1)} s`,
  );
  print(
    `chaos ${store} violations: ${CHECKS.map((name) => `${name} ${report.violations[name].length}`).join(", ")}`,
  );
  for (const name of CHECKS)
    for (const line of report.violations[name].slice(0, 5)) print(`  violation (${name}): ${line}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
