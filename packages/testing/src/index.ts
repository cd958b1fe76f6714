export { checkOneExecutionPerTick } from "./conformance/schedule-engine-cases.js";
export {
  applyCountOperation,
  COUNT_STATUSES,
  COUNT_WORKFLOWS,
  type CountOperation,
  expectIndexesMatchList,
} from "./count-operations.js";
export {
  CrashSafetyError,
  type CrashSafetyOptions,
  type CrashSafetyReport,
  type SimulatedCrash,
} from "./crash-safety.js";
export { type FakeClock, fakeClock } from "./fake-clock.js";
export { type ReplayReport, replayJournal } from "./replay-journal.js";
export {
  type JournalReplay,
  JournalReplayError,
  type JournalReplayFailure,
  replayJournals,
} from "./replay-journals.js";
export { describeStoreConformance, type StoreFixture } from "./store-conformance.js";
export {
  createTestEnvironment,
  type StepMock,
  TestEnvironment,
  type TestEnvironmentOptions,
} from "./test-environment.js";
export { describeTestEnvironmentSuite } from "./test-environment-suite.js";
