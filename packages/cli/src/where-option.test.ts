import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type AttributesUpdate, Codec, type JournalEvent, type Store } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./testing/run-cli.js";
import { whereOption } from "./where-option.js";

const T0 = Date.UTC(2026, 0, 1);
const codec = new Codec();
const encode = (event: Record<string, unknown>) => codec.encode(event as JournalEvent, "event");

describe("whereOption", () => {
  it("parses name=value: JSON numbers, booleans and strings, else the text", () => {
    expect(
      whereOption(["customerId=c-42", "tier=2", "vip=true", 'code="42"', "note=null", "expr=a=b", "empty="]),
    ).toEqual({ customerId: "c-42", tier: 2, vip: true, code: "42", note: "null", expr: "a=b", empty: "" });
    expect(whereOption(undefined)).toBeUndefined();
    expect(whereOption([])).toBeUndefined();
  });

  it("refuses a value without =, a name given twice and a bad name, as usage errors", () => {
    expect(() => whereOption(["customerId"])).toThrow(/--where "customerId" is not name=value/);
    expect(() => whereOption(["=x"])).toThrow(/is not name=value/);
    expect(() => whereOption(["a=1", "a=2"])).toThrow(/--where a is given twice/);
    expect(() => whereOption(["customer id=1"])).toThrow(/the attribute name "customer id"/);
    try {
      whereOption(["x=1", "x y=2"]);
    } catch (error) {
      expect((error as { exitCode?: number }).exitCode).toBe(2);
    }
  });
});

describe("stepline list and count --where", () => {
  let dir: string;

  async function add(store: Store, id: string, attributes: AttributesUpdate, at: number) {
    const workflow = id.startsWith("r") ? "refund" : "order";
    const started = encode({
      type: "ExecutionStarted",
      seq: 0,
      at,
      workflow,
      version: 1,
      input: null,
      seed: 1,
    });
    await store.executions.create({ id, workflow, createdAt: at, started });
    const [claim] = await store.queue.claim({
      owner: "w",
      workflows: [workflow],
      limit: 1,
      now: at,
      leaseMs: 1,
    });
    if (!claim) throw new Error(`setup: ${id} not claimed`);
    await store.journal.append(
      claim.lease,
      {
        expectedSeq: 1,
        events: [encode({ type: "AttributesSet", seq: 1, at, attributes })],
        attributes,
        release: { status: "waiting", dueAt: null },
      },
      at,
    );
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "stepline-where-"));
    const store = lmdbStore(dir);
    await add(store, "o-1", { customerId: "c-42", tier: 2 }, T0);
    await add(store, "o-2", { customerId: "c-42", tier: 1 }, T0 + 1);
    await add(store, "r-1", { customerId: "c-42", tier: 2 }, T0 + 2);
    await add(store, "o-3", { customerId: "c-7", tier: 2 }, T0 + 3);
    await store.close();
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const inStore = (...args: string[]) => runCli([...args, "--store", dir]);

  it("lists the executions with every attribute given, with the other filters", async () => {
    const one = await inStore("list", "--where", "customerId=c-42", "--json");
    expect(one.stderr).toBe("");
    expect(JSON.parse(one.stdout).map((e: { id: string }) => e.id)).toEqual(["r-1", "o-2", "o-1"]);
    const two = await inStore("list", "--where", "customerId=c-42", "--where", "tier=2", "--json");
    expect(JSON.parse(two.stdout).map((e: { id: string }) => e.id)).toEqual(["r-1", "o-1"]);
    const wf = await inStore("list", "--where", "tier=2", "--workflow", "order", "--json");
    expect(JSON.parse(wf.stdout).map((e: { id: string }) => e.id)).toEqual(["o-3", "o-1"]);
    // "2" as a JSON string is the string, which no execution has.
    expect((await inStore("list", "--where", 'tier="2"')).stdout).toBe("no executions\n");
  });

  it("list rows show the attributes in a column, and --json has them", async () => {
    const json = JSON.parse((await inStore("list", "--where", "customerId=c-42", "--json")).stdout);
    expect(json.map((e: { id: string; attributes: object }) => [e.id, e.attributes])).toEqual([
      ["r-1", { customerId: "c-42", tier: 2 }],
      ["o-2", { customerId: "c-42", tier: 1 }],
      ["o-1", { customerId: "c-42", tier: 2 }],
    ]);
    const text = (await inStore("list", "--where", "tier=2")).stdout.split("\n");
    expect(text[0]).toMatch(/^id +workflow +version +status +started +duration +current step +attributes$/);
    expect(text[2]).toMatch(/^o-3 +order .* customerId="c-7" tier=2$/);
    expect(text[4]).toMatch(/^o-1 +order .* customerId="c-42" tier=2$/);
  });

  it("counts them, and prints the filter with --json", async () => {
    expect((await inStore("count", "--where", "customerId=c-42")).stdout).toBe("3\n");
    expect((await inStore("count", "--where", "customerId=c-42", "--status", "waiting")).stdout).toBe("3\n");
    expect((await inStore("count", "--where", "customerId=c-42", "--status", "running")).stdout).toBe("0\n");
    const json = await inStore("count", "--where", "tier=2", "--workflow", "order", "--json");
    expect(JSON.parse(json.stdout)).toEqual({ workflow: "order", where: { tier: 2 }, count: 2 });
    const bad = await inStore("count", "--where", "tier");
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--where "tier" is not name=value');
  });

  it("inspect shows an execution's attributes, in text and --json", async () => {
    const text = await inStore("inspect", "o-1");
    expect(text.stdout).toMatch(/attributes\s+customerId="c-42" tier=2\n/);
    const json = JSON.parse((await inStore("inspect", "o-1", "--json")).stdout);
    expect(json.execution.attributes).toEqual({ customerId: "c-42", tier: 2 });
  });
});
