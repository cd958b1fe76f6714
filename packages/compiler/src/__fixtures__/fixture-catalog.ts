/**
 * The fixture folders, compiled, for the fixture, trace and mutation tests. Test
 * support only: not part of the package.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import type { CompileResult } from "../compile.js";
import { fileSystemResolver } from "../diagram-command.js";
import { compileChecked } from "./checked-compile.js";

export const FIXTURES_DIR = dirname(fileURLToPath(import.meta.url));
/** Where file names in snapshots are relative to: the repository root, as vitest runs. */
const ROOT = join(FIXTURES_DIR, "..", "..", "..", "..");

export interface Fixture {
  name: string;
  dir: string;
  file: string;
  /** The file name the compiler sees: relative to the repository root, so snapshots do not depend on the machine. */
  fileName: string;
}

function listFixtures(dir: string): Fixture[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter(
      (entry) => entry.isDirectory() && !["refused", "order-fulfillment", "lifecycle"].includes(entry.name),
    )
    .map((entry) => {
      const file = join(dir, entry.name, "workflow.ts");
      return { name: entry.name, dir: join(dir, entry.name), file, fileName: relative(ROOT, file) };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** One folder per construct of the mapping table, and one for their nesting. */
export const fixtures = listFixtures(FIXTURES_DIR);
/**
 * The lifecycle features of issue 10 (ctx.map, compensations, timeouts, startChild,
 * continueAsNew, cancellation, terminate, executionTimeout): golden outputs like the
 * others. Their journals come from live runs down chosen paths
 * (lifecycle-live.test.ts), not from sampled inputs, and from hand-written journals
 * for the edge cases a live run does not reach (lifecycle-trace.test.ts).
 */
export const lifecycleFixtures = listFixtures(join(FIXTURES_DIR, "lifecycle"));
/** Programs the compiler must refuse to guess about. */
export const refusals = listFixtures(join(FIXTURES_DIR, "refused"));

/** The order-fulfillment example, with its expected outputs kept in __fixtures__/order-fulfillment. */
export const example: Fixture = {
  name: "order-fulfillment",
  dir: join(FIXTURES_DIR, "order-fulfillment"),
  file: join(ROOT, "examples", "order-fulfillment", "src", "workflow.ts"),
  fileName: "examples/order-fulfillment/src/workflow.ts",
};

/** Compiles a fixture as the CLI would (imports followed on disk), with stable file names. */
export function compileFixture(fixture: Fixture): CompileResult {
  return compileChecked(readFileSync(fixture.file, "utf8"), {
    fileName: fixture.fileName,
    resolveImport: (specifier, from) => {
      const resolved = fileSystemResolver(specifier, join(ROOT, from));
      return resolved && { ...resolved, fileName: relative(ROOT, resolved.fileName) };
    },
  });
}
