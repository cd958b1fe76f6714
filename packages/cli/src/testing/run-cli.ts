import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Io } from "../io.js";
import { main } from "../main.js";

const packageDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const repoRoot = join(packageDir, "..", "..");

/** What a CLI run printed and returned. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs the real `stepline` binary from its sources in a child process (node with
 * tsx, as `pnpm stepline` does with the build): exit code, stdout and stderr apart.
 * `wrapper` runs it through another command (`setpriv ...` to run as another user).
 *
 * @example
 * const run = await spawnCli(["list", "--store", dir, "--json"]);
 */
export function spawnCli(
  args: readonly string[],
  env: Record<string, string> = {},
  options: { wrapper?: readonly string[] } = {},
): Promise<CliRun> {
  const command = [
    ...(options.wrapper ?? []),
    process.execPath,
    "--conditions=@stepline/source",
    "--import",
    "tsx",
    join(packageDir, "src", "cli.ts"),
    ...args,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(command[0] as string, command.slice(1), {
      cwd: repoRoot,
      env: { ...process.env, NO_COLOR: "", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * Runs `main` in this process with captured output: faster than {@link spawnCli},
 * for tests of what commands print.
 *
 * @example
 * const run = await runCli(["inspect", "greet-1", "--store", dir]);
 */
export async function runCli(
  args: readonly string[],
  options: { env?: Record<string, string>; isTTY?: boolean; stdin?: string } = {},
): Promise<CliRun> {
  let stdout = "";
  let stderr = "";
  const io: Io = {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: options.env ?? {},
    isTTY: options.isTTY ?? false,
    cwd: repoRoot,
    ...(options.stdin === undefined ? {} : { readStdin: async () => options.stdin as string }),
  };
  const code = await main(args, io);
  return { code, stdout, stderr };
}

/** The repository's root: where spawned CLIs run. */
export const REPO_ROOT = repoRoot;
