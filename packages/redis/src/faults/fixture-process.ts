import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const packageDir = fileURLToPath(new URL("../..", import.meta.url));

/** A fixture of faults/fixtures running in a child process that this test process started. */
export interface FixtureProcess {
  readonly pid: number;
  /** Every line it wrote on stdout so far. */
  readonly lines: string[];
  /** Resolves when it has exited, with its exit code or the signal that ended it. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Whether it is still running. */
  alive(): boolean;
  /** Resolves with the first line (already written or to come) that `match` accepts. */
  waitForLine(match: (line: string) => boolean, timeoutMs: number): Promise<string>;
  /** Sends `signal` to this process by its PID (nothing if it has exited). */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs it by PID, if it still runs, and waits for its exit. Harmless twice. */
  kill(): Promise<void>;
}

/**
 * Starts `node --conditions=@stepline/source --import tsx faults/fixtures/<file> ...args`
 * in the package directory, and waits for its `ready` line unless `waitReady` is false.
 * Its stderr goes to the test's stderr.
 */
export async function spawnFixture(
  file: string,
  args: string[],
  options: { waitReady?: boolean; readyTimeoutMs?: number } = {},
): Promise<FixtureProcess> {
  const child: ChildProcess = spawn(
    process.execPath,
    ["--conditions=@stepline/source", "--import", "tsx", `src/faults/fixtures/${file}`, ...args],
    { cwd: packageDir, stdio: ["ignore", "pipe", "inherit"] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start fixture ${file}`);
  const lines: string[] = [];
  const waiters = new Set<() => void>();
  let partial = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    partial += chunk.toString();
    const complete = partial.split("\n");
    partial = complete.pop() ?? "";
    lines.push(...complete);
    for (const waiter of waiters) waiter();
  });
  let running = true;
  const exited = once(child, "exit").then(([code, signal]) => {
    running = false;
    for (const waiter of waiters) waiter();
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });

  const waitForLine = (match: (line: string) => boolean, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const line = lines.find(match);
        if (line !== undefined) done(() => resolve(line));
        else if (!running) done(() => reject(new Error(`fixture ${file} (pid ${pid}) exited first`)));
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`fixture ${file} (pid ${pid}): no such line in ${timeoutMs} ms`))),
        timeoutMs,
      );
      const done = (settle: () => void) => {
        clearTimeout(timer);
        waiters.delete(check);
        settle();
      };
      waiters.add(check);
      check();
    });

  const fixture: FixtureProcess = {
    pid,
    lines,
    exited,
    alive: () => running,
    waitForLine,
    signal(signal) {
      if (running) process.kill(pid, signal);
    },
    async kill() {
      if (running) process.kill(pid, "SIGKILL");
      await exited;
    },
  };
  if (options.waitReady !== false) {
    try {
      await waitForLine((line) => line === "ready", options.readyTimeoutMs ?? 20_000);
    } catch (error) {
      await fixture.kill();
      throw error;
    }
  }
  return fixture;
}
