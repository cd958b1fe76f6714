import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { Codec, createEngine, type JournalEvent, memoryStore, workflow } from "@stepline/core";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { importJournal } from "../journal/import-journal.js";
import { FIXTURE_IDS, type FixtureStore, startFixtureStore } from "../testing/fixture-store.js";
import { CompiledDiagrams } from "./compiled-diagrams.js";
import { type InspectorServer, startInspectorServer } from "./inspector-server.js";

// The inspector page in a real headless Chromium (Debian's package), driven by playwright-core.
const CHROMIUM = "/usr/bin/chromium";
const OUTPUT = join(import.meta.dirname, "..", "..", "test-output");

let fixture: FixtureStore;
let server: InspectorServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the inspector test drives it)`);
  }
  fixture = await startFixtureStore();
  server = await startInspectorServer({
    client: fixture.engine.client,
    storeLabel: "the test store",
    port: 0,
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
  page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
  mkdirSync(OUTPUT, { recursive: true });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await fixture?.[Symbol.asyncDispose]();
});

const statusOf = (selector: string) => page.locator(selector).getAttribute("data-status");

describe("the inspector page", () => {
  it("lists the executions with their live status, and filters them", async () => {
    await page.goto(server.url);
    await page.locator("tr[data-id]").nth(2).waitFor();
    const rows = await page
      .locator("tr[data-id]")
      .evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-id"), tr.getAttribute("data-status")]));
    expect(rows).toEqual([
      ["approval-1", "waiting"],
      ["flaky-1", "failed"],
      ["greet-1", "succeeded"],
    ]);
    expect(await page.getByTestId("store").textContent()).toBe("the test store");
    await page.selectOption("select[name=status]", "failed");
    // The filtered list replaces the whole table (it may be empty for a moment): wait for it.
    await expect
      .poll(() =>
        page.locator("tr[data-id]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id"))),
      )
      .toEqual(["flaky-1"]);
  });

  it("colours a failed execution's states from its journal and shows an event's payload on click", async () => {
    await page.locator('tr[data-id="flaky-1"] a').click();
    await page.locator('[data-state="charge"]').waitFor();
    expect(await statusOf('[data-state="reserve"]')).toBe("succeeded");
    expect(await statusOf('[data-state="charge"]')).toBe("failed");
    expect(await page.locator('[data-state="charge"]').getAttribute("class")).toContain("state--failed");
    expect(await page.locator('[data-state="charge"] .state-label').textContent()).toContain("3 attempts");
    expect(await statusOf('.state[data-kind="end"]')).toBe("failed");
    expect(await statusOf('[data-testid="execution-status"]')).toBe("failed");
    // Why it failed, in the header, once: no click needed.
    const why = (await page.getByTestId("execution-error").textContent()) ?? "";
    expect(why).toMatch(/^Failed: StepFailedError: .*card declined/);
    expect(why.split("card declined")).toHaveLength(2);
    expect(await page.getByTestId("inbox-empty").textContent()).toBe("No events sent.");

    await page.locator('tr[data-type="StepFailed"]').first().click();
    const payload = JSON.parse((await page.getByTestId("event-payload").textContent()) ?? "");
    expect(payload).toMatchObject({
      seq: 4,
      type: "StepFailed",
      op: 1,
      attempt: 1,
      error: { message: "card declined" },
    });
    expect(typeof payload.retryAt).toBe("number");

    await page.locator('[data-state="charge"]').click();
    expect(await page.getByTestId("detail-title").textContent()).toBe("charge");
    expect(await page.getByTestId("detail-error").textContent()).toContain("card declined");
    expect(await page.locator("tr.related").count()).toBe(6);
    await page.screenshot({ path: join(OUTPUT, "inspector-failed.png"), fullPage: true });
  });

  it("sends an event to a waiting execution and sees it finish live", async () => {
    await page.goto(`${server.url}#/executions/${FIXTURE_IDS.waiting}`);
    await page.locator('[data-state="approve"]').waitFor();
    expect(await statusOf('[data-state="prepare"]')).toBe("succeeded");
    expect(await statusOf('[data-state="approve"]')).toBe("waiting");
    expect(await page.locator('[data-state="approve"]').getAttribute("data-current")).toBe("true");
    expect(await page.locator('[data-state="finish"]').count()).toBe(0);

    // The inbox shows the "note" nothing waits for.
    const inboxRows = () =>
      page
        .locator("[data-testid=inbox] tr[data-inbox-seq]")
        .evaluateAll((trs) =>
          trs.map((tr) => [
            tr.children[2]?.textContent,
            tr.getAttribute("data-consumed"),
            tr.children[3]?.textContent,
          ]),
        );
    expect(await inboxRows()).toEqual([["note", "false", "not received: no wait has taken it"]]);
    expect(await page.locator('[data-testid="execution-error"]').count()).toBe(0);

    expect(await page.locator("input[name=event-name]").inputValue()).toBe("approve");
    await page.fill("input[name=event-payload]", "true");
    await page.click("button[name=send-event]");
    await page.waitForSelector('[data-testid="execution-status"][data-status="succeeded"]', {
      timeout: 10_000,
    });
    expect(await statusOf('[data-state="approve"]')).toBe("succeeded");
    expect(await statusOf('[data-state="finish"]')).toBe("succeeded");
    // The event just sent was taken by the wait "approve"; the note still by nothing.
    await expect.poll(inboxRows).toEqual([
      ["note", "false", "not received: no wait has taken it"],
      ["approve", "true", expect.stringMatching(/^approve \(event \d+\)$/)],
    ]);
    await page.locator('.state[data-kind="end"]').click();
    expect(JSON.parse((await page.getByTestId("detail-output").textContent()) ?? "")).toEqual({
      decision: "approved",
    });
    await page.screenshot({ path: join(OUTPUT, "inspector-approved.png"), fullPage: true });
  });

  it("draws the compiled state machine when given the workflow source, coloured from the journal", async () => {
    const warnings: string[] = [];
    const diagrams = await CompiledDiagrams.load(
      ["src/testing/fixture-workflows.ts"],
      join(import.meta.dirname, "..", ".."),
      (line) => warnings.push(line),
    );
    // The fixture's 20 ms sleep and 10 ms retry interval are drawn as 1 s, and said so; nothing else.
    expect(warnings.filter((line) => !line.includes(" warning duration-rounded: "))).toEqual([]);
    expect(warnings).toHaveLength(2);
    expect(diagrams.workflows).toEqual(["greet", "flaky", "approval"]);
    const compiled = await startInspectorServer({
      client: fixture.engine.client,
      storeLabel: "the test store",
      port: 0,
      diagrams,
    });
    try {
      await page.goto(`${compiled.url}#/executions/${FIXTURE_IDS.failed}`);
      const node = (text: string) => page.locator(".compiled-svg g.node", { hasText: text });
      await node("charge").waitFor();
      expect(await node("reserve").getAttribute("data-status")).toBe("succeeded");
      expect(await node("charge").getAttribute("data-status")).toBe("failed");
      // The return after charge was never reached: drawn, not coloured.
      expect(await node("return").getAttribute("data-status")).toBe("unvisited");
      expect(await page.locator(".diagram-source").textContent()).toBe(
        "compiled from src/testing/fixture-workflows.ts",
      );
      expect(await page.locator(".diagram-warning").count()).toBe(0);
      await node("charge").click();
      expect(await page.getByTestId("detail-title").textContent()).toBe("charge");
      expect(await node("charge").getAttribute("class")).toContain("state--selected");
      await page.screenshot({ path: join(OUTPUT, "inspector-compiled.png"), fullPage: true });

      await page.goto(`${compiled.url}#/executions/${FIXTURE_IDS.succeeded}`);
      await node("pause").waitFor();
      expect(await node("pause").getAttribute("data-status")).toBe("succeeded");
      expect(await node("deliver").getAttribute("data-status")).toBe("succeeded");
    } finally {
      await compiled.close();
    }
  });

  it("refuses a cross-site action and a foreign Host header", async () => {
    const cancel = await fetch(`${server.url}api/executions/greet-1/cancel`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: "https://evil.example" },
      body: "{}",
    });
    expect(cancel.status).toBe(403);
    expect(((await cancel.json()) as { error: string }).error).toBe(
      "origin https://evil.example may not act through this inspector",
    );
    const page404 = await fetch(`${server.url}api/executions/nope`);
    expect(page404.status).toBe(404);
  });

  it("shows an execution's search attributes in its header (after the list tests: it adds an execution)", async () => {
    const tagged = workflow("tagged", async (ctx) => {
      ctx.setAttributes({ customerId: "c-42", tier: 2, vip: true });
      return "ok";
    });
    const worker = fixture.engine.worker({ workflows: [tagged], leaseMs: 5_000 });
    await worker.start();
    try {
      await fixture.engine.client.start(tagged, undefined, { id: "tagged-1" });
      await fixture.engine.client.result("tagged-1", { timeout: "10s" });
    } finally {
      await worker.stop();
    }
    await page.goto(`${server.url}#/executions/tagged-1`);
    const attributes = page.getByTestId("execution-attributes");
    await attributes.waitFor();
    expect(await attributes.textContent()).toBe('customerId="c-42" tier=2 vip=true ');
    await page.goto(`${server.url}#/executions/${FIXTURE_IDS.succeeded}`);
    await page.locator("h1", { hasText: FIXTURE_IDS.succeeded }).waitFor();
    expect(await page.getByTestId("execution-attributes").count()).toBe(0);
  });

  it("filters the list by search attributes (answered with list({ where })) and shows them in the rows", async () => {
    const tagged = workflow("tagged-many", async (ctx, input: { customer: string; tier: number }) => {
      ctx.setAttributes({ customerId: input.customer, tier: input.tier });
      return "ok";
    });
    const worker = fixture.engine.worker({ workflows: [tagged], leaseMs: 5_000 });
    await worker.start();
    try {
      for (const [id, customer, tier] of [
        ["t-a", "c-42", 1],
        ["t-b", "c-42", 2],
        ["t-c", "c-7", 2],
      ] as const) {
        await fixture.engine.client.start(tagged, { customer, tier }, { id });
        await fixture.engine.client.result(id, { timeout: "10s" });
      }
    } finally {
      await worker.stop();
    }
    await page.goto(server.url);
    await page.locator('tr[data-id="t-c"]').waitFor();
    const ids = () =>
      page.locator("tr[data-id]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id")));
    expect(await page.locator('tr[data-id="t-b"] [data-testid="row-attributes"]').textContent()).toBe(
      'customerId="c-42" tier=2',
    );
    expect(await page.locator('tr[data-id="greet-1"] [data-testid="row-attributes"]').textContent()).toBe("");
    await page.fill("input[name=where]", "customerId=c-42");
    // tagged-1 (the header test) has customerId c-42 too.
    await expect.poll(ids).toEqual(["t-b", "t-a", "tagged-1"]);
    await page.fill("input[name=where]", "customerId=c-42, tier=2");
    await expect.poll(ids).toEqual(["t-b", "tagged-1"]);
    await page.selectOption("select[name=status]", "succeeded");
    await page.fill("input[name=where]", "tier=2 customerId=c-7");
    await expect.poll(ids).toEqual(["t-c"]);
    await page.fill("input[name=where]", "customerId=nobody");
    await page.getByText("No executions match these filters.").waitFor();
    // A bad pair is the server's usage error, shown on the page.
    await page.fill("input[name=where]", "tier");
    await page.locator(".error", { hasText: '--where "tier" is not name=value' }).waitFor();
    await page.fill("input[name=where]", "");
    await page.selectOption("select[name=status]", "");
    await page.locator('tr[data-id="greet-1"]').waitFor();

    // The API: repeatable where, as `stepline list --where`.
    const listed = await fetch(`${server.url}api/executions?where=customerId%3Dc-42&where=tier%3D1`);
    expect(listed.status).toBe(200);
    const rows = (await listed.json()) as { id: string; attributes: object }[];
    expect(rows.map((r) => [r.id, r.attributes])).toEqual([["t-a", { customerId: "c-42", tier: 1 }]]);
    const bad = await fetch(`${server.url}api/executions?where=tier`);
    expect(bad.status).toBe(400);
  });

  it("cancels through the API with the reason given, which the workflow's CancelledError carries", async () => {
    const parked = workflow("parked", async (ctx) => {
      await ctx.waitForEvent("never");
    });
    const worker = fixture.engine.worker({ workflows: [parked], leaseMs: 5_000 });
    await worker.start();
    try {
      const run = await fixture.engine.client.start(parked, undefined, { id: "parked-1" });
      for (let i = 0; i < 500 && (await run.describe()).status !== "waiting"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const response = await fetch(`${server.url}api/executions/parked-1/cancel`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reason: "from the inspector" }),
      });
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ id: "parked-1", cancelRequested: true });
      const error = await run.result({ timeout: "10s" }).catch((e: unknown) => e);
      expect((error as Error).name).toBe("CancelledError");
      expect((error as { reason?: string }).reason).toBe("from the inspector");
      expect((await run.describe()).status).toBe("cancelled");
    } finally {
      await worker.stop();
    }
  });

  it("steps through the journal: the diagram as of each event, the arrow keys, and back to live", async () => {
    const length = (await fixture.engine.client.history(FIXTURE_IDS.failed)).length;
    await page.goto(`${server.url}#/executions/${FIXTURE_IDS.failed}`);
    await page.locator('[data-state="charge"]').waitFor();
    expect(await page.getByTestId("time-position").textContent()).toContain(`live: all ${length} events`);
    await page.keyboard.press("Home");
    await expect.poll(() => page.getByTestId("diagram-panel").getAttribute("data-as-of")).toBe("0");
    expect(await page.getByTestId("time-position").textContent()).toContain("as of event 0 of");
    // Only ExecutionStarted then: no state reached yet.
    await expect.poll(() => page.locator('[data-state="charge"]').count()).toBe(0);
    // One event at a time until charge appears: then it is not failed yet.
    let charge: string | null = null;
    for (let i = 0; i < length && charge === null; i++) {
      await page.keyboard.press("ArrowRight");
      // The diagram is drawn from the report fetched for that event (data-as-of says which).
      await expect
        .poll(() => page.getByTestId("diagram-panel").getAttribute("data-as-of"))
        .toBe(String(i + 1));
      if ((await page.locator('[data-state="charge"]').count()) > 0)
        charge = await statusOf('[data-state="charge"]');
    }
    expect(charge).not.toBeNull();
    expect(charge).not.toBe("failed");
    // Later events are drawn as not yet happened.
    expect(await page.locator("table.events tr.later").count()).toBeGreaterThan(0);
    await page.keyboard.press("End");
    await expect.poll(() => page.getByTestId("time-position").textContent()).toContain("live:");
    await expect.poll(() => statusOf('[data-state="charge"]')).toBe("failed");
    expect(await page.locator("table.events tr.later").count()).toBe(0);
  });

  it("answers ?at=SEQ with the report as of that event, and refuses a bad one", async () => {
    const base = `${server.url}api/executions/${FIXTURE_IDS.failed}`;
    const at = (await (await fetch(`${base}?at=1`)).json()) as { events: unknown[]; asOf: { seq: number } };
    expect(at.events).toHaveLength(2);
    expect(at.asOf.seq).toBe(1);
    const bad = await fetch(`${base}?at=soon`);
    expect(bad.status).toBe(400);
  });

  it("offers a failed execution its redrive (flaky-1 runs again: the tests after this one leave it alone)", async () => {
    await page.goto(`${server.url}#/executions/${FIXTURE_IDS.failed}`);
    await page.locator("button[name=redrive]").click();
    await expect.poll(() => page.getByTestId("action-message").textContent()).toContain("Redriven");
    const history = await fixture.engine.client.history(FIXTURE_IDS.failed);
    expect(history.some((e) => e.type === "ExecutionRedriven")).toBe(true);
  });

  it("draws a journal of 50,000 events windowed: a few rows in the page, every one reachable by scrolling", async () => {
    const at = Date.UTC(2026, 0, 1);
    const events: JournalEvent[] = [
      { seq: 0, at, type: "ExecutionStarted", workflow: "long", version: 1, input: null, seed: 1 },
    ];
    for (let op = 0; events.length < 49_999; op++) {
      const name = `step-${op}`;
      events.push({ seq: events.length, at: at + op, type: "StepScheduled", op, name, attempt: 1 });
      events.push({ seq: events.length, at: at + op, type: "StepSucceeded", op, result: op, attempt: 1 });
    }
    events.push({ seq: events.length, at: at + 30_000, type: "ExecutionSucceeded", output: "done" });
    const store = memoryStore();
    await importJournal(store, events, [], { id: "long-1", source: "the test" });
    const engine = createEngine({ store, log: () => {} });
    const long = await startInspectorServer({ client: engine.client, storeLabel: "the long store", port: 0 });
    try {
      await page.goto(`${long.url}#/executions/long-1`);
      const window = page.getByTestId("events-window");
      await window.waitFor({ timeout: 30_000 });
      expect(await window.getAttribute("data-rows")).toBe("50000");
      const rendered = () => page.locator("table.events tr[data-seq]").count();
      expect(await rendered()).toBeLessThan(200);
      await window.evaluate((element) => {
        element.scrollTop = element.scrollHeight;
      });
      await page.locator('tr[data-seq="49999"]').waitFor();
      expect(await page.locator('tr[data-seq="49999"]').getAttribute("data-type")).toBe("ExecutionSucceeded");
      expect(await rendered()).toBeLessThan(200);
      expect(await page.getByTestId("elided-states").textContent()).toContain("24,799 more states");
    } finally {
      await long.close();
      await engine.close();
    }
  }, 90_000);

  it("pages 10,000 executions on the server: 200 rows a page, older and newer, filters answered by the store", async () => {
    const store = memoryStore();
    const codec = new Codec();
    const at = Date.UTC(2026, 0, 1);
    for (let i = 0; i < 10_000; i++) {
      const id = `many-${String(i).padStart(5, "0")}`;
      const workflowName = i % 2 ? "odd" : "even";
      const started = codec.encode(
        {
          seq: 0,
          at: at + i,
          type: "ExecutionStarted",
          workflow: workflowName,
          version: 1,
          input: i,
          seed: 1,
        },
        "start",
      );
      await store.executions.create({ id, workflow: workflowName, createdAt: at + i, started });
    }
    const engine = createEngine({ store, log: () => {} });
    const many = await startInspectorServer({ client: engine.client, storeLabel: "the big store", port: 0 });
    const ids = () =>
      page.locator("tr[data-id]").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-id")));
    try {
      await page.goto(many.url);
      await page.locator('tr[data-id="many-09999"]').waitFor();
      expect(await ids()).toHaveLength(200);
      expect((await ids())[199]).toBe("many-09800");
      await page.locator("button[name=older]").click();
      await expect.poll(async () => (await ids())[0]).toBe("many-09799");
      expect(await page.getByTestId("page-number").textContent()).toBe("page 2");
      await page.locator("button[name=older]").click();
      await expect.poll(async () => (await ids())[0]).toBe("many-09599");
      await page.locator("button[name=newer]").click();
      await expect.poll(async () => (await ids())[0]).toBe("many-09799");
      // A filter starts again from the newest page, answered by the store.
      await page.fill("input[name=workflow]", "odd");
      await expect.poll(async () => (await ids())[0]).toBe("many-09999");
      expect((await ids())[199]).toBe("many-09601");
      expect(await page.getByTestId("page-number").textContent()).toBe("page 1");
    } finally {
      await many.close();
      await engine.close();
    }
  }, 90_000);

  it("compares two executions of one workflow side by side and names the op where their paths part", async () => {
    const branchy = workflow("branchy", async (ctx, express: boolean) => {
      await ctx.step("pack", () => "packed");
      if (express) await ctx.step("courier", () => "sent");
      else await ctx.step("post", () => "posted");
      await ctx.step("notify", () => "told");
    });
    const worker = fixture.engine.worker({ workflows: [branchy], leaseMs: 5_000 });
    await worker.start();
    try {
      await (await fixture.engine.client.start(branchy, true, { id: "branchy-1" })).result({
        timeout: "10s",
      });
      await (await fixture.engine.client.start(branchy, false, { id: "branchy-2" })).result({
        timeout: "10s",
      });
      await page.goto(`${server.url}#/executions/branchy-1`);
      await page.fill("input[name=other]", "branchy-2");
      await page.locator("button[name=compare]").click();
      const divergence = page.getByTestId("divergence");
      await divergence.waitFor();
      expect(await divergence.getAttribute("data-op")).toBe("1");
      expect(await divergence.textContent()).toBe(
        "The paths part at op 1: branchy-1 ran courier, branchy-2 ran post.",
      );
      expect(await page.locator("table.compare tr.diverges td").nth(0).textContent()).toBe("1");
      expect(await page.locator("table.compare tbody tr").count()).toBe(3);
    } finally {
      await worker.stop();
    }
  });
});
