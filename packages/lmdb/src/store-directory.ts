/**
 * The directory of an LMDB store, made ready before LMDB opens it, and LMDB's open
 * errors turned into a StoreOpenError that names the path, the cause and the fix.
 * LMDB itself reports only an errno ("Error code=13 Permission denied: Attempting to
 * setup locks"), and Node's recursive mkdir never returns under /proc, so the path
 * is checked here first, one component at a time.
 */
import { mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { StoreOpenError } from "@stepline/core";

/** errno names of the numeric codes lmdb-js puts on its errors. */
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  13: "EACCES",
  20: "ENOTDIR",
  21: "EISDIR",
  28: "ENOSPC",
  30: "EROFS",
};

const READ_ONLY_HINT =
  "To only read it (list, inspect), open it with lmdbStore(path, { readOnly: true }), as the stepline CLI's read commands do.";

/**
 * Makes sure `path` can hold a store: an existing directory, or (unless `readOnly`)
 * one created here with its missing parents. Throws StoreOpenError otherwise.
 *
 * @example
 * prepareStoreDirectory("./.stepline", { readOnly: false });
 */
export function prepareStoreDirectory(path: string, options: { readOnly: boolean }): void {
  const full = resolve(path);
  const missing: string[] = [];
  let existing = full;
  for (;;) {
    const kind = kindOf(existing, path);
    if (kind === "directory") break;
    if (kind === "file") {
      if (existing === full) {
        throw new StoreOpenError(
          path,
          "it is a file, not a directory",
          "An LMDB store is a directory: pass the path of a directory (a missing one is created), or move the file away.",
        );
      }
      throw new StoreOpenError(
        path,
        `"${existing}" is a file, so no directory can be created under it`,
        "Pass a path whose parents are directories.",
      );
    }
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  if (missing.length === 0) return;
  if (options.readOnly) {
    throw new StoreOpenError(
      path,
      "there is no store there (the directory does not exist)",
      "Check the path; a read-only open creates nothing, so run a worker there first to create the store.",
    );
  }
  for (const directory of missing) {
    try {
      mkdirSync(directory);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EEXIST") continue;
      throw new StoreOpenError(
        path,
        `cannot create the directory "${directory}" (${code ?? (error as Error).message})`,
        code === "EROFS"
          ? `The file system is read-only: pass a path on a writable one. ${READ_ONLY_HINT}`
          : "Pass a path in a directory this process may write, or create the directory with write access for this user.",
        { cause: error },
      );
    }
  }
}

/**
 * The StoreOpenError for an error LMDB threw while opening the store at `path`, or
 * the error itself when it is not about the path (a bug, a layout mismatch).
 *
 * @example
 * try { open(path, options); } catch (error) { throw storeOpenError(path, error, { readOnly }); }
 */
export function storeOpenError(path: string, error: unknown, options: { readOnly: boolean }): unknown {
  if (StoreOpenError.is(error)) return error;
  const raw = (error as { code?: unknown }).code;
  const code =
    typeof raw === "number" ? ERRNO_NAMES[Math.abs(raw)] : typeof raw === "string" ? raw : undefined;
  const detail = `${code ?? "error"}: ${(error as Error).message}`;
  switch (code) {
    case "EACCES":
    case "EPERM":
      return new StoreOpenError(
        path,
        `this process may not write its files (${detail})`,
        options.readOnly
          ? "Give this user read access to the directory and its files (data.mdb, lock.mdb)."
          : "Give this user write access to the directory and its files (or run as the user that owns them). " +
              READ_ONLY_HINT,
        { cause: error },
      );
    case "EROFS":
      return new StoreOpenError(
        path,
        `the file system is read-only (${detail})`,
        options.readOnly
          ? "Copy the store to a writable file system."
          : `Open it on a writable file system to run workers. ${READ_ONLY_HINT}`,
        { cause: error },
      );
    case "ENOENT":
      return new StoreOpenError(
        path,
        `there is no store there (${detail})`,
        "Check the path; a read-only open creates nothing, so run a worker there first to create the store.",
        { cause: error },
      );
    case "ENOTDIR":
    case "EISDIR":
      return new StoreOpenError(
        path,
        `the path is not a directory (${detail})`,
        "Pass the path of a directory.",
        {
          cause: error,
        },
      );
    case "ENOSPC":
      return new StoreOpenError(path, `the disk is full (${detail})`, "Free space on its file system.", {
        cause: error,
      });
    default:
      return error;
  }
}

function kindOf(path: string, storePath: string): "directory" | "file" | "missing" {
  try {
    return statSync(path).isDirectory() ? "directory" : "file";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") return "missing";
    // ENOTDIR: a parent is a file; the walk up finds it.
    if (code === "ENOTDIR") return "missing";
    throw new StoreOpenError(
      storePath,
      `cannot look at "${path}" (${code ?? (error as Error).message})`,
      "Pass a path this process may read.",
      { cause: error },
    );
  }
}
