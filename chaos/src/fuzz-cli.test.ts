import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { canary, echo } from "./fuzz-workflows.js";
import { hostileString } from "./hostile-values.js";

/**
 * Hostile arguments through the CLI, spawned as a user would run it (`node
 * packages/cli/dist/cli.js ...`, so `pnpm build` first), on an LMDB store holding a few
 * executions. Each run must exit 0, 1 or 2 (no signal, no hang), print no stack trace
 * on stderr; afterwards a worker on that store still runs a canary execution. All cases
 * run (four at a time) and every failing one is listed with its arguments; the seed is
 * printed (STEPLINE_FUZZ_SEED plays a run again).
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const cli = join(root, "packages/cli/dist/cli.js");
const dir = mkdtempSync(join(tmpdir(), "stepline-fuzz-cli-"));
const store = join(dir, "store");
const seed = process.env.STEPLINE_FUZZ_SEED ? Number(process.env.STEPLINE_FUZZ_SEED) : Date.now() % 2 ** 31;
const RUNS = 24;
const AT_ONCE = 4;
const STACK_LINE = /^\s+at\s.*(\d+:\d+\)?|\(native\)|<anonymous>)\s*$/m;

beforeAll(async () => {
  // Files a hostile argument may name: a module that throws on import, one that does not parse, a bad export.
  writeFileSync(join(dir, "throws.mjs"), 'throw new Error("top-level");\n');
  writeFileSync(join(dir, "broken.ts"), "export const = ;\n");
  writeFileSync(join(dir, "bad.json"), '{"format":"stepline-journal","version":99,"events":[{"seq":0}]}\n');
  const engine = createEngine({
    store: lmdbStore(store),
    workflows: [echo],
    log: () => {},
    pollInterval: 20,
  });
  const worker = engine.worker({ workflows: [echo] });
  await worker.start();
  for (const id of ["fuzz-a", "fuzz-b"])
    await (await engine.client.start(echo, { id }, { id })).result({ timeout: 10_000 });
  await worker.stop();
  await engine.close();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const COMMANDS = [
  "list",
  "inspect",
  "history",
  "export",
  "import",
  "replay-check",
  "start",
  "send-event",
  "cancel",
  "diagram",
  "help",
  "bogus",
];
const FLAGS = [
  "--json",
  "--status",
  "--limit",
  "--workflow",
  "--input",
  "--id",
  "--out",
  "--format",
  "--timeout",
  "--reason",
  "--payload",
  "--full",
  "-o",
  "--",
  "-h",
];
// The OS cannot pass a NUL byte in an argument: it is not a case the CLI can see.
const cliString = hostileString.map((s) => s.replaceAll("\u0000", "")).filter((s) => s.length < 2_000);
const token = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...FLAGS) },
  { weight: 3, arbitrary: cliString },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      "fuzz-a",
      "-5",
      "0",
      "1e400",
      "NaN",
      "@/nonexistent",
      "@.",
      "-",
      "{bad json",
      '{"a":1}',
      "bogus",
      "throws.mjs",
      "broken.ts",
      "bad.json",
      "out.json",
      ".",
    ),
  },
);
const invocation = fc.tuple(fc.constantFrom(...COMMANDS), fc.array(token, { maxLength: 5 }));

function runCli(
  args: string[],
): Promise<{ code: number | null; signal: string | null; stderr: string; hung: boolean }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      // diagram reads a source file and takes no store.
      [cli, ...args, ...(args[0] === "diagram" ? [] : ["--store", store])],
      { cwd: dir, timeout: 20_000, env: { ...process.env, NO_COLOR: "1" }, maxBuffer: 64 * 1024 * 1024 },
      (error, _stdout, stderr) => {
        const e = error as
          | (NodeJS.ErrnoException & { code?: number | string; signal?: string; killed?: boolean })
          | null;
        resolve({
          code: e ? (typeof e.code === "number" ? e.code : null) : 0,
          signal: e?.signal ?? null,
          stderr: String(stderr),
          hung: e?.killed === true,
        });
      },
    );
  });
}

describe("fuzz: hostile arguments through the CLI (LMDB)", () => {
  it("exits 0, 1 or 2 without a stack trace, and the store still serves a canary", async () => {
    console.log(`CLI fuzz: ${RUNS} runs, seed ${seed} (STEPLINE_FUZZ_SEED=${seed} plays them again)`);
    const cases = fc.sample(invocation, { seed, numRuns: RUNS });
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += AT_ONCE) {
      await Promise.all(
        cases.slice(i, i + AT_ONCE).map(async ([command, rest]) => {
          const args = [command, ...rest];
          const { code, signal, stderr, hung } = await runCli(args);
          const problems: string[] = [];
          if (hung) problems.push("hung for 20 s");
          else if (signal) problems.push(`killed by ${signal}`);
          else if (code === null || ![0, 1, 2].includes(code)) problems.push(`exit code ${code}`);
          if (STACK_LINE.test(stderr)) problems.push("a stack trace on stderr");
          if (problems.length > 0)
            failures.push(
              `stepline ${args.map((a) => JSON.stringify(a)).join(" ")}: ${problems.join(", ")}; stderr: ${stderr.slice(0, 300).replaceAll("\n", "⏎")}`,
            );
        }),
      );
    }
    const engine = createEngine({
      store: lmdbStore(store),
      workflows: [canary],
      log: () => {},
      pollInterval: 20,
    });
    const worker = engine.worker({ workflows: [canary] });
    await worker.start();
    try {
      const run = await engine.client.start(canary, { n: 20 });
      expect(await run.result({ timeout: 10_000 })).toBe(42);
    } finally {
      await worker.stop();
      await engine.close();
    }
    expect(failures, `${failures.length} of ${RUNS} CLI runs failed (seed ${seed})`).toEqual([]);
  }, 240_000);
});
