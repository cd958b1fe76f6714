import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "stepline-fresh-project-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The script a new user would write after `npm install` of the packed packages
// (docs/getting-started.md, "Installing before the packages are published").
const SCRIPT = `
import { createEngine, workflow } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";

const greet = workflow("greet", async (ctx, name) => {
  const hello = await ctx.step("hello", () => \`hello \${name}\`);
  await ctx.sleep("pause", "10ms");
  return await ctx.step("shout", () => hello.toUpperCase());
});

const engine = createEngine({ store: lmdbStore(".stepline"), workflows: [greet] });
const worker = engine.worker({ workflows: [greet] });
await worker.start();
const run = await engine.client.start(greet, "world", { id: "greet-1" });
console.log(JSON.stringify(await run.result({ timeout: 10_000 })));
await worker.stop();
await engine.close();
`;

describe("the packed packages in a fresh project outside the workspace", () => {
  it("install with npm, run a workflow on LMDB, and `stepline list` shows it", async () => {
    const began = Date.now();
    const tarballs = join(dir, "tarballs");
    await run(process.execPath, [join(root, "scripts/pack-all.mjs"), tarballs], { cwd: root });
    const packed = readdirSync(tarballs).filter((name) => name.endsWith(".tgz"));
    const packages = readdirSync(join(root, "packages"));
    expect(packed).toHaveLength(packages.length);

    const project = join(dir, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "fresh", private: true, type: "module" }),
    );
    await run("npm", ["install", "--no-audit", "--no-fund", ...packed.map((name) => join(tarballs, name))], {
      cwd: project,
      // Not the npm_config_* settings pnpm passes to the scripts it runs: a user's npm has none.
      env: Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_/i.test(name))),
    });
    const installed = Date.now();

    writeFileSync(join(project, "run.mjs"), SCRIPT);
    const workflowRun = await run(process.execPath, ["run.mjs"], { cwd: project });
    expect(workflowRun.stdout.trim()).toBe('"HELLO WORLD"');

    const list = await run(join(project, "node_modules/.bin/stepline"), ["list"], { cwd: project });
    const row = list.stdout.split("\n").find((line) => line.startsWith("greet-1"));
    expect(row).toMatch(/^greet-1\s+greet\s+1\s+succeeded\s/);
    expect(list.stderr).toBe("");
    console.log(
      `pack and install: ${((installed - began) / 1000).toFixed(1)} s, workflow and list: ${((Date.now() - installed) / 1000).toFixed(1)} s`,
    );
  }, 180_000);
});
