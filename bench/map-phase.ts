/**
 * The `ctx.map` phase of `pnpm bench` (phase name `map`): one execution mapping 10,000
 * trivial items with concurrency 50, on a given store. Figures: items/s from start to
 * result; the peak RSS and heap of the process it runs in (bench/map-child.ts, where
 * client and worker share a fresh process), sampled every 20 ms, against the figures
 * just before the start; and the replay of the final journal (decode +
 * WorkflowRun.replay, best of rounds), against decoding alone and against a journal as
 * long of steps one after another (no map).
 *
 * Baseline, same store and run: the same 10,000 one-step items run as 200 chunks of
 * `Promise.all` over 50 steps (what one writes without a map): the ratio is the
 * map's own cost, and the gain of its sliding window over chunk barriers. Runs are
 * best of 3, map and baseline alternating; replays best of rounds, alternating too.
 */
import {
  Codec,
  createEngine,
  ErrorRegistry,
  type JournalEvent,
  type Store,
  stepIdentity,
  WorkflowRun,
  workflow,
} from "@stepline/core";
import type { Progress } from "./progress.js";

export const MAP_ITEMS = 10_000;
export const MAP_CONCURRENCY = 50;

const mapped = workflow("bench-map", async (ctx, count: number) => {
  const items = Array.from({ length: count }, (_, i) => i);
  const results = await ctx.map("items", items, (c, item) => c.step("item", () => item + 1), {
    concurrency: MAP_CONCURRENCY,
  });
  return results.length;
});

const chunked = workflow("bench-map-chunked", async (ctx, count: number) => {
  let done = 0;
  for (let start = 0; start < count; start += MAP_CONCURRENCY) {
    const chunk = Array.from({ length: Math.min(MAP_CONCURRENCY, count - start) }, (_, i) => start + i);
    done += (await Promise.all(chunk.map((item) => ctx.step("item", () => item + 1)))).length;
  }
  return done;
});

export interface MapFigures {
  itemsPerSecond: number;
  chunkedItemsPerSecond: number;
  /** Peak RSS and heapUsed during the map run, MB, and their values just before it. */
  rssMb: number;
  heapMb: number;
  rssBeforeMb: number;
  heapBeforeMb: number;
  journalEvents: number;
  /** Best replay of the final journal (without its last event), decoding included, and decoding alone. */
  replayMs: number;
  decodeMs: number;
  /** The same, of a journal as long of steps one after another (no map). */
  sequentialReplayMs: number;
}

const MB = 1024 * 1024;

async function runOnce(
  store: Store,
  definition: typeof mapped,
  label: string,
  progress: Progress,
): Promise<{
  seconds: number;
  journal: JournalEvent[];
  peak: { rss: number; heap: number };
  before: { rss: number; heap: number };
}> {
  const engine = createEngine({ store, log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [definition], concurrency: 4, leaseMs: 60_000 });
  await worker.start();
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage();
  const peak = { rss: before.rss, heap: before.heapUsed };
  const sample = () => {
    const usage = process.memoryUsage();
    peak.rss = Math.max(peak.rss, usage.rss);
    peak.heap = Math.max(peak.heap, usage.heapUsed);
  };
  const sampler = setInterval(sample, 20);
  const started = performance.now();
  const run = await engine.client.start(definition, MAP_ITEMS);
  const ticker = setInterval(async () => {
    const description = await run.describe().catch(() => undefined);
    if (description) progress.update(label, description.historyLength, "events");
  }, 500);
  try {
    const output = await run.result({ timeout: "10m" });
    if (output !== MAP_ITEMS) throw new Error(`bench: ${label} returned ${String(output)}`);
  } finally {
    clearInterval(ticker);
  }
  const seconds = (performance.now() - started) / 1000;
  sample();
  clearInterval(sampler);
  const journal = await run.history();
  await worker.stop();
  await engine.close();
  progress.done(label);
  return { seconds, journal, peak, before: { rss: before.rss, heap: before.heapUsed } };
}

/** The same number of items, one step after another: the journal of the replay baseline. */
const sequential = workflow("bench-map-sequential", async (ctx, count: number) => {
  for (let item = 0; item < count; item++) await ctx.step("item", () => item + 1);
  return count;
});

/** A journal of `sequential` one event shorter than `like`: each step scheduled, then its result. */
function sequentialJournal(like: readonly JournalEvent[]): JournalEvent[] {
  const started = like[0] as JournalEvent;
  const journal: JournalEvent[] = [{ ...started, workflow: sequential.name } as JournalEvent];
  const at = started.at;
  for (let op = 0; journal.length < like.length - 1; op++) {
    const name = stepIdentity("item", op + 1);
    journal.push({ type: "StepScheduled", op, name, attempt: 1, seq: journal.length, at });
    journal.push({ type: "StepSucceeded", op, attempt: 1, result: op + 1, seq: journal.length, at });
  }
  return journal.slice(0, like.length - 1);
}

/** Best-of-rounds replay of `journal` against `definition`, decoding included. */
async function replayFinal(
  definition: typeof mapped,
  journal: readonly JournalEvent[],
  rounds: number,
): Promise<{ replayMs: number; decodeMs: number }> {
  const codec = new Codec();
  const encoded = journal.map((event) => codec.encode(event, "event"));
  const errors = new ErrorRegistry();
  let replayMs = Number.POSITIVE_INFINITY;
  let decodeMs = Number.POSITIVE_INFINITY;
  for (let round = 0; round < rounds; round++) {
    let t = performance.now();
    const decoded = encoded.map((bytes, seq) => codec.decodeEvent(bytes, "bench-map", seq));
    const decodeTook = performance.now() - t;
    t = performance.now();
    const run = new WorkflowRun({
      definition: definition as never,
      executionId: "bench-map",
      journal: decoded,
      errors,
    });
    await run.replay();
    const replayTook = performance.now() - t;
    if (run.blocked) throw run.blocked;
    if (run.outcome?.type !== "succeeded")
      throw new Error(`bench: the journal of ${definition.name} did not replay to its end`);
    decodeMs = Math.min(decodeMs, decodeTook);
    replayMs = Math.min(replayMs, decodeTook + replayTook);
  }
  return { replayMs, decodeMs };
}

/** Runs the map phase on `store()` (a fresh store per run); `what` names the store in labels. */
export async function benchMap(
  what: string,
  store: () => Promise<{ store: Store; dispose: () => Promise<void> }>,
  progress: Progress,
  seconds: number,
): Promise<MapFigures> {
  // Map and baseline alternate, best of 3 each: the first round also warms the JIT,
  // and load that comes and goes on a shared machine hits both alike.
  let live: Awaited<ReturnType<typeof runOnce>> | undefined;
  let best = Number.POSITIVE_INFINITY;
  let bestChunked = Number.POSITIVE_INFINITY;
  const peak = { rss: 0, heap: 0 };
  for (let round = 1; round <= 3; round++) {
    const mapStore = await store();
    const mapRun = await runOnce(
      mapStore.store,
      mapped,
      `${what}: ctx.map of ${MAP_ITEMS} items, concurrency ${MAP_CONCURRENCY} (round ${round} of 3)`,
      progress,
    );
    await mapStore.dispose();
    live ??= mapRun;
    best = Math.min(best, mapRun.seconds);
    peak.rss = Math.max(peak.rss, mapRun.peak.rss);
    peak.heap = Math.max(peak.heap, mapRun.peak.heap);
    const chunkStore = await store();
    const chunkRun = await runOnce(
      chunkStore.store,
      chunked as typeof mapped,
      `${what}: the same items in chunks of ${MAP_CONCURRENCY} with Promise.all (baseline, round ${round} of 3)`,
      progress,
    );
    await chunkStore.dispose();
    bestChunked = Math.min(bestChunked, chunkRun.seconds);
  }
  if (!live) throw new Error("bench: no map run");
  const label = `${what}: replay of the map's final journal (${live.journal.length} events)`;
  const journal = live.journal.slice(0, -1);
  const flat = sequentialJournal(live.journal);
  const replay = { replayMs: Number.POSITIVE_INFINITY, decodeMs: Number.POSITIVE_INFINITY };
  let sequentialMs = Number.POSITIVE_INFINITY;
  const rounds = Math.max(3, seconds);
  for (let round = 0; round < rounds; round++) {
    const once = await replayFinal(mapped, journal, 1);
    replay.replayMs = Math.min(replay.replayMs, once.replayMs);
    replay.decodeMs = Math.min(replay.decodeMs, once.decodeMs);
    sequentialMs = Math.min(sequentialMs, (await replayFinal(sequential as typeof mapped, flat, 1)).replayMs);
    progress.update(label, round + 1, `of ${rounds} rounds`);
  }
  progress.done(label);
  return {
    itemsPerSecond: MAP_ITEMS / best,
    chunkedItemsPerSecond: MAP_ITEMS / bestChunked,
    rssMb: peak.rss / MB,
    heapMb: peak.heap / MB,
    rssBeforeMb: live.before.rss / MB,
    heapBeforeMb: live.before.heap / MB,
    journalEvents: live.journal.length,
    replayMs: replay.replayMs,
    decodeMs: replay.decodeMs,
    sequentialReplayMs: sequentialMs,
  };
}
