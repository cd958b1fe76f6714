import { createEngine, encryptionCodec, type PayloadEncryption, workflow } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { useRedisServer } from "./testing/use-redis-server.js";

const redis = useRedisServer();
const SECRET = "4111-1111-1111-1111";

const charge = workflow("redisEncCharge", async (ctx, card: string) => {
  const token = await ctx.step("tokenize", () => `tok(${card})`);
  const note = await ctx.waitForEvent<string>("note");
  return { token, note };
});

/** Every value under the prefix, as raw bytes (strings, lists, hashes, sorted sets, streams). */
async function rawValues(prefix: string): Promise<Buffer> {
  const admin = redis.admin;
  const keys = (
    await Promise.all(new KeySpace(prefix).patterns().map((pattern) => admin.keys(pattern)))
  ).flat();
  const parts: Buffer[] = [];
  for (const key of keys) {
    const type = await admin.type(key);
    if (type === "string") parts.push((await admin.getBuffer(key)) ?? Buffer.alloc(0));
    else if (type === "list") parts.push(...(await admin.lrangeBuffer(key, 0, -1)));
    else if (type === "hash") parts.push(...Object.values(await admin.hgetallBuffer(key)));
    else if (type === "zset") parts.push(...(await admin.zrangeBuffer(key, "0", "-1")));
    else if (type === "set") parts.push(...(await admin.smembersBuffer(key)));
    else if (type === "stream") parts.push(Buffer.from(JSON.stringify(await admin.xrange(key, "-", "+"))));
  }
  return Buffer.concat(parts);
}

async function run(prefix: string, encryption: PayloadEncryption | undefined): Promise<Buffer> {
  const store = redisStore({ url: redis.server.url, prefix });
  const engine = createEngine({
    store,
    log: () => {},
    pollInterval: 20,
    ...(encryption ? { encryption } : {}),
  });
  const worker = engine.worker({ workflows: [charge] });
  await worker.start();
  try {
    const handle = await engine.client.start(charge, SECRET, { id: "card-1" });
    await handle.sendEvent("note", `paid with ${SECRET}`);
    expect(await handle.result({ timeout: "10s" })).toEqual({
      token: `tok(${SECRET})`,
      note: `paid with ${SECRET}`,
    });
    return await rawValues(prefix);
  } finally {
    await worker.stop();
    await engine.close();
    await store.close();
    await deleteKeys(redis.admin, new KeySpace(prefix));
  }
}

describe("encryption at rest on Redis", () => {
  it("leaves no plaintext of the input, a step result or an event in any value under the prefix", async () => {
    // The check can fail: without encryption the values hold the secret.
    expect((await run("enc-plain", undefined)).includes(SECRET)).toBe(true);
    const values = await run(
      "enc-sealed",
      encryptionCodec({ keys: { k1: new Uint8Array(32).fill(4) }, currentKeyId: "k1" }),
    );
    expect(values.length).toBeGreaterThan(0);
    expect(values.includes(SECRET)).toBe(false);
    expect(values.includes("tok(")).toBe(false);
  });
});
