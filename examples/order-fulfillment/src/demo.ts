/**
 * The durability demo, on the embedded store (LMDB in .stepline/ at the top of the
 * repository, the `stepline` CLI's default store; no server), or on Redis when
 * STEPLINE_REDIS_URL is set. It starts orders, runs them in a worker child process,
 * SIGKILLs that worker mid-run, starts a new one, and shows that every order
 * finishes and that no step whose result was journaled before the kill ran again.
 *
 * Run it from the top of the repository: `pnpm demo`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine, type JournalEvent } from "@stepline/core";
import { formatJournal } from "./journal-table.js";
import { openStore, storeLabel } from "./open-store.js";
import type { Order } from "./services.js";
import { fulfillOrder } from "./workflow.js";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "../../..");
// The CLI's default store: `pnpm stepline list` shows the demo's executions afterwards.
const storePath = join(root, ".stepline");
const effectsPath = join(root, ".stepline", "demo-effects.log");
const ORDERS = 24;
// Ids unique to this run: a Redis store keeps the executions of earlier runs.
const run = Date.now().toString(36).slice(-4);

// The store keeps earlier runs (their ids differ); only the side-effect log starts afresh.
rmSync(effectsPath, { force: true });
mkdirSync(storePath, { recursive: true });
process.env.STEPLINE_DEMO_EFFECTS = effectsPath;

const store = openStore(storePath);
const engine = createEngine({ store, workflows: [fulfillOrder], pollInterval: 50 });
const client = engine.client;
const say = (text: string) => console.log(text);

say(`Stepline demo: ${ORDERS} orders on ${storeLabel()}\n`);

const orders: Order[] = Array.from({ length: ORDERS }, (_, i) => ({
  id: `order-${run}-${String(i + 1).padStart(3, "0")}`,
  items: ["book", "lamp"].slice(0, 1 + (i % 2)),
  total: i % 4 === 0 ? 1500 : 120 + i,
  coolOff: "300ms",
}));
for (const order of orders) await client.start(fulfillOrder, order, { id: order.id });
// Approvals for the big orders, sent before the workflows wait for them: they are kept in the inbox.
for (const order of orders.filter((o) => o.total > 1000)) await client.sendEvent(order.id, "approval", true);
say(
  `started ${ORDERS} executions; sent ${orders.filter((o) => o.total > 1000).length} approvals ahead of time`,
);

const first = startWorker("worker 1");
await first.ready;
const killAt = Math.round(ORDERS * 6 * 0.4);
await until(async () => (await journaledSteps()).size >= killAt, 60_000);
first.child.kill("SIGKILL");
await new Promise((r) => first.child.once("exit", r));
const beforeKill = await journaledSteps();
say(`\nSIGKILL worker 1 (pid ${first.child.pid}) with ${beforeKill.size} step results journaled`);

const second = startWorker("worker 2");
await second.ready;
say("worker 2 takes over once worker 1's leases expire (2 s)\n");

const started = Date.now();
const results = await Promise.all(
  orders.map((o) => client.result<{ status: string }>(o.id, { timeout: "60s" })),
);
const shipped = results.filter((r) => r.status === "shipped").length;
say(
  `all ${results.length} executions finished (${shipped} shipped) ${Date.now() - started} ms after the restart`,
);

// Count how often each step body really ran, from the services' side-effect log.
const runs = new Map<string, number>();
for (const line of readFileSync(effectsPath, "utf8").split("\n").filter(Boolean)) {
  runs.set(line, (runs.get(line) ?? 0) + 1);
}
const rerunAfterJournaled = [...beforeKill].filter((key) => (runs.get(key) ?? 0) > 1);
const rerunInFlight = [...runs].filter(([key, n]) => n > 1 && !beforeKill.has(key)).length;
say(
  `step results journaled before the kill that ran again: ${rerunAfterJournaled.length} of ${beforeKill.size}`,
);
say(`steps in flight at the kill that ran again (at-least-once): ${rerunInFlight}`);

// Show an execution whose step was cut short by the kill, if there is one.
let shown = orders[0] as Order;
for (const order of orders) {
  const events = await client.history(order.id);
  if (events.some((e) => e.type === "StepScheduled" && e.attempt > 1)) {
    shown = order;
    break;
  }
}
const history = await client.history(shown.id);
const interrupted = history.some((e) => e.type === "StepScheduled" && e.attempt > 1);
say(
  `\nJournal of ${shown.id}${interrupted ? " (a step was in flight at the kill: attempt 2 re-ran it)" : ""}:\n`,
);
say(formatJournal(history));

await stopWorker(second.child);
await engine.close();
if (rerunAfterJournaled.length > 0 || shipped !== ORDERS) {
  console.error("\ndemo failed: a journaled step ran again, or an order did not ship");
  process.exit(1);
}

/** `order step` for every step whose result is journaled now. */
async function journaledSteps(): Promise<Set<string>> {
  const done = new Set<string>();
  for (const order of orders) {
    let history: JournalEvent[];
    try {
      history = await client.history(order.id);
    } catch {
      continue;
    }
    const names = new Map<number, string>();
    for (const event of history) {
      if (event.type === "StepScheduled") names.set(event.op, event.name);
      if (event.type === "StepSucceeded") done.add(`${order.id} ${names.get(event.op)}`);
    }
  }
  return done;
}

function startWorker(label: string): { child: ChildProcess; ready: Promise<void> } {
  const child = fork(join(here, "worker-process.ts"), [storePath], {
    execArgv: ["--conditions=@stepline/source", "--import", "tsx"],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
    env: { ...process.env, STEPLINE_DEMO_EFFECTS: effectsPath },
  });
  const ready = new Promise<void>((resolveReady, reject) => {
    child.once("message", () => {
      say(`${label} started (pid ${child.pid})`);
      resolveReady();
    });
    child.once("exit", (code) => reject(new Error(`${label} exited early with code ${code}`)));
  });
  return { child, ready };
}

async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

async function until(condition: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error("demo: timed out waiting for progress");
    await new Promise((r) => setTimeout(r, 25));
  }
}
