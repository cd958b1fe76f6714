import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FIXTURE_IDS, populatedStoreDir } from "../testing/fixture-store.js";
import { spawnCli } from "../testing/run-cli.js";

// docs/inspect.md promises that the read commands work on a store this user cannot
// write. Tests run as root, which ignores permission bits: the store is read by user
// nobody (setpriv) and through a read-only bind mount (unshare -m), for real.
const isRoot = process.getuid?.() === 0;
const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
const canSetpriv = isRoot && has("setpriv");
const canMount = isRoot && has("unshare") && spawnSync("unshare", ["-m", "true"]).status === 0;

let fixture: Awaited<ReturnType<typeof populatedStoreDir>>;
/** A directory every user may write, for export's output. */
let out: string;

beforeAll(async () => {
  fixture = await populatedStoreDir();
  chmodSync(fixture.dir, 0o755);
  out = mkdtempSync(join(tmpdir(), "stepline-ro-out-"));
  chmodSync(out, 0o777);
});

afterAll(async () => {
  await fixture?.[Symbol.asyncDispose]();
  if (out) rmSync(out, { recursive: true, force: true });
});

async function readCommandsWork(wrapper: string[], tag: string) {
  const run = (...args: string[]) =>
    spawnCli([...args, "--store", fixture.dir], { NO_COLOR: "1" }, { wrapper });
  const list = await run("list", "--json");
  expect(list.stderr).toBe("");
  expect(JSON.parse(list.stdout).map((e: { id: string }) => e.id)).toEqual([
    "approval-1",
    "flaky-1",
    "greet-1",
  ]);
  const inspect = await run("inspect", FIXTURE_IDS.waiting, "--json");
  expect(JSON.parse(inspect.stdout).execution.status).toBe("waiting");
  expect(JSON.parse((await run("history", FIXTURE_IDS.succeeded, "--json")).stdout)).toHaveLength(8);
  const exported = await run("export", FIXTURE_IDS.succeeded, "-o", join(out, `${tag}.json`));
  expect(exported.code).toBe(0);
  const check = await run(
    "replay-check",
    FIXTURE_IDS.succeeded,
    "--workflow",
    "packages/cli/src/testing/fixture-workflows.ts",
  );
  expect(check.stdout).toMatch(/^compatible: greet-1/);
  // A command that writes says why it cannot, in one line naming the store.
  const start = await run("start", "greet", "--input", '"Bo"');
  expect(start.code).toBe(1);
  expect(start.stderr.trimEnd().split("\n")).toHaveLength(1);
  expect(start.stderr).toContain(`stepline start: Cannot open the store at "${fixture.dir}": `);
  return start.stderr;
}

describe("read-only CLI commands on a store this user cannot write", () => {
  it.skipIf(!canSetpriv)(
    "work as a user without write access (nobody)",
    async () => {
      const refused = await readCommandsWork(
        ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"],
        "nobody",
      );
      expect(refused).toMatch(
        /this process may not write its files \(EACCES: .*\)\. Give this user write access/,
      );
    },
    120_000,
  );

  it.skipIf(!canMount)(
    "work on a read-only file system (a read-only bind mount)",
    async () => {
      const wrapper = [
        "unshare",
        "-m",
        "sh",
        "-c",
        'mount --bind -o ro "$1" "$1" && shift && exec "$@"',
        "sh",
        fixture.dir,
      ];
      const refused = await readCommandsWork(wrapper, "mounted");
      expect(refused).toMatch(/the file system is read-only \(EROFS: /);
    },
    120_000,
  );
});
