/**
 * The deploy-gate phase of `pnpm bench` (phase name `deploy`): how fast `stepline
 * check-deploy` replays a store's executions in flight. The store is seeded through
 * the Store API (creates, claims and appends in batches) with BENCH_DEPLOY_COUNT
 * (default 100,000) sleeping executions whose journals hold 20 events each (started,
 * 9 steps, a sleep); then checkDeploy, the command's core, replays them all against
 * the same workflow code: journals/s.
 *
 * Baseline, same store and run: what the gate cannot avoid without replaying, the same
 * list of records, the same journal reads in the same pages, decoded with the codec.
 */
import { Codec, type JournalEvent, type Store, type WorkflowDefinition, workflow } from "@stepline/core";
import { checkDeploy } from "../packages/cli/src/journal/deploy-check.js";
import type { Progress } from "./progress.js";

export const DEPLOY_COUNT = Number(process.env.BENCH_DEPLOY_COUNT ?? 100_000);
const STEPS = 9;
const BATCH = 1_000;
const PAGE = 256;

const sleeper = workflow("bench-deploy", async (ctx, input: { n: number }) => {
  let total = input.n;
  for (let i = 0; i < STEPS; i++) total = await ctx.step(`step-${i}`, () => total + 1);
  await ctx.sleep("rest", "30d");
  return total;
});

export interface DeployFigures {
  executions: number;
  eventsPerJournal: number;
  seedSeconds: number;
  journalsPerSecond: number;
  decodeJournalsPerSecond: number;
  incompatible: number;
}

/** The journal the engine writes for `sleeper` up to its sleep: 20 events. */
function sleeperJournal(at: number): JournalEvent[] {
  const events: JournalEvent[] = [
    { type: "ExecutionStarted", seq: 0, at, workflow: sleeper.name, version: 1, input: { n: 1 }, seed: 7 },
  ];
  for (let op = 0; op < STEPS; op++) {
    events.push({ type: "StepScheduled", seq: events.length, at, op, name: `step-${op}`, attempt: 1 });
    events.push({ type: "StepSucceeded", seq: events.length, at, op, result: op + 2, attempt: 1 });
  }
  events.push({
    type: "TimerStarted",
    seq: events.length,
    at,
    op: STEPS,
    name: "rest",
    fireAt: at + 30 * 86_400_000,
  });
  return events;
}

/** Seeds `count` sleeping executions, a batch of creates, one claim and a batch of appends at a time. */
async function seed(store: Store, count: number, progress: Progress, label: string): Promise<void> {
  const codec = new Codec();
  const at = Date.now();
  // Every execution's journal is the same bytes: only the id differs, and it is not in the events.
  const encoded = sleeperJournal(at).map((event) => codec.encode(event, "bench journal"));
  const [started, ...rest] = encoded as [Uint8Array, ...Uint8Array[]];
  for (let first = 0; first < count; first += BATCH) {
    const ids = Array.from({ length: Math.min(BATCH, count - first) }, (_, i) => `deploy-${first + i}`);
    await Promise.all(
      ids.map((id, i) =>
        store.executions.create({ id, workflow: sleeper.name, createdAt: at + first + i, started }),
      ),
    );
    const claims = await store.queue.claim({
      owner: "bench-seed",
      workflows: [sleeper.name],
      limit: ids.length,
      now: at + count + 1,
      leaseMs: 60_000,
    });
    if (claims.length !== ids.length) throw new Error(`bench: claimed ${claims.length} of ${ids.length}`);
    await Promise.all(
      claims.map(({ lease }) =>
        store.journal.append(
          lease,
          {
            expectedSeq: 1,
            events: rest,
            currentStep: "rest",
            release: { status: "sleeping", dueAt: at + 30 * 86_400_000 },
          },
          Date.now(),
        ),
      ),
    );
    progress.update(label, first + ids.length, "journals written");
  }
}

/** The baseline: list, read a page at a time and decode, as checkDeploy does, without replaying. */
async function decodeAlone(store: Store): Promise<number> {
  const codec = new Codec();
  const records = await store.executions.list({ limit: Number.MAX_SAFE_INTEGER });
  let events = 0;
  for (let start = 0; start < records.length; start += PAGE) {
    const page = records.slice(start, start + PAGE);
    const journals = await Promise.all(page.map((record) => store.journal.read(record.id)));
    for (const [i, journal] of journals.entries()) {
      const id = page[i]?.id as string;
      for (const [seq, bytes] of journal.entries()) if (codec.decodeEvent(bytes, id, seq)) events++;
    }
  }
  return events;
}

export async function benchDeploy(what: string, store: Store, progress: Progress): Promise<DeployFigures> {
  const label = `${what}: check-deploy over ${DEPLOY_COUNT.toLocaleString("en-US")} journals`;
  const seedStarted = performance.now();
  await seed(store, DEPLOY_COUNT, progress, label);
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  const definitions = new Map([[sleeper.name, sleeper as WorkflowDefinition]]);
  // Best of two rounds each, alternated, so that neither gets the warmer caches alone.
  let seconds = Number.POSITIVE_INFINITY;
  let decodeSeconds = Number.POSITIVE_INFINITY;
  let incompatible = 0;
  for (let round = 0; round < 2; round++) {
    const decodeStarted = performance.now();
    const decoded = await decodeAlone(store);
    decodeSeconds = Math.min(decodeSeconds, (performance.now() - decodeStarted) / 1000);
    if (decoded !== DEPLOY_COUNT * 20) throw new Error(`bench: decoded ${decoded} events`);
    const started = performance.now();
    const report = await checkDeploy(store, definitions);
    seconds = Math.min(seconds, (performance.now() - started) / 1000);
    if (report.checked !== DEPLOY_COUNT)
      throw new Error(`bench: checked ${report.checked} of ${DEPLOY_COUNT}`);
    incompatible = report.incompatible.length;
    progress.update(label, round + 1, "rounds");
  }
  progress.done(label);
  return {
    executions: DEPLOY_COUNT,
    eventsPerJournal: 20,
    seedSeconds,
    journalsPerSecond: DEPLOY_COUNT / seconds,
    decodeJournalsPerSecond: DEPLOY_COUNT / decodeSeconds,
    incompatible,
  };
}
