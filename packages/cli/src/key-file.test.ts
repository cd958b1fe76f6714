import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createEngine, encryptionCodec, workflow } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli, spawnCli } from "./testing/run-cli.js";

const SECRET = "4111-1111-1111-1111";
const KEY = Buffer.alloc(32, 5).toString("base64");
let dir: string;
let keyFile: string;

const charge = workflow("cliEncCharge", async (ctx, card: string) =>
  ctx.step("tokenize", () => `tok(${card})`),
);

// An LMDB store written by an engine with encryption at rest; the CLI opens it itself.
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "stepline-cli-enc-"));
  keyFile = join(dir, "keys.json");
  writeFileSync(keyFile, JSON.stringify({ currentKeyId: "k1", keys: { k1: KEY } }));
  const encryption = encryptionCodec({ keys: { k1: KEY }, currentKeyId: "k1" });
  const engine = createEngine({ store: lmdbStore(join(dir, "store")), encryption, log: () => {} });
  const worker = engine.worker({ workflows: [charge] });
  await worker.start();
  await (await engine.client.start(charge, SECRET, { id: "card-1" })).result({ timeout: "10s" });
  await worker.stop();
  await engine.close();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const store = () => ["--store", join(dir, "store")];

describe("stepline on a store encrypted at rest", () => {
  it("reads the journal with --key-file (or STEPLINE_KEY_FILE)", async () => {
    const withFlag = await runCli(["history", "card-1", ...store(), "--key-file", keyFile, "--json"]);
    expect(withFlag.code).toBe(0);
    expect(JSON.parse(withFlag.stdout)[0]).toMatchObject({ type: "ExecutionStarted", input: SECRET });
    const withEnv = await runCli(["inspect", "card-1", ...store(), "--json"], {
      env: { STEPLINE_KEY_FILE: keyFile },
    });
    expect(withEnv.code).toBe(0);
    expect(JSON.parse(withEnv.stdout).execution.output).toBe(`tok(${SECRET})`);
  });

  it("without the key: lists the executions, and says which key a journal needs, one line, exit 1", async () => {
    const list = await runCli(["list", ...store(), "--json"]);
    expect(list.code).toBe(0);
    expect(JSON.parse(list.stdout)[0]).toMatchObject({ id: "card-1", status: "succeeded" });
    const history = await runCli(["history", "card-1", ...store()]);
    expect(history.code).toBe(1);
    expect(history.stdout).not.toContain(SECRET);
    expect(history.stderr).toContain('encrypted with key "k1"');
    expect(history.stderr).toContain("--key-file");
    expect(history.stderr).not.toContain("    at ");
    // inspect shows the record, and which key its journal needs.
    const inspect = await runCli(["inspect", "card-1", ...store()]);
    expect(inspect.code).toBe(0);
    expect(inspect.stdout).toContain('encrypted at rest with key "k1": pass --key-file');
    expect(inspect.stdout).not.toContain(SECRET);
  });

  it("refuses a key file that is missing, not JSON or holds a short key", async () => {
    const missing = await runCli(["list", ...store(), "--key-file", join(dir, "nope.json")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("cannot read the key file");
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ currentKeyId: "k1", keys: { k1: Buffer.alloc(8).toString("base64") } }),
    );
    const short = await runCli(["list", ...store(), "--key-file", bad]);
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('key "k1" must be 32 bytes (AES-256)');
  });

  // In child processes, as a user runs them (the store is opened and closed by each).
  it("imports a journal sealed with the key file's current key", async () => {
    const exported = join(dir, "card.json");
    expect(
      (await spawnCli(["export", "card-1", ...store(), "--key-file", keyFile, "-o", exported])).code,
    ).toBe(0);
    const imported = await spawnCli([
      "import",
      exported,
      "--id",
      "card-2",
      ...store(),
      "--key-file",
      keyFile,
    ]);
    expect(imported).toMatchObject({ code: 0, stderr: "" });
    // Sealed: without the key the import's journal needs k1; with it, it reads; no plaintext on disk.
    const sealed = await spawnCli(["history", "card-2", ...store()]);
    expect(sealed.code).toBe(1);
    expect(sealed.stderr).toContain('encrypted with key "k1"');
    const opened = await spawnCli(["history", "card-2", ...store(), "--key-file", keyFile, "--json"]);
    expect(JSON.parse(opened.stdout)[0]).toMatchObject({ type: "ExecutionStarted", input: SECRET });
    const files = readdirSync(join(dir, "store")).map((name) => readFileSync(join(dir, "store", name)));
    expect(Buffer.concat(files).includes(SECRET)).toBe(false);
  });
});
