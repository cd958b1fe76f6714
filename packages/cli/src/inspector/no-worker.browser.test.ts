import { existsSync } from "node:fs";
import { createEngine, memoryStore } from "@stepline/core";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type InspectorServer, startInspectorServer } from "./inspector-server.js";

// The inspector page in a real headless Chromium (Debian's package), as inspector.browser.test.ts.
const CHROMIUM = "/usr/bin/chromium";

let server: InspectorServer;
let browser: Browser;
const engine = createEngine({ store: memoryStore(), log: () => {} });

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: apt-get install -y chromium (the inspector test drives it)`);
  }
  await engine.client.start("nopeWorkflow", null, { id: "nope-1" });
  server = await startInspectorServer({ client: engine.client, storeLabel: "the test store", port: 0 });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  await engine.close();
});

describe("the inspector page on work nobody can run", () => {
  it("says in the list and on the execution that no worker has announced its workflow", async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.locator('tr[data-id="nope-1"]').waitFor();
    expect(await page.locator('tr[data-id="nope-1"] [data-testid="no-worker"]').textContent()).toBe(
      "no worker",
    );
    await page.locator('tr[data-id="nope-1"] a').click();
    const notice = page.getByTestId("no-worker");
    await notice.waitFor();
    expect(await notice.textContent()).toContain("No worker has announced workflow nopeWorkflow");
  });
});
