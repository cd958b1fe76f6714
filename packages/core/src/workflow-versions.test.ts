import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { createEngine } from "./engine.js";
import { InvalidArgumentError } from "./errors.js";
import { memoryStore } from "./memory-store.js";
import { workflow } from "./workflow.js";
import { acceptedVersionsOf, MAX_COMPATIBLE_VERSIONS } from "./workflow-versions.js";

const body = async () => null;

describe("workflow(name, fn, { version, compatibleVersions })", () => {
  it("keeps compatibleVersions sorted, without repeats or the definition's own version", () => {
    const order = workflow("order", body, { version: 3, compatibleVersions: [2, 1, 2, 3] });
    expect(order.version).toBe(3);
    expect(order.compatibleVersions).toEqual([1, 2]);
    expect(Object.isFrozen(order.compatibleVersions)).toBe(true);
    expect(workflow("plain", body).compatibleVersions).toBeUndefined();
    expect(
      workflow("empty", body, { version: 2, compatibleVersions: [] }).compatibleVersions,
    ).toBeUndefined();
  });

  it.each([
    [
      0,
      'workflow("order", fn, options): compatibleVersions[0] must be a positive integer (a workflow version), got 0.',
    ],
    [
      1.5,
      'workflow("order", fn, options): compatibleVersions[0] must be a positive integer (a workflow version), got 1.5.',
    ],
    [
      "1",
      'workflow("order", fn, options): compatibleVersions[0] must be a positive integer (a workflow version), got "1".',
    ],
  ])("refuses the entry %j with InvalidArgumentError", (entry, message) => {
    const attempt = () => workflow("order", body, { version: 2, compatibleVersions: [entry as number] });
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(message);
  });

  it("refuses a compatibleVersions that is not an array, or too long", () => {
    const notArray = () => workflow("order", body, { compatibleVersions: 1 as unknown as number[] });
    expect(notArray).toThrow(InvalidArgumentError);
    expect(notArray).toThrow(
      'workflow("order", fn, options): compatibleVersions must be an array of positive integers (the older ' +
        "versions whose journals this code replays), got 1. Example: { version: 3, compatibleVersions: [1, 2] }.",
    );
    const many = Array.from({ length: MAX_COMPATIBLE_VERSIONS + 1 }, (_, i) => i + 1);
    expect(() => workflow("order", body, { version: 500, compatibleVersions: many })).toThrow(
      `compatibleVersions has ${MAX_COMPATIBLE_VERSIONS + 1} entries; at most ${MAX_COMPATIBLE_VERSIONS} are allowed.`,
    );
  });

  it("names compatibleVersions among the known options when a key is misspelt", () => {
    const attempt = () => workflow("order", body, { compatibleVersion: [1] } as never);
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(
      'unknown option "compatibleVersion"; the options are version, compatibleVersions, input.',
    );
  });

  it("acceptedVersionsOf lists each definition's own version first, then its compatible ones", () => {
    expect(
      acceptedVersionsOf([
        workflow("order", body, { version: 3, compatibleVersions: [1, 2] }),
        workflow("refund", body),
      ]),
    ).toEqual({ order: [3, 1, 2], refund: [1] });
  });
});

describe("client.list({ version })", () => {
  it("lists the executions of that version, and refuses one that is not a positive integer", async () => {
    const engine = createEngine({ store: memoryStore(), log: () => {} });
    const fn = async (_ctx: unknown, _input: null) => null;
    await engine.client.start(workflow("order", fn), null, { id: "one" });
    await engine.client.start(workflow("order", fn, { version: 2 }), null, { id: "two" });
    expect((await engine.client.list({ version: 2 })).map((e) => [e.id, e.version])).toEqual([["two", 2]]);
    expect((await engine.client.describe("one")).version).toBe(1);
    const bad = engine.client.list({ version: 0 });
    await expect(bad).rejects.toThrow(InvalidArgumentError);
    await expect(engine.client.list({ version: 0 })).rejects.toThrow(
      "client.list: version (a workflow version)",
    );
    await engine.close();
  });
});

describe("claims by version on memoryStore (property)", () => {
  it("claims only compatible executions, and leaves none compatible unclaimed", async () => {
    const version = fc.integer({ min: 1, max: 5 });
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ version, createdAt: fc.integer({ min: 0, max: 100 }) }), { maxLength: 30 }),
        fc.array(fc.uniqueArray(version, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 4 }),
        async (executions, workers) => {
          const store = memoryStore();
          const versionOf = new Map<string, number>();
          for (const [i, execution] of executions.entries()) {
            const id = `e${i}`;
            versionOf.set(id, execution.version);
            await store.executions.create({
              id,
              workflow: "wf",
              createdAt: execution.createdAt,
              started: new Uint8Array([i]),
              version: execution.version,
            });
          }
          const claimed = new Set<string>();
          for (const [w, accepted] of workers.entries()) {
            const request = { workflows: ["wf"], versions: { wf: accepted } };
            const claims = await store.queue.claim({
              ...request,
              owner: `w${w}`,
              limit: 1000,
              now: 100,
              leaseMs: 1000,
            });
            for (const { record } of claims) {
              expect(accepted).toContain(record.version);
              expect(claimed.has(record.id)).toBe(false);
              claimed.add(record.id);
            }
            const left = [...versionOf].filter(([id, v]) => accepted.includes(v) && !claimed.has(id));
            expect(left).toEqual([]);
            // Nothing of these versions is due before the leases run out.
            const next = await store.queue.nextDueAt(["wf"], request.versions);
            expect(next === null || next === 1100).toBe(true);
          }
          const everyAccepted = new Set(workers.flat());
          expect(claimed).toEqual(
            new Set([...versionOf].filter(([, v]) => everyAccepted.has(v)).map(([id]) => id)),
          );
        },
      ),
      { numRuns: 200 },
    );
  });
});
