import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, encryptionCodec, type PayloadEncryption, workflow } from "@stepline/core";
import { afterAll, describe, expect, it } from "vitest";
import { lmdbStore } from "./lmdb-store.js";

const SECRET = "4111-1111-1111-1111";
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const charge = workflow("lmdbEncCharge", async (ctx, card: string) => {
  const token = await ctx.step("tokenize", () => `tok(${card})`);
  const note = await ctx.waitForEvent<string>("note");
  return { token, note };
});

/** Runs the workflow with the secret in its input, a step result and an event; returns the store's files. */
async function run(encryption: PayloadEncryption | undefined): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), "stepline-enc-"));
  dirs.push(dir);
  const engine = createEngine({
    store: lmdbStore(dir),
    log: () => {},
    ...(encryption ? { encryption } : {}),
  });
  const worker = engine.worker({ workflows: [charge] });
  await worker.start();
  const handle = await engine.client.start(charge, SECRET, { id: "card-1" });
  await handle.sendEvent("note", `paid with ${SECRET}`);
  expect(await handle.result({ timeout: "10s" })).toEqual({
    token: `tok(${SECRET})`,
    note: `paid with ${SECRET}`,
  });
  await worker.stop();
  await engine.close();
  return Buffer.concat(readdirSync(dir).map((name) => readFileSync(join(dir, name))));
}

describe("encryption at rest on LMDB", () => {
  it("leaves no plaintext of the input, a step result or an event in the store's files", async () => {
    // The check can fail: without encryption the files hold the secret.
    expect((await run(undefined)).includes(SECRET)).toBe(true);
    const files = await run(
      encryptionCodec({ keys: { k1: new Uint8Array(32).fill(3) }, currentKeyId: "k1" }),
    );
    expect(files.length).toBeGreaterThan(0);
    expect(files.includes(SECRET)).toBe(false);
    expect(files.includes("tok(")).toBe(false);
  });
});
