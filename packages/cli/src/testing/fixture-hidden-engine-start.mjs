// Creates an engine at import: see fixture-hidden-engine.ts.
import { createEngine, memoryStore } from "@stepline/core";

export const engineStarted = createEngine({ store: memoryStore() }) !== undefined;
