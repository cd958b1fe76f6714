import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** A file the inspector serves: its bytes and content type. */
export interface StaticFile {
  body: Buffer;
  type: string;
}

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".svg": "image/svg+xml",
};

/**
 * The inspector page's files by URL path: `/` and `/ui/*` from the package's `ui/`
 * folder, and `/vendor/*`: the ESM builds of preact, preact/hooks and htm from
 * node_modules (no CDN: the page works offline). Read once, at startup; nothing
 * outside this table is ever served, so no path in a URL can reach another file.
 *
 * @example
 * const files = loadStaticFiles();
 * files.get("/")?.type; // "text/html; charset=utf-8"
 */
export function loadStaticFiles(): Map<string, StaticFile> {
  const files = new Map<string, StaticFile>();
  const ui = findUiFolder();
  for (const name of readdirSync(ui)) {
    const type = TYPES[extname(name)];
    if (type) files.set(`/ui/${name}`, { body: readFileSync(join(ui, name)), type });
  }
  const index = files.get("/ui/index.html");
  if (index) files.set("/", index);
  const require = createRequire(import.meta.url);
  const vendor: Record<string, string> = {
    "/vendor/preact.mjs": require.resolve("preact"),
    "/vendor/preact-hooks.mjs": require.resolve("preact/hooks"),
    // htm's "require" entry is CommonJS; its ESM build sits beside it.
    "/vendor/htm.mjs": join(dirname(require.resolve("htm")), "htm.module.js"),
  };
  for (const [path, file] of Object.entries(vendor)) {
    files.set(path, { body: readFileSync(file), type: TYPES[".mjs"] as string });
  }
  return files;
}

/** The package's ui/ folder, from src/inspector/ (sources) or dist/ (the build). */
function findUiFolder(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 4; up++) {
    const candidate = join(dir, "ui");
    if (existsSync(join(candidate, "index.html"))) return candidate;
    dir = dirname(dir);
  }
  throw new Error("the inspector's ui/ folder is missing from @stepline/cli; reinstall the package");
}
