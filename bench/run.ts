/**
 * `pnpm bench`: throughput of journaled steps and speed of replay, each next to a
 * baseline measured in the same run (this machine is shared and noisy; ratios to a
 * same-run baseline mean more than absolute numbers).
 *
 *   1. memory store: 10-step workflows, 50 at a time, steps/s.
 *   2. LMDB: 10-step workflows with 1 and with 50 executions at a time, steps/s.
 *      Baseline for 1 and 2: the same store work without the engine (rawAppends),
 *      same store kind, same concurrency: the ratio is the engine's own cost.
 *   3. Replay of a 10,000-event journal (5,000 steps), events/s.
 *      Baseline: decoding the same 10,000 events with the codec alone.
 *   4. Compiling a generated 2,000-line workflow file (packages/compiler/bench),
 *      median ms after warm-up. Baseline: parsing it alone with oxc-parser.
 *   5. Redis (bench/redis-phase.ts): 10-step workflows with 1 and 2 worker processes,
 *      steps/s and p50/p99 step latency. Baseline: an ioredis pipeline of the same
 *      number of commands. Skipped, with a line saying so, without redis-server.
 *   6. ctx.map (bench/map-phase.ts): 10,000 items, concurrency 50, on memory and LMDB:
 *      items/s, peak memory, replay of the final journal. Baseline: the same items in
 *      chunks of 50 with Promise.all.
 *   7. Cancellation (bench/cancel-phase.ts): cancel at a wait with 5 compensation steps
 *      in the catch, ms from client.cancel to result(). Baseline: a plain 5-step workflow.
 *   8. The deploy gate (bench/deploy-phase.ts): `stepline check-deploy`'s core over
 *      BENCH_DEPLOY_COUNT (default 100,000) journals of 20 events in flight, on memory
 *      and LMDB, journals/s. Baseline: listing, reading and decoding them alone.
 *
 * Options (environment): BENCH_SECONDS (per phase, default 3), BENCH_JSON=1 (also print one
 * JSON line), BENCH_ONLY=map,cancel (run only these phases, comma-separated: memory, lmdb,
 * replay, compile, redis, map, cancel, deploy, encryption), BENCH_DEPLOY_COUNT (journals of the deploy phase).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  Codec,
  createEngine,
  ErrorRegistry,
  encryptionCodec,
  type JournalEvent,
  memoryStore,
  type PayloadEncryption,
  type Store,
  stepIdentity,
  WorkflowRun,
  workflow,
} from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import {
  generateWorkflowSource,
  measureCompile,
  measureParse,
} from "../packages/compiler/bench/compile-bench.js";
import { benchCancel } from "./cancel-phase.js";
import { benchDeploy, DEPLOY_COUNT } from "./deploy-phase.js";
import { MAP_CONCURRENCY, MAP_ITEMS, type MapFigures } from "./map-phase.js";
import { Progress } from "./progress.js";
import { benchRedis } from "./redis-phase.js";
import { STEPS, tenSteps } from "./workflows.js";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ONLY = process.env.BENCH_ONLY?.split(",").map((phase) => phase.trim());
/** Whether BENCH_ONLY (when set) names `phase`. */
const runs = (phase: string) => !ONLY || ONLY.includes(phase);

interface Result {
  name: string;
  value: number;
  unit: string;
  baseline?: { name: string; value: number };
}
const results: Result[] = [];
const progress = new Progress();

/** Runs 10-step executions, `inFlight` at a time, for SECONDS; returns steps/s. */
async function journaledSteps(
  label: string,
  store: Store,
  inFlight: number,
  encryption?: PayloadEncryption,
): Promise<number> {
  const engine = createEngine({
    store,
    log: () => {},
    pollInterval: 20,
    ...(encryption ? { encryption } : {}),
  });
  const worker = engine.worker({ workflows: [tenSteps], concurrency: inFlight, leaseMs: 30_000 });
  await worker.start();
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  let next = 0;
  const started = performance.now();
  const lane = async () => {
    while (Date.now() < deadline) {
      const run = await engine.client.start(tenSteps, { n: next++ });
      await run.result();
      done++;
      progress.update(label, done * STEPS, "steps");
    }
  };
  await Promise.all(Array.from({ length: inFlight }, lane));
  const seconds = (performance.now() - started) / 1000;
  await worker.stop();
  await engine.close();
  progress.done(label);
  return (done * STEPS) / seconds;
}

/**
 * The floor under journaled steps: the store work the engine cannot avoid, without
 * the engine. Per execution: create, claim, one append per step holding its
 * StepScheduled and StepSucceeded (as the engine journals a fast step), release.
 * Each lane claims its own workflow name so lanes never take each other's work.
 */
async function rawAppends(label: string, store: Store, inFlight: number): Promise<number> {
  const codec = new Codec();
  const deadline = Date.now() + SECONDS * 1000;
  let steps = 0;
  const started = performance.now();
  const lane = async (laneId: number) => {
    const name = `raw-${laneId}`;
    for (let execution = 0; Date.now() < deadline; execution++) {
      const id = `${name}-${execution}`;
      const now = Date.now();
      const startedEvent: JournalEvent = {
        type: "ExecutionStarted",
        seq: 0,
        at: now,
        workflow: name,
        version: 1,
        input: { n: 1 },
        seed: 1,
      };
      await store.executions.create({
        id,
        workflow: name,
        createdAt: now,
        started: codec.encode(startedEvent, "start"),
      });
      const [claim] = await store.queue.claim({
        owner: name,
        workflows: [name],
        limit: 1,
        now: Date.now(),
        leaseMs: 30_000,
      });
      if (!claim) throw new Error(`bench: ${id} was not claimable`);
      let seq = 1;
      for (let op = 0; op < STEPS; op++) {
        const at = Date.now();
        const pair = [
          { type: "StepScheduled", op, name: `step-${op}`, attempt: 1, seq, at },
          { type: "StepSucceeded", op, attempt: 1, result: op, seq: seq + 1, at },
        ] as JournalEvent[];
        const events = pair.map((event) => codec.encode(event, "event"));
        await store.journal.append(claim.lease, { expectedSeq: seq, events }, at);
        seq += 2;
        steps++;
      }
      await store.queue.release(claim.lease, { status: "succeeded", dueAt: null }, Date.now());
      progress.update(label, steps, "steps");
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, i) => lane(i)));
  const seconds = (performance.now() - started) / 1000;
  progress.done(label);
  return steps / seconds;
}

/** A 10,000-event journal: ExecutionStarted, then 5,000 steps (scheduled + succeeded) less one event. */
function longJournal(events: number): JournalEvent[] {
  const journal: JournalEvent[] = [
    { type: "ExecutionStarted", seq: 0, at: 1, workflow: "long", version: 1, input: null, seed: 7 },
  ];
  for (let op = 0; journal.length < events; op++) {
    journal.push({
      type: "StepScheduled",
      op,
      name: stepIdentity("item", op + 1),
      attempt: 1,
      seq: journal.length,
      at: 1,
    });
    if (journal.length < events)
      journal.push({
        type: "StepSucceeded",
        op,
        attempt: 1,
        result: { op, ok: true },
        seq: journal.length,
        at: 1,
      });
  }
  return journal;
}

/** Issues the same step for ever: replay walks as many of them as the journal holds. */
const longWorkflow = workflow("long", async (ctx) => {
  for (;;) await ctx.step("item", () => ({ op: -1, ok: true }));
});

async function replay(
  label: string,
  journal: JournalEvent[],
  encoded: Uint8Array[],
  codec: Codec,
): Promise<{ replay: number; decode: number }> {
  const errors = new ErrorRegistry();
  const rounds = Math.max(3, SECONDS * 2);
  let replayMs = Number.POSITIVE_INFINITY;
  let decodeMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    let t = performance.now();
    const decoded = encoded.map((bytes, seq) => codec.decodeEvent(bytes, "long-1", seq));
    decodeMs = Math.min(decodeMs, performance.now() - t);
    t = performance.now();
    const run = new WorkflowRun({
      definition: longWorkflow as never,
      executionId: "long-1",
      journal: decoded,
      errors,
    });
    await run.replay();
    replayMs = Math.min(replayMs, performance.now() - t);
    if (run.blocked) throw run.blocked;
    progress.update(label, round + 1, `of ${rounds} rounds`);
  }
  progress.done(label);
  return { replay: journal.length / (replayMs / 1000), decode: journal.length / (decodeMs / 1000) };
}

function tempStore(): { store: Store; dispose: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), "stepline-bench-"));
  const store = lmdbStore(dir);
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

console.log(
  `Stepline benchmark: Node ${process.version}, ${SECONDS} s per phase (BENCH_SECONDS), best of rounds for replay\n`,
);

if (runs("memory")) {
  const floor = await rawAppends("memory store raw appends, 50 at a time (baseline)", memoryStore(), 50);
  const steps = await journaledSteps("memory store, 10-step workflows, 50 at a time", memoryStore(), 50);
  results.push({
    name: "memory store: journaled steps/s (50 executions at a time)",
    value: steps,
    unit: "steps/s",
    baseline: { name: "same store work without the engine", value: floor },
  });
}
for (const inFlight of runs("lmdb") ? [1, 50] : []) {
  const raw = tempStore();
  const floor = await rawAppends(`LMDB raw appends, ${inFlight} at a time (baseline)`, raw.store, inFlight);
  await raw.dispose();
  const engineStore = tempStore();
  const steps = await journaledSteps(
    `LMDB, 10-step workflows, ${inFlight} at a time`,
    engineStore.store,
    inFlight,
  );
  await engineStore.dispose();
  results.push({
    name: `LMDB: journaled steps/s (${inFlight} execution${inFlight === 1 ? "" : "s"} at a time)`,
    value: steps,
    unit: "steps/s",
    baseline: { name: "same store work without the engine", value: floor },
  });
}
if (runs("encryption")) {
  // The same 10-step workflows on LMDB, 50 at a time, with every entry sealed (AES-256-GCM).
  const plain = tempStore();
  const baseline = await journaledSteps("LMDB, 50 at a time, not encrypted (baseline)", plain.store, 50);
  await plain.dispose();
  const sealed = tempStore();
  const encryption = encryptionCodec({ keys: { bench: new Uint8Array(32).fill(7) }, currentKeyId: "bench" });
  const steps = await journaledSteps("LMDB, 50 at a time, encrypted at rest", sealed.store, 50, encryption);
  await sealed.dispose();
  results.push({
    name: "LMDB encrypted at rest: journaled steps/s (50 executions at a time)",
    value: steps,
    unit: "steps/s",
    baseline: { name: "the same without encryption", value: baseline },
  });
}
if (runs("replay")) {
  const codec = new Codec();
  const journal = longJournal(10_000);
  const encoded = journal.map((event) => codec.encode(event, "event"));
  const { replay: replayRate, decode } = await replay(
    "replay of a 10,000-event journal",
    journal,
    encoded,
    codec,
  );
  results.push({
    name: "replay of a 10,000-event journal: events/s (decode + replay)",
    value: 1 / (1 / replayRate + 1 / decode),
    unit: "events/s",
    baseline: { name: "decode only", value: decode },
  });
  results.push({
    name: "replay of a 10,000-event journal: ms",
    value: (10_000 / (1 / (1 / replayRate + 1 / decode))) * 1000,
    unit: "ms",
  });
}

if (runs("compile")) {
  const source = generateWorkflowSource(2_000);
  const lines = source.split("\n").length - 1;
  progress.update(`compile a generated ${lines}-line workflow`, 0, "runs");
  const { medianMs } = measureCompile(source);
  const parseMs = measureParse(source);
  progress.done(`compile a generated ${lines}-line workflow`);
  results.push({
    name: `compile a generated ${lines}-line workflow: median ms after warm-up`,
    value: medianMs,
    unit: "ms",
    baseline: { name: "oxc-parser parse alone", value: parseMs },
  });
}

if (!runs("redis")) {
  // not asked for (BENCH_ONLY)
} else if (hasRedisServer()) {
  for (const r of await benchRedis(progress, SECONDS)) {
    const which = `${r.workers} worker process${r.workers === 1 ? "" : "es"}`;
    results.push({
      name: `Redis: journaled steps/s (${which}, 100 executions in flight)`,
      value: r.stepsPerSecond,
      unit: "steps/s",
      baseline: {
        name: `ioredis pipeline of the same commands (${r.commandsPerStep.toFixed(1)} per step)`,
        value: r.floorStepsPerSecond,
      },
    });
    results.push({
      name: `Redis: step latency p50 / p99 (${which})`,
      value: r.p50,
      unit: `ms / ${r.p99} ms`,
    });
  }
} else {
  console.log("Redis phase skipped: redis-server is not installed (apt-get install redis-server)");
}

const memoryStoreOf = async () => ({ store: memoryStore(), dispose: async () => {} });
const lmdbStoreOf = async () => tempStore();
for (const [what, kind] of runs("map")
  ? ([
      ["memory store", "memory"],
      ["LMDB", "lmdb"],
    ] as const)
  : []) {
  // A process of its own: its peak memory is the map's, not what earlier phases left.
  const benchDir = fileURLToPath(new URL(".", import.meta.url));
  const stdout = execFileSync(
    process.execPath,
    [
      "--expose-gc",
      "--conditions=@stepline/source",
      "--import",
      "tsx",
      "map-child.ts",
      kind,
      String(SECONDS),
    ],
    { cwd: benchDir, stdio: ["ignore", "pipe", "inherit"], encoding: "utf8" },
  );
  const map = JSON.parse(stdout.trim().split("\n").at(-1) as string) as MapFigures;
  results.push({
    name: `${what}: ctx.map of ${MAP_ITEMS.toLocaleString("en-US")} items (concurrency ${MAP_CONCURRENCY}): items/s`,
    value: map.itemsPerSecond,
    unit: "items/s",
    baseline: { name: `chunks of ${MAP_CONCURRENCY} with Promise.all`, value: map.chunkedItemsPerSecond },
  });
  results.push({
    name: `${what}: ctx.map peak RSS / heap used of its process, MB`,
    value: map.rssMb,
    unit: `MB / ${map.heapMb.toFixed(0)} MB (before: ${map.rssBeforeMb.toFixed(0)} / ${map.heapBeforeMb.toFixed(0)} MB)`,
  });
  results.push({
    name: `${what}: replay of the map's final journal (${map.journalEvents.toLocaleString("en-US")} events): ms`,
    value: map.replayMs,
    unit: `ms (decode alone ${map.decodeMs.toFixed(0)} ms)`,
    baseline: { name: "as many events of sequential steps, no map", value: map.sequentialReplayMs },
  });
}
for (const [what, store] of runs("cancel")
  ? ([
      ["memory store", memoryStoreOf],
      ["LMDB", lmdbStoreOf],
    ] as const)
  : []) {
  const cancel = await benchCancel(what, store, progress, Math.max(10, SECONDS * 5));
  if ("skipped" in cancel) {
    console.log(`${what}: cancellation phase skipped: ${cancel.skipped}`);
    continue;
  }
  results.push({
    name: `${what}: client.cancel to result(), 5 compensation steps: median ms`,
    value: cancel.cancelMs,
    unit: "ms",
    baseline: { name: "a plain 5-step workflow, start to result()", value: cancel.plainMs },
  });
}
for (const [what, store] of runs("deploy")
  ? ([
      ["memory store", memoryStoreOf],
      ["LMDB", lmdbStoreOf],
    ] as const)
  : []) {
  const { store: s, dispose } = await store();
  try {
    const deploy = await benchDeploy(what, s, progress);
    const count = DEPLOY_COUNT.toLocaleString("en-US");
    results.push({
      name: `${what}: check-deploy over ${count} journals of 20 events: journals/s`,
      value: deploy.journalsPerSecond,
      unit: `journals/s (seeded in ${deploy.seedSeconds.toFixed(1)} s)`,
      baseline: { name: "list, read and decode alone", value: deploy.decodeJournalsPerSecond },
    });
  } finally {
    await dispose();
  }
}

console.log("");
const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString("en-US") : n.toFixed(1));
for (const r of results) {
  const base = r.baseline
    ? `   baseline ${r.baseline.name}: ${fmt(r.baseline.value)} (ratio ${(r.value / r.baseline.value).toFixed(2)})`
    : "";
  console.log(`${r.name.padEnd(66)} ${fmt(r.value).padStart(10)} ${r.unit}${base}`);
}
if (process.env.BENCH_JSON) console.log(JSON.stringify(results));

function hasRedisServer(): boolean {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
