import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { ResolvedImport } from "./compile-scope.js";

// Conditions tried in a package's `exports`, in order; `types` is skipped (a .d.ts has no bodies).
const CONDITIONS = ["source", "import", "module", "node", "default", "require"];

/**
 * Reads the module a package specifier names (`@acme/flows`, `@acme/flows/welcome`)
 * from the nearest `node_modules` above `fromFile`: its `exports` entry (the first of
 * source, import, module, node, default, require), else `module` or `main`. The
 * compiler parses JavaScript as well as TypeScript, so a built package is read as built.
 * Undefined when the package or its entry is not on disk.
 *
 * @example
 * resolvePackageImport("@acme/flows", "/repo/src/signup.ts");
 * // { fileName: "/repo/node_modules/@acme/flows/dist/index.js", sourceText: "..." }
 */
export function resolvePackageImport(specifier: string, fromFile: string): ResolvedImport | undefined {
  const parts = specifier.split("/");
  const nameLength = specifier.startsWith("@") ? 2 : 1;
  if (parts.length < nameLength || parts.some((part) => part === "" || part === "..")) return undefined;
  const name = parts.slice(0, nameLength).join("/");
  const subpath = parts.length > nameLength ? `./${parts.slice(nameLength).join("/")}` : ".";
  for (let dir = dirname(fromFile); ; dir = dirname(dir)) {
    const packageDir = join(dir, "node_modules", name);
    const manifestPath = join(packageDir, "package.json");
    if (existsSync(manifestPath)) {
      const entry = packageEntry(JSON.parse(readFileSync(manifestPath, "utf8")), subpath);
      const file = entry && join(packageDir, entry);
      return file && existsSync(file)
        ? { fileName: file, sourceText: readFileSync(file, "utf8") }
        : undefined;
    }
    if (dirname(dir) === dir) return undefined;
  }
}

interface Manifest {
  exports?: unknown;
  module?: string;
  main?: string;
}

function packageEntry(manifest: Manifest, subpath: string): string | undefined {
  const { exports } = manifest;
  if (exports !== undefined) {
    const isSubpathMap =
      typeof exports === "object" &&
      exports !== null &&
      Object.keys(exports).some((key) => key.startsWith("."));
    const target = isSubpathMap
      ? (exports as Record<string, unknown>)[subpath]
      : subpath === "."
        ? exports
        : undefined;
    return conditionTarget(target);
  }
  if (subpath !== ".") return subpath;
  return manifest.module ?? manifest.main ?? "index.js";
}

function conditionTarget(target: unknown): string | undefined {
  if (typeof target === "string") return target;
  if (Array.isArray(target)) {
    for (const item of target) {
      const found = conditionTarget(item);
      if (found) return found;
    }
    return undefined;
  }
  if (typeof target !== "object" || target === null) return undefined;
  const conditions = target as Record<string, unknown>;
  for (const condition of CONDITIONS) {
    if (condition in conditions) {
      const found = conditionTarget(conditions[condition]);
      if (found) return found;
    }
  }
  return undefined;
}
