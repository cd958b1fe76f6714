export { describeStoreConformance, type StoreFixture } from "./store-conformance.js";
