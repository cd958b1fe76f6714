export type { AttributesUpdate, AttributeValue, SearchAttributes } from "./attributes.js";
export {
  AttributeIndex,
  attributeIndexChanges,
  attributeIndexValue,
  checkAttributes,
  MAX_ATTRIBUTE_STRING_BYTES,
  MAX_ATTRIBUTES,
  matchesWhere,
  mergeAttributes,
} from "./attributes.js";
export type {
  CancelOptions,
  ClientListFilter,
  ExecutionDescription,
  ExecutionHandle,
  HistoryOptions,
  StartOptions,
} from "./client.js";
export { Client } from "./client.js";
export type { ByteTransform, CodecOptions, InboxEntry } from "./codec.js";
export { assertPlainData, Codec, DEFAULT_MAX_EVENT_BYTES } from "./codec.js";
export type { CompensationRunOptions, Compensations } from "./compensations.js";
export { assertNotLoadingDefinitions, LOADING_DEFINITIONS } from "./definitions-only.js";
export type { Duration } from "./duration.js";
export { MAX_DURATION_MS, parseDuration } from "./duration.js";
export type { EncryptionOptions, PayloadEncryption } from "./encryption.js";
export { EncryptionKeyError, encryptedStore, encryptionCodec, sealedKeyId } from "./encryption.js";
export type { Engine, EngineOptions, StepWrapper } from "./engine.js";
export { createEngine } from "./engine.js";
export type { ErrorClass } from "./error-serialization.js";
export { ErrorRegistry } from "./error-serialization.js";
export type { NonDeterminismDetail } from "./errors.js";
export {
  CancelledError,
  InvalidArgumentError,
  NonDeterminismError,
  RetryableError,
  SteplineError,
  TerminalError,
  TimeoutError,
} from "./errors.js";
export type {
  EventHandlers,
  EventOfType,
  EventType,
  JournalEvent,
  NewEvent,
  SerializedError,
} from "./events.js";
export { dispatchEvent, EVENT_TYPES, isTerminalEvent } from "./events.js";
export {
  ExecutionAlreadyExistsError,
  ExecutionBlockedError,
  ExecutionFinishedError,
  ExecutionNotFinishedError,
  ExecutionNotFoundError,
  HistoryLimitError,
  JournalMovedError,
  RedriveRefusedError,
  UnknownWorkflowError,
} from "./execution-errors.js";
export type { IfExists } from "./existing-start.js";
export type { StepHeartbeatInfo } from "./heartbeats.js";
export { DEFAULT_HEARTBEAT_INTERVAL_MS, heartbeatInterval, latestHeartbeats } from "./heartbeats.js";
export type { HistoryLimits } from "./history-limits.js";
export { DEFAULT_HISTORY_LIMITS, historyWarning } from "./history-limits.js";
export type { IdentifierKind } from "./identifiers.js";
export {
  assertExecutionId,
  assertIdentifier,
  assertOperationName,
  identifierProblem,
  MAX_ATTRIBUTE_NAME_BYTES,
  MAX_EXECUTION_ID_BYTES,
  MAX_IDENTIFIER_NAME_BYTES,
  MAX_KEY_PREFIX_BYTES,
  utf8ByteLength,
} from "./identifiers.js";
export type { InputIssue } from "./input-schema.js";
export { InputValidationError } from "./input-schema.js";
export type { JournalCheck, JournalCheckOptions } from "./journal-rules.js";
export { checkJournal } from "./journal-rules.js";
export type { MapCallback, MapItemResult, MapOptions } from "./map.js";
export { memoryStore, storeRules } from "./memory-store.js";
export type { CompensationFailure, MapItemFailure } from "./operation-errors.js";
export {
  ChildFailedError,
  CompensationError,
  MapFailedError,
  StepFailedError,
  StepInterruptedError,
} from "./operation-errors.js";
export type { ParentClosePolicy } from "./parent-close-policy.js";
export type { QueryFailure, QueryOptions } from "./queries.js";
export { answerQuery, QueryBlockedError, QueryFailedError, QueryNotFoundError } from "./queries.js";
export type { QueryHandler } from "./query-handlers.js";
export { endsExecution, redrivenFailures } from "./redriven-failures.js";
export type { Retention } from "./retention.js";
export { RETENTION_BATCH, RETENTION_EVERY_MS } from "./retention.js";
export type { ResolvedRetryPolicy, RetryPolicy } from "./retry-policy.js";
export { DEFAULT_RETRY_POLICY, resolveRetryPolicy, retryDelay } from "./retry-policy.js";
export type { Clock } from "./scheduler.js";
export { nextMacrotask, systemClock } from "./scheduler.js";
export type { OverlapPolicy, ScheduleOptions, ScheduleUpdate } from "./schedules/schedule-spec.js";
export { DEFAULT_CATCHUP_WINDOW_MS, nextTick } from "./schedules/schedule-spec.js";
export { SCHEDULE_WORKFLOW, scheduleExecutionId, tickExecutionId } from "./schedules/schedule-workflow.js";
export type { ScheduleDescription } from "./schedules/schedules.js";
export { ScheduleAlreadyExistsError, ScheduleNotFoundError, Schedules } from "./schedules/schedules.js";
export type { StartEvent, StartEventOption } from "./signal-with-start.js";
export { DEFAULT_MAX_INTERRUPTIONS } from "./step-attempts.js";
export { parseStepIdentity, reservedSuffixProblem, StepIdentities, stepIdentity } from "./step-identity.js";
export type {
  AcceptedVersions,
  AppendRequest,
  AppendResult,
  Claim,
  ClaimRequest,
  ContinueAsNewRequest,
  CountFilter,
  ExecutionLifecycleStore,
  ExecutionRecord,
  ExecutionStatus,
  ExecutionStore,
  InboxStore,
  JournalStore,
  Lease,
  ListCursor,
  ListFilter,
  NewExecution,
  QueueStore,
  RedriveRequest,
  Release,
  RenewResult,
  Store,
  TerminateRequest,
  WorkerSighting,
  WorkerStore,
} from "./store.js";
export { TERMINAL_STATUSES } from "./store.js";
export {
  CorruptJournalError,
  DefinitionsOnlyError,
  EngineClosedError,
  LeaseLostError,
  PayloadTooLargeError,
  SerializationError,
  StoreOpenError,
  StoreReadOnlyError,
} from "./store-errors.js";
export type {
  OtelAttributes,
  OtelContext,
  OtelCounter,
  OtelHistogram,
  OtelMeter,
  OtelSpan,
  OtelTracer,
  TelemetryApi,
  TelemetryOptions,
} from "./telemetry.js";
export { TELEMETRY_NAMES } from "./telemetry.js";
export type { TerminateOptions } from "./terminate.js";
export { ERROR_LIMITS, MAX_SERIALIZED_ERROR_BYTES } from "./thrown-value.js";
export {
  UpdateFailedError,
  UpdateNotCompletedError,
  UpdateNotFoundError,
  UpdateRejectedError,
} from "./update-errors.js";
export type { UpdateOptions } from "./update-requests.js";
export type { UpdateHandler, UpdateHandlerOptions } from "./updates.js";
export type { WorkerOptions } from "./worker.js";
export { Worker } from "./worker.js";
export type {
  ChildHandle,
  ChildOptions,
  StepInfo,
  StepOptions,
  WaitForEventOptions,
  WorkflowContext,
  WorkflowDefinition,
  WorkflowFunction,
  WorkflowInput,
  WorkflowLogger,
  WorkflowOptions,
  WorkflowOutput,
} from "./workflow.js";
export { workflow } from "./workflow.js";
export type { LogSink, RunnableStep, RunOutcome } from "./workflow-run.js";
export { WorkflowRun } from "./workflow-run.js";
export { acceptedVersionsOf, MAX_COMPATIBLE_VERSIONS } from "./workflow-versions.js";
