export { checkOneExecutionPerTick } from "./conformance/schedule-engine-cases.js";
export {
  applyCountOperation,
  COUNT_STATUSES,
  COUNT_WORKFLOWS,
  type CountOperation,
  expectIndexesMatchList,
} from "./count-operations.js";
export { type FakeClock, fakeClock } from "./fake-clock.js";
export { type ReplayReport, replayJournal } from "./replay-journal.js";
export { describeStoreConformance, type StoreFixture } from "./store-conformance.js";
