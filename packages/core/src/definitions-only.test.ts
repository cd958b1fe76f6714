import { afterEach, describe, expect, it } from "vitest";
import { LOADING_DEFINITIONS } from "./definitions-only.js";
import { createEngine } from "./engine.js";
import { memoryStore } from "./memory-store.js";
import { DefinitionsOnlyError } from "./store-errors.js";
import { workflow } from "./workflow.js";

const global = globalThis as Record<symbol, unknown>;
afterEach(() => {
  delete global[LOADING_DEFINITIONS];
});

describe("LOADING_DEFINITIONS", () => {
  it("makes createEngine and Worker.start throw DefinitionsOnlyError while a tool reads definitions", async () => {
    const engine = createEngine({ store: memoryStore() });
    const worker = engine.worker({ workflows: [workflow("w", async () => 1)] });
    global[LOADING_DEFINITIONS] = "stepline replay-check";
    let thrown: unknown;
    try {
      createEngine({ store: memoryStore() });
    } catch (error) {
      thrown = error;
    }
    expect(DefinitionsOnlyError.is(thrown)).toBe(true);
    expect((thrown as Error).message).toMatch(
      /^createEngine was called while stepline replay-check imported workflow modules to read their definitions: .* Point it at a module that only defines workflows/,
    );
    await expect(worker.start()).rejects.toThrow(/^Worker\.start was called while stepline replay-check/);
    delete global[LOADING_DEFINITIONS];
    await worker.start();
    await worker.stop();
    await engine.close();
  });
});
