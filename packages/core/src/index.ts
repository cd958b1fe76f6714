export * from "./errors.js";
export * from "./events.js";
export * from "./store.js";
export { memoryStore, storeRules } from "./memory-store.js";
