/**
 * Shared set-up of the engine tests (client.test.ts, worker.test.ts): engines on a
 * memory store, workers stopped after each test, gates that tests open at will and
 * that are opened for them afterwards. Test support only: not part of the package.
 */
import { afterEach } from "vitest";
import {
  createEngine,
  type Engine,
  type EngineOptions,
  memoryStore,
  type Worker,
  type WorkerOptions,
} from "../index.js";

const cleanups: (() => Promise<void> | void)[] = [];
/** Releases every gate a test left closed, so that stopping its workers does not wait for it forever. */
const openGates: (() => void)[] = [];

afterEach(async () => {
  for (const open of openGates.splice(0)) open();
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

export type LogLine = { level: string; message: string; fields: Record<string, unknown> };

/** An engine on a memory store (or `options.store`), polling every 20 ms, with its log lines kept. */
export function newEngine(options: Partial<EngineOptions> = {}) {
  const store = options.store ?? memoryStore();
  const logs: LogLine[] = [];
  const engine = createEngine({
    log: (level, message, fields) => logs.push({ level, message, fields }),
    pollInterval: 20,
    ...options,
    store,
  });
  return { engine, store, logs };
}

/** Starts a worker (lease 300 ms unless given) that is stopped after the test. */
export async function startWorker(engine: Engine, options: WorkerOptions): Promise<Worker> {
  const worker = engine.worker({ leaseMs: 300, ...options });
  await worker.start();
  cleanups.push(() => worker.stop());
  return worker;
}

/** A promise the test resolves when it likes; opened for it after the test. */
export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  openGates.push(() => resolve(undefined as T));
  return { promise, resolve };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitUntil(condition: () => Promise<boolean> | boolean, what: string, ms = 5_000) {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await sleep(5);
  }
}

/** The error `promise` rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error as Error;
  }
  throw new Error("expected a rejection");
}
