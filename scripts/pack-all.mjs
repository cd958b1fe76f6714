#!/usr/bin/env node
/**
 * Packs every package of packages/ into one folder of tarballs, the way they would be
 * published: `pnpm pack` rewrites `workspace:*` dependencies to the packages' versions.
 * Usage: pnpm pack:all [folder]   (default: ./packed; run `pnpm build` first)
 * Then, in any project: npm install <folder>/*.tgz
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = resolve(process.argv[2] ?? join(root, "packed"));
mkdirSync(out, { recursive: true });
const packages = readdirSync(join(root, "packages"), { withFileTypes: true })
  .filter((entry) => entry.isDirectory() && existsSync(join(root, "packages", entry.name, "package.json")))
  .map((entry) => join(root, "packages", entry.name));
for (const dir of packages) {
  if (!existsSync(join(dir, "dist"))) {
    console.error(`${dir} has no dist/: run pnpm build first`);
    process.exit(1);
  }
  execFileSync("pnpm", ["pack", "--pack-destination", out], {
    cwd: dir,
    stdio: ["ignore", "ignore", "inherit"],
  });
}
const tarballs = readdirSync(out).filter((name) => name.endsWith(".tgz"));
console.log(
  `${tarballs.length} packages packed into ${out}:\n${tarballs.map((name) => `  ${name}`).join("\n")}`,
);
