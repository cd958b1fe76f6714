import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { createEngine } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tally } from "../testing/fixture-query-workflows.js";
import { runCli } from "../testing/run-cli.js";

const module = join(fileURLToPath(new URL("..", import.meta.url)), "testing", "fixture-query-workflows.ts");
let dir: string;

/** The store's record, journal and inbox of `id`, as bytes (the store opened and closed again). */
async function snapshot(id: string) {
  const store = lmdbStore(dir);
  try {
    const hex = (entries: Uint8Array[]) => entries.map((entry) => Buffer.from(entry).toString("hex"));
    return {
      record: await store.executions.get(id),
      journal: hex(await store.journal.read(id)),
      inbox: hex(await store.inbox.read(id)),
    };
  } finally {
    await store.close();
  }
}

// One execution waiting for its fourth "add", its store closed: the CLI opens the directory itself.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-cli-query-"));
  const engine = createEngine({ store: lmdbStore(dir), log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [tally] });
  await worker.start();
  const run = await engine.client.start(tally, "t", { id: "tally-1" });
  for (const n of [5, 1, 7]) await run.sendEvent("add", n);
  for (let tries = 0; (await run.history()).filter((e) => e.type === "EventReceived").length < 3; tries++) {
    if (tries > 1_000) throw new Error("the events were not received");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await worker.stop();
  await engine.close();
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("stepline query", () => {
  it("prints the handler's answer, with --args, and --json; the store is left byte-identical", async () => {
    const before = await snapshot("tally-1");
    const plain = await runCli(["query", "tally-1", "tally", "--workflow", module, "--store", dir]);
    expect(plain).toEqual({
      code: 0,
      stdout: '{\n  "label": "t",\n  "count": 3,\n  "total": 13\n}\n',
      stderr: "",
    });
    const args = ["query", "tally-1", "added-at-least", "--args", "5", "--workflow", module, "--store", dir];
    const json = await runCli([...args, "--json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      id: "tally-1",
      workflow: "tally",
      query: "added-at-least",
      answer: [5, 7],
    });
    expect(await snapshot("tally-1")).toEqual(before);
  });

  it("says what is wrong: an unknown query, a handler that throws, a bad name, a missing --workflow", async () => {
    const common = ["--workflow", module, "--store", dir];
    const unknown = await runCli(["query", "tally-1", "total", ...common]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toBe(
      'stepline query: Execution "tally-1" (workflow "tally") has no query "total" (registered: tally, ' +
        'added-at-least, broken). Register it with ctx.onQuery("total", (args) => value) in the workflow body, ' +
        "before the point the execution has reached; see docs/talking-to-executions.md#queries.\n",
    );
    const broken = await runCli(["query", "tally-1", "broken", ...common]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toBe(
      'stepline query: Query "broken" of execution "tally-1" failed: its handler threw Error: the handler ' +
        "is broken. The execution is not affected; fix the handler.\n",
    );
    const badName = await runCli(["query", "tally-1", "a\tb", ...common]);
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(
      /^stepline query: QUERY: the query name "a\\u\{9\}b" contains the control character U\+0009/,
    );
    const noModule = await runCli(["query", "tally-1", "tally", "--store", dir]);
    expect(noModule.code).toBe(2);
    expect(noModule.stderr).toMatch(/missing --workflow MODULE/);
    const missing = await runCli(["query", "nope", "tally", ...common]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^stepline query: no execution "nope" in /);
  });
});
