import { memoryStore } from "@stepline/core";
import { describeStoreConformance } from "./store-conformance.js";

describeStoreConformance("memoryStore", async () => ({ store: memoryStore(), dispose: async () => {} }));
