import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, workflow } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runCli } from "./testing/run-cli.js";

/** Waits for `count` "item" events and returns their payloads. */
const collect = workflow("collect", async (ctx, count: number) => {
  const items: unknown[] = [];
  for (let i = 0; i < count; i++) items.push(await ctx.waitForEvent("item"));
  return items;
});

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-start-event-"));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs `collect` executions on the store in `dir` until `id` ends; its result. */
async function resultOf(id: string): Promise<unknown> {
  const store = lmdbStore(dir);
  const engine = createEngine({ store, log: () => {}, pollInterval: 20 });
  const worker = engine.worker({ workflows: [collect] });
  await worker.start();
  try {
    return await engine.client.result(id, { timeout: "10s" });
  } finally {
    await worker.stop();
    await engine.close();
    await store.close();
  }
}

describe("stepline start --event (signal-with-start)", () => {
  it("starts with the event, then delivers a second start's event to the same execution", async () => {
    const first = await runCli([
      ...["start", "collect", "--id", "cart-1", "--input", "2", "--store", dir, "--json"],
      ...["--event", "item", "--event-payload", '{"sku":"book"}'],
    ]);
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toEqual({
      id: "cart-1",
      workflow: "collect",
      status: "running",
      noWorker: true,
      event: "item",
    });
    const second = await runCli([
      ...["start", "collect", "--id", "cart-1", "--input", "99", "--store", dir],
      ...["--event", "item", "--event-payload", '"pen"'],
    ]);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toBe('started cart-1 (collect, running), sent "item"\n');
    expect(await resultOf("cart-1")).toEqual([{ sku: "book" }, "pen"]);
  });

  it("refuses an event for a finished execution, with sendEvent's message, and writes nothing", async () => {
    expect(
      (await runCli(["start", "collect", "--id", "c-1", "--input", "1", "--event", "item", "--store", dir]))
        .code,
    ).toBe(0);
    expect(await resultOf("c-1")).toEqual([undefined]);
    const late = await runCli([
      "start",
      "collect",
      "--id",
      "c-1",
      "--input",
      "1",
      "--event",
      "item",
      "--store",
      dir,
    ]);
    expect(late.code).toBe(1);
    expect(late.stderr).toContain('Cannot send an event to execution "c-1": it has already succeeded.');
    const history = JSON.parse((await runCli(["history", "c-1", "--store", dir, "--json"])).stdout);
    expect((Array.isArray(history) ? history : history.events).at(-1).type).toBe("ExecutionSucceeded");
    const store = lmdbStore(dir);
    expect(await store.inbox.read("c-1")).toHaveLength(1);
    expect((await store.executions.get("c-1"))?.inboxLength).toBe(1);
    await store.close();
  });

  it("refuses a bad event name and a payload without --event before writing", async () => {
    const reserved = await runCli([
      "start",
      "collect",
      "--id",
      "c-2",
      "--event",
      "stepline.x",
      "--store",
      dir,
    ]);
    expect(reserved.code).not.toBe(0);
    expect(reserved.stderr).toContain(
      'client.start: event.name: the event name "stepline.x" starts with "stepline."',
    );
    const orphan = await runCli(["start", "collect", "--id", "c-3", "--event-payload", "1", "--store", dir]);
    expect(orphan.code).toBe(2);
    expect(orphan.stderr).toContain("--event-payload needs --event NAME");
    const list = JSON.parse((await runCli(["list", "--store", dir, "--json"])).stdout);
    expect(list).toEqual([]);
  });
});
