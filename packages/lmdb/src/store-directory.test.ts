import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { StoreOpenError } from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { entryBytes, T0 } from "./fixtures/entry-bytes.js";
import { lmdbStore } from "./lmdb-store.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-lmdb-open-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function openError(path: string, options: { readOnly?: boolean } = {}): StoreOpenError {
  try {
    lmdbStore(path, options);
  } catch (error) {
    expect(StoreOpenError.is(error)).toBe(true);
    return error as StoreOpenError;
  }
  throw new Error(`lmdbStore(${path}) opened`);
}

async function storeWithOneExecution(path: string): Promise<void> {
  const store = lmdbStore(path);
  await store.executions.create({ id: "kept", workflow: "w", createdAt: T0, started: entryBytes("kept", 0) });
  await store.close();
}

/** Runs fixtures/open-store.ts in another process, optionally as another user or under a wrapper. */
function openElsewhere(path: string, options: { readOnly?: boolean; prefix?: string[] } = {}) {
  const args = [
    ...(options.prefix ?? []),
    process.execPath,
    "--conditions=@stepline/source",
    "--import",
    "tsx",
    join(packageDir, "src/fixtures/open-store.ts"),
    path,
    ...(options.readOnly ? ["read-only"] : []),
  ];
  const run = spawnSync(args[0] as string, args.slice(1), {
    cwd: packageDir,
    encoding: "utf8",
    timeout: 30_000,
  });
  const line = run.stdout.trim().split("\n").at(-1) ?? "";
  if (!line.startsWith("{"))
    throw new Error(`open-store.ts printed no verdict: ${run.stdout}\n${run.stderr}`);
  return JSON.parse(line) as {
    opened: boolean;
    executions?: string[];
    storeOpenError?: boolean;
    message?: string;
  };
}

const isRoot = process.getuid?.() === 0;
const has = (tool: string) => spawnSync("sh", ["-c", `command -v ${tool}`]).status === 0;
/** Root ignores permission bits: the permission cases run as user nobody, through setpriv. */
const asNobody =
  isRoot && has("setpriv") ? ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] : undefined;
/** A read-only bind mount in a private mount namespace: needs root (CAP_SYS_ADMIN) and unshare. */
const canMountReadOnly = isRoot && has("unshare") && spawnSync("unshare", ["-m", "true"]).status === 0;

describe("lmdbStore on a path that cannot hold a store", () => {
  it("a regular file: names the path and says to pass a directory", () => {
    const file = join(dir, "store.db");
    writeFileSync(file, "not a store");
    const error = openError(file);
    expect(error.path).toBe(file);
    expect(error.message).toBe(
      `Cannot open the store at "${file}": it is a file, not a directory. An LMDB store is a directory: pass the path of a directory (a missing one is created), or move the file away.`,
    );
  });

  it("a path under a regular file", () => {
    const file = join(dir, "plain");
    writeFileSync(file, "x");
    expect(openError(join(file, "a", "store")).message).toBe(
      `Cannot open the store at "${join(file, "a", "store")}": "${file}" is a file, so no directory can be created under it. Pass a path whose parents are directories.`,
    );
  });

  it.skipIf(!existsSync("/proc/self"))(
    "a path under /proc, where no directory can be created (and Node's recursive mkdir never returns; skipped without procfs)",
    () => {
      const error = openError("/proc/stepline-no-store/data");
      expect(error.message).toMatch(
        /^Cannot open the store at "\/proc\/stepline-no-store\/data": cannot create the directory "\/proc\/stepline-no-store" \(E[A-Z]+\)\. Pass a path in a directory this process may write/,
      );
    },
  );

  it("readOnly on a missing store creates nothing and says so", () => {
    const path = join(dir, "missing");
    expect(openError(path, { readOnly: true }).message).toBe(
      `Cannot open the store at "${path}": there is no store there (the directory does not exist). Check the path; a read-only open creates nothing, so run a worker there first to create the store.`,
    );
    expect(existsSync(path)).toBe(false);
    mkdirSync(path);
    expect(openError(path, { readOnly: true }).message).toMatch(/there is no store there \(ENOENT: /);
  });

  it("readOnly reads what a writer wrote, and refuses writes", async () => {
    const path = join(dir, "store");
    await storeWithOneExecution(path);
    const reader = lmdbStore(path, { readOnly: true });
    try {
      expect((await reader.executions.list()).map((r) => r.id)).toEqual(["kept"]);
      expect(await reader.journal.read("kept")).toHaveLength(1);
      await expect(
        reader.executions.create({ id: "new", workflow: "w", createdAt: T0, started: entryBytes("new", 0) }),
      ).rejects.toThrow(/opened read-only, and this call writes; nothing was written/);
    } finally {
      await reader.close();
    }
    const writer = lmdbStore(path);
    expect((await writer.executions.list()).map((r) => r.id)).toEqual(["kept"]);
    await writer.close();
  });

  it.skipIf(!asNobody)(
    "a store this user may not write: a writer gets the path and the fix, a reader reads (as user nobody)",
    async () => {
      const path = join(dir, "store");
      await storeWithOneExecution(path);
      chmodSync(dir, 0o755);
      const writing = openElsewhere(path, { prefix: asNobody });
      expect(writing).toMatchObject({ opened: false, storeOpenError: true });
      expect(writing.message).toMatch(
        new RegExp(
          `^Cannot open the store at "${path}": this process may not write its files \\(EACCES: .*\\)\\. Give this user write access .* \\{ readOnly: true \\}`,
        ),
      );
      // Read-only, the same user reads it: LMDB does without the lock file it may not write.
      expect(openElsewhere(path, { prefix: asNobody, readOnly: true })).toEqual({
        opened: true,
        executions: ["kept"],
      });
      // Not a directory this user may create either.
      const fresh = openElsewhere(join(dir, "new-store"), { prefix: asNobody });
      expect(fresh.message).toMatch(/cannot create the directory ".*new-store" \(EACCES\)/);
    },
  );

  it.skipIf(!canMountReadOnly)(
    "a read-only file system: readOnly opens it, a writer gets the fix",
    async () => {
      const path = join(dir, "store");
      await storeWithOneExecution(path);
      const inMount = (readOnly: boolean) =>
        execFileSync(
          "unshare",
          [
            "-m",
            "sh",
            "-c",
            'mount --bind -o ro "$1" "$1" && shift && exec "$@"',
            "sh",
            path,
            process.execPath,
            "--conditions=@stepline/source",
            "--import",
            "tsx",
            join(packageDir, "src/fixtures/open-store.ts"),
            path,
            ...(readOnly ? ["read-only"] : []),
          ],
          { cwd: packageDir, encoding: "utf8", timeout: 30_000 },
        );
      expect(JSON.parse(inMount(true))).toEqual({ opened: true, executions: ["kept"] });
      const writer = JSON.parse(inMount(false));
      expect(writer).toMatchObject({ opened: false, storeOpenError: true });
      expect(writer.message).toMatch(
        /the file system is read-only \(EROFS: .*\)\. Open it on a writable file system to run workers\. To only read it .*\{ readOnly: true \}/,
      );
    },
  );
});
