/**
 * Step heartbeats, the runner's side: `info.heartbeat(details)` inside a step body
 * records the latest details; the runner journals them as StepHeartbeat, throttled;
 * an attempt that stops heartbeating for its `heartbeatTimeout` fails with
 * TimeoutError (and follows its retry policy).
 *
 * Rules (docs/timeouts.md):
 * - details are plain data that fit one journal event (`maxEventBytes`); anything else
 *   is refused at the call (SerializationError, PayloadTooLargeError), the body goes on;
 * - the details kept are the copy decoded from their MessagePack, so the next attempt
 *   reads (as `info.lastHeartbeat`) exactly what a replay reads from the journal;
 * - a StepHeartbeat is journaled at most once per {@link heartbeatInterval}, and the
 *   latest details not yet journaled go into the journal just before the attempt's
 *   completion: a body that heartbeats in a tight loop costs a few events, not one
 *   per call;
 * - a heartbeat does not touch the lease: the worker renews the leases of the runners
 *   it holds every `leaseMs / 3`, whatever the step bodies do, so a step that
 *   heartbeats for longer than `leaseMs` keeps its lease.
 */
import type { Codec } from "./codec.js";
import { assertPlainData } from "./codec.js";
import { TimeoutError } from "./errors.js";
import type { EventOfType, JournalEvent, NewEvent } from "./events.js";
import { type Clock, SETTLED } from "./scheduler.js";

/**
 * Journal throttle of a step without `heartbeatTimeout`, in ms.
 *
 * @example
 * DEFAULT_HEARTBEAT_INTERVAL_MS; // 30_000: such a step journals a heartbeat at most every 30 s
 */
export const DEFAULT_HEARTBEAT_INTERVAL_MS = 30_000;
/** No step journals heartbeats more often than this. */
export const MIN_HEARTBEAT_INTERVAL_MS = 1_000;

/**
 * How often a step's heartbeats may be journaled: `max(1 s, heartbeatTimeout / 2)`, 30 s without one.
 *
 * @example
 * heartbeatInterval(60_000); // 30_000
 * heartbeatInterval(500); // 1_000
 */
export function heartbeatInterval(heartbeatTimeoutMs: number | undefined): number {
  if (heartbeatTimeoutMs === undefined) return DEFAULT_HEARTBEAT_INTERVAL_MS;
  return Math.max(MIN_HEARTBEAT_INTERVAL_MS, heartbeatTimeoutMs / 2);
}

/** What one attempt's heartbeat needs to know about its step. */
export interface HeartbeatStep {
  op: number;
  attempt: number;
  name: string;
  heartbeatTimeoutMs?: number | undefined;
}

/**
 * The heartbeat of one running attempt. The body calls {@link beat}; the runner takes
 * {@link due} events each round and {@link final} before the completion.
 */
export class AttemptHeartbeat {
  readonly #step: HeartbeatStep;
  readonly #clock: Clock;
  readonly #codec: Codec;
  readonly #wake: () => void;
  readonly #interval: number;
  /** Time of the last beat (the attempt's start before the first). */
  #lastBeatAt: number;
  /** When the last StepHeartbeat was taken for the journal (the attempt's start before). */
  #journaledAt: number;
  /** The latest details not yet taken for the journal. */
  #pending: { details: unknown } | undefined;
  /** A timer that wakes the runner when pending details become due is armed. */
  #flushArmed = false;
  /** Stops the watchdog and flush timers; made with the first timer (most steps never arm one). */
  #timers: AbortController | undefined;
  #ended = false;

  constructor(step: HeartbeatStep, env: { clock: Clock; codec: Codec; wake: () => void }) {
    this.#step = step;
    this.#clock = env.clock;
    this.#codec = env.codec;
    this.#wake = env.wake;
    this.#interval = heartbeatInterval(step.heartbeatTimeoutMs);
    this.#lastBeatAt = env.clock.now();
    this.#journaledAt = this.#lastBeatAt;
  }

  /** `info.heartbeat(details)`: checks and keeps the details; throws for ones that cannot be journaled. */
  beat(details: unknown): void {
    const { op, attempt, name } = this.#step;
    const what = `The details of a heartbeat of step "${name}"`;
    assertPlainData(details, what);
    const now = this.#clock.now();
    // Encoded once here: the size check, and the copy a replay will read.
    const event = { type: "StepHeartbeat", op, attempt, details, seq: 0, at: now } as const;
    const { copy } = this.#codec.encodeWithCopy(event, what);
    this.#lastBeatAt = now;
    if (this.#ended) return;
    this.#pending = { details: copy.details };
    this.#armFlush(now);
  }

  /** The StepHeartbeat to journal now, if details are pending and the throttle allows it. */
  due(now: number): NewEvent | undefined {
    if (!this.#pending || now - this.#journaledAt < this.#interval) return undefined;
    return this.#take(now);
  }

  /** The latest details not journaled yet, to journal just before the attempt's completion. */
  final(): NewEvent | undefined {
    this.dispose();
    return this.#pending ? this.#take(this.#clock.now()) : undefined;
  }

  /**
   * Rejects with TimeoutError once the body has gone `heartbeatTimeout` without a
   * beat (never settles without the option); `onTimeout` aborts the body's signal.
   */
  watchdog(onTimeout: (error: TimeoutError) => void): Promise<never> {
    const ms = this.#step.heartbeatTimeoutMs;
    if (ms === undefined) return new Promise<never>(() => {});
    return new Promise<never>((_resolve, reject) => {
      const check = (): void => {
        if (this.#ended) return;
        const left = this.#lastBeatAt + ms - this.#clock.now();
        if (left > 0) {
          void this.#clock.sleep(left, this.#timerSignal()).then(check);
          return;
        }
        const { attempt, name } = this.#step;
        const error = new TimeoutError(
          `Attempt ${attempt} of step "${name}" sent no heartbeat for ${ms} ms (its heartbeatTimeout): ` +
            "it is treated as failed and follows its retry policy. Call info.heartbeat() more often than that, " +
            "or raise heartbeatTimeout.",
        );
        onTimeout(error);
        reject(error);
      };
      check();
    });
  }

  /** Stops the watchdog and the flush timer; details are still taken by {@link final}. */
  dispose(): void {
    this.#ended = true;
    this.#timers?.abort(SETTLED);
  }

  #timerSignal(): AbortSignal {
    this.#timers ??= new AbortController();
    return this.#timers.signal;
  }

  #take(now: number): NewEvent {
    const { op, attempt } = this.#step;
    const details = (this.#pending as { details: unknown }).details;
    this.#pending = undefined;
    this.#journaledAt = now;
    return { type: "StepHeartbeat", op, attempt, details };
  }

  /** Wakes the runner when the pending details may be journaled (one timer at a time). */
  #armFlush(now: number): void {
    if (this.#flushArmed) return;
    const wait = this.#journaledAt + this.#interval - now;
    if (wait <= 0) {
      this.#wake();
      return;
    }
    this.#flushArmed = true;
    void this.#clock.sleep(wait, this.#timerSignal()).then(() => {
      this.#flushArmed = false;
      if (!this.#ended) this.#wake();
    });
  }
}

/**
 * The heartbeats of one runner's running attempts, by op: what the runner journals
 * each round ({@link due}) and before each completion ({@link end}).
 */
export class RunnerHeartbeats {
  readonly #byOp = new Map<number, AttemptHeartbeat>();

  constructor(private readonly env: { clock: Clock; codec: Codec; wake: () => void }) {}

  /** The heartbeat of an attempt that starts now. */
  start(step: HeartbeatStep): AttemptHeartbeat {
    const heartbeat = new AttemptHeartbeat(step, this.env);
    this.#byOp.set(step.op, heartbeat);
    return heartbeat;
  }

  /**
   * StepHeartbeat events that are due at `now`, for attempts whose StepScheduled is
   * journaled (`journaled(op)`): a heartbeat never precedes its attempt in the journal.
   */
  due(now: number, journaled: (op: number) => boolean): NewEvent[] {
    const events: NewEvent[] = [];
    for (const [op, heartbeat] of this.#byOp) {
      if (!journaled(op)) continue;
      const event = heartbeat.due(now);
      if (event) events.push(event);
    }
    return events;
  }

  /** The attempt of `op` ended: its last details not journaled yet (none or one event). */
  end(op: number): NewEvent[] {
    const heartbeat = this.#byOp.get(op);
    if (!heartbeat) return [];
    this.#byOp.delete(op);
    const event = heartbeat.final();
    return event ? [event] : [];
  }

  dispose(): void {
    for (const heartbeat of this.#byOp.values()) heartbeat.dispose();
    this.#byOp.clear();
  }
}

/**
 * The latest heartbeat of a running step, as `client.describe` shows it.
 *
 * @example
 * const [beat] = (await client.describe("import-1")).heartbeats ?? [];
 * console.log(beat?.step, beat?.details, beat?.at); // "import" { row: 1200 } 2026-12-01T23:05:12.000Z
 */
export interface StepHeartbeatInfo {
  /** The step identity (`name`, `name#2` when repeated). */
  step: string;
  op: number;
  attempt: number;
  details: unknown;
  /** When it was journaled (heartbeats are journaled at most every `max(1 s, heartbeatTimeout / 2)`). */
  at: Date;
}

/**
 * The latest journaled heartbeat of each step whose last attempt is still open (no
 * completion after its StepScheduled), in op order: what `describe` shows.
 *
 * @example
 * latestHeartbeats(await client.history(id)); // [{ step: "import", op: 0, attempt: 1, details: 1200, at: ... }]
 */
export function latestHeartbeats(journal: readonly JournalEvent[]): StepHeartbeatInfo[] {
  const open = new Map<number, { name: string; attempt: number; heartbeat?: EventOfType<"StepHeartbeat"> }>();
  for (const event of journal) {
    if (event.type === "StepScheduled") {
      const previous = open.get(event.op)?.heartbeat;
      open.set(event.op, {
        name: event.name,
        attempt: event.attempt,
        ...(previous ? { heartbeat: previous } : {}),
      });
    } else if (event.type === "StepHeartbeat") {
      const step = open.get(event.op);
      if (step) step.heartbeat = event;
    } else if (
      event.type === "StepSucceeded" ||
      (event.type === "StepFailed" && event.retryAt === undefined)
    ) {
      open.delete(event.op);
    }
  }
  const found: StepHeartbeatInfo[] = [];
  for (const [op, step] of [...open].sort(([a], [b]) => a - b)) {
    const beat = step.heartbeat;
    if (beat)
      found.push({
        step: step.name,
        op,
        attempt: beat.attempt,
        details: beat.details,
        at: new Date(beat.at),
      });
  }
  return found;
}
