import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "./testing/run-cli.js";

const schemaModule = join(
  fileURLToPath(new URL(".", import.meta.url)),
  "testing",
  "fixture-schema-workflows.ts",
);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-cli-schema-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const refused =
  'stepline start: --input: the input of workflow "subscribe" does not match its input schema: ' +
  "email: Invalid email address: it has no @. Nothing was started. Pass an input the schema accepts, " +
  'or change the schema given to workflow("subscribe", fn, { input }). See docs/getting-started.md#input-schemas.\n';

describe("stepline start --module with an input schema", () => {
  it("refuses an input the schema refuses: one line naming each issue, exit code 2, nothing written", async () => {
    const run = await runCli([
      "start",
      "subscribe",
      "--module",
      schemaModule,
      "--input",
      '{"email":"ada.example.com"}',
      "--id",
      "sub-1",
      "--store",
      dir,
    ]);
    expect(run.stdout).toBe("");
    expect(run.stderr).toBe(refused);
    expect(run.code).toBe(2);
    const listed = await runCli(["list", "--json", "--store", dir]);
    expect(JSON.parse(listed.stdout)).toEqual([]);
    expect((await runCli(["inspect", "sub-1", "--store", dir])).code).toBe(1);
  });

  it("journals the schema's output for an input it accepts", async () => {
    const args = ["--module", schemaModule, "--id", "sub-2", "--store", dir];
    const run = await runCli(["start", "subscribe", "--input", '{"email":" ada@example.com "}', ...args]);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe("started sub-2 (subscribe, running)\n");
    const history = JSON.parse((await runCli(["history", "sub-2", "--json", "--store", dir])).stdout);
    expect(history[0]).toMatchObject({ type: "ExecutionStarted", input: { email: "ada@example.com" } });
  });

  it("the real binary prints the same line and exits 2, with no stack trace", async () => {
    const run = await spawnCli([
      "start",
      "subscribe",
      "--module",
      schemaModule,
      "--input",
      '{"email":"ada.example.com"}',
      "--store",
      dir,
    ]);
    expect(run.stderr).toBe(refused);
    expect(run.code).toBe(2);
  });
});
