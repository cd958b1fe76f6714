import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/**
 * The independent log: what each worker process saw, written outside the store under
 * test, one JSON line per record, one file per process. Each record is written with a
 * synchronous append before the code goes on, so a SIGKILL loses nothing that
 * happened before it (at most the record of an action that was under way).
 * `t` is Date.now() on one host: records of different processes compare by it.
 */
export type LogRecord =
  | { k: "worker-up"; t: number; pid: number }
  | {
      k: "body-start" | "body-end";
      t: number;
      pid: number;
      exec: string;
      op: number;
      step: string;
      attempt: number;
      token: number | null;
      /** body-end only: whether the body returned (false: it threw). */
      ok?: boolean;
      result?: number;
    }
  /** A claim the store granted to this process. */
  | { k: "claim"; t: number; pid: number; exec: string; token: number; recovered: boolean }
  /** An append about to be sent: `ref` pairs it with its outcome. */
  | {
      k: "append";
      t: number;
      pid: number;
      ref: number;
      exec: string;
      token: number;
      seq: number;
      types: string[];
    }
  | { k: "append-ok"; t: number; pid: number; ref: number; length: number }
  | { k: "append-refused"; t: number; pid: number; ref: number; error: string }
  /** Faults, written by the harness (pid is the target). */
  | { k: "kill" | "stop" | "cont" | "spawn" | "term"; t: number; pid: number };

/** A log file that records are appended to; each `write` is on disk (in the page cache) when it returns. */
export class HistoryLog {
  constructor(readonly file: string) {}

  write(record: LogRecord): void {
    appendFileSync(this.file, `${JSON.stringify(record)}\n`);
  }
}

/**
 * Reads every `*.log` file of a directory. A last line cut by a kill (no newline, not
 * JSON) is dropped: it is the one record a SIGKILL may lose.
 */
export function readHistory(dir: string): LogRecord[] {
  const records: LogRecord[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (!name.endsWith(".log")) continue;
    for (const line of readFileSync(join(dir, name), "utf8").split("\n")) {
      if (line.trim() === "") continue;
      try {
        records.push(JSON.parse(line) as LogRecord);
      } catch {
        // a torn last line
      }
    }
  }
  return records.sort((a, b) => a.t - b.t);
}
