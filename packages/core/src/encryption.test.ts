import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  createEngine,
  EncryptionKeyError,
  encryptedStore,
  encryptionCodec,
  InvalidArgumentError,
  memoryStore,
  type Store,
  sealedKeyId,
  workflow,
} from "./index.js";
import { rejection } from "./testing/engine-kit.js";

const SECRET = "4111-1111-1111-1111";
const key = (fill: number) => new Uint8Array(32).fill(fill);
const base64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

/** Takes a card number, keeps it in a step result and an event. */
const charge = workflow("encCharge", async (ctx, card: string) => {
  const token = await ctx.step("tokenize", () => `tok(${card})`);
  const note = await ctx.waitForEvent<string>("note");
  return { token, note };
});

/** Every byte the store holds of an execution: journal and inbox entries. */
async function rawBytes(store: Store, id: string): Promise<Uint8Array[]> {
  return [...(await store.journal.read(id)), ...(await store.inbox.read(id))];
}
const holds = (entries: Uint8Array[], text: string) =>
  entries.some((bytes) => Buffer.from(bytes).includes(Buffer.from(text)));

async function runCharge(store: Store, encryption: ReturnType<typeof encryptionCodec>, id: string) {
  const engine = createEngine({ store, encryption, log: () => {}, pollInterval: 10 });
  const worker = engine.worker({ workflows: [charge] });
  await worker.start();
  try {
    const run = await engine.client.start(charge, SECRET, { id });
    await run.sendEvent("note", `paid with ${SECRET}`);
    return { output: await run.result({ timeout: "10s" }), history: await run.history() };
  } finally {
    await worker.stop();
    await engine.close();
  }
}

describe("encryption at rest", () => {
  it("runs a workflow as usual while the store holds only ciphertext, sealed with the current key", async () => {
    const store = memoryStore();
    const encryption = encryptionCodec({ keys: { k1: key(1) }, currentKeyId: "k1" });
    const { output, history } = await runCharge(store, encryption, "enc-1");
    expect(output).toEqual({ token: `tok(${SECRET})`, note: `paid with ${SECRET}` });
    expect(history[0]).toMatchObject({ type: "ExecutionStarted", input: SECRET });
    const raw = await rawBytes(store, "enc-1");
    expect(raw.length).toBeGreaterThan(4);
    expect(holds(raw, SECRET)).toBe(false);
    expect(raw.every((bytes) => sealedKeyId(bytes) === "k1")).toBe(true);
  });

  it("rotates keys: entries sealed with the old key still open, new ones are sealed with the new", async () => {
    const store = memoryStore();
    await runCharge(store, encryptionCodec({ keys: { k1: key(1) }, currentKeyId: "k1" }), "old");
    const rotated = encryptionCodec({ keys: { k1: key(1), k2: base64(key(2)) }, currentKeyId: "k2" });
    await runCharge(store, rotated, "new");
    expect((await rawBytes(store, "old")).every((bytes) => sealedKeyId(bytes) === "k1")).toBe(true);
    expect((await rawBytes(store, "new")).every((bytes) => sealedKeyId(bytes) === "k2")).toBe(true);
    const reader = createEngine({ store: encryptedStore(store, rotated), log: () => {} });
    expect((await reader.client.history("old"))[0]).toMatchObject({ input: SECRET });
    await reader.close();
  });

  it("without the key, a reader gets a typed error naming the key; with another key of that id, an unreadable entry", async () => {
    const store = memoryStore();
    await runCharge(store, encryptionCodec({ keys: { k1: key(1) }, currentKeyId: "k1" }), "enc-3");
    const plain = createEngine({ store, log: () => {} });
    const error = await rejection(plain.client.history("enc-3"));
    expect(EncryptionKeyError.is(error)).toBe(true);
    expect((error as EncryptionKeyError).keyId).toBe("k1");
    expect(error.message).toContain('encrypted with key "k1"');
    expect((await plain.client.describe("enc-3")).status).toBe("succeeded"); // records are not encrypted
    const wrong = createEngine({
      store: encryptedStore(store, encryptionCodec({ keys: { k1: key(9) }, currentKeyId: "k1" })),
      log: () => {},
    });
    const unreadable = await rejection(wrong.client.history("enc-3"));
    expect(unreadable.name).toBe("CorruptJournalError");
    expect(unreadable.message).toContain('sealed with key "k1" does not open with it');
  });

  it("refuses keys that are not 32 bytes and a current key that is not given, with InvalidArgumentError", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 80 }).filter((n) => n !== 32),
        (length) => {
          const call = () => encryptionCodec({ keys: { k: new Uint8Array(length) }, currentKeyId: "k" });
          expect(call).toThrow(InvalidArgumentError);
          expect(call).toThrow(/must be 32 bytes \(AES-256\)/);
        },
      ),
    );
    expect(() => encryptionCodec({ keys: { k1: key(1) }, currentKeyId: "k2" })).toThrow(
      /currentKeyId "k2" must be one of/,
    );
    expect(() => encryptionCodec({ keys: { "": key(1) }, currentKeyId: "" })).toThrow(/1 to 255 bytes/);
    expect(() => createEngine({ store: memoryStore(), encryption: { seal: 1 } as never })).toThrow(
      /createEngine: encryption must be what encryptionCodec/,
    );
  });

  it("seals and opens any bytes (property), and reads an entry written before encryption as it is", async () => {
    const codec = encryptionCodec({ keys: { k1: key(7) }, currentKeyId: "k1" });
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2_000 }), async (bytes) => {
        const sealed = await codec.seal(bytes);
        expect(sealedKeyId(sealed)).toBe("k1");
        expect(await codec.open(sealed)).toEqual(bytes);
      }),
      { numRuns: 50 },
    );
    const plainEntry = new TextEncoder().encode("not sealed");
    expect(await codec.open(plainEntry)).toEqual(plainEntry);
  });
});
