/**
 * Where a command writes and what it knows of its surroundings. `main` gets one, so
 * tests can run commands in-process with captured output, and the binary passes the
 * real process streams.
 */
export interface Io {
  /** Writes to standard output: the command's result (one JSON document with `--json`). */
  stdout(text: string): void;
  /** Writes to standard error: errors, warnings and progress. */
  stderr(text: string): void;
  /** Environment variables (STEPLINE_STORE, STEPLINE_REDIS_URL, NO_COLOR, ...). */
  env: Readonly<Record<string, string | undefined>>;
  /** True when standard output is a terminal: colour is then allowed. */
  isTTY: boolean;
  /** Directory that relative paths are resolved against. */
  cwd: string;
  /** Reads standard input to its end (`--input -`); absent when there is none to read. */
  readStdin?(): Promise<string>;
  /**
   * Resolves when the user asks a long-running command (`ui`) to stop (Ctrl-C,
   * SIGTERM). Only such a command calls it: until then the signals keep their default.
   */
  untilInterrupted?(): Promise<void>;
}

/**
 * The Io of the running process.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2), processIo());
 */
export function processIo(): Io {
  // `stepline history ID --json | head`: a reader that stops early is no error.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw error;
  });
  return {
    stdout: (text) => process.stdout.write(text),
    stderr: (text) => process.stderr.write(text),
    env: process.env,
    isTTY: process.stdout.isTTY === true,
    cwd: process.cwd(),
    readStdin: async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString("utf8");
    },
    untilInterrupted: () =>
      new Promise((resolve) => {
        process.once("SIGINT", () => resolve());
        process.once("SIGTERM", () => resolve());
      }),
  };
}
