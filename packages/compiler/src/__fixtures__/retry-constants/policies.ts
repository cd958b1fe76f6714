/** Shared policies another module imports (retry-constants/workflow.ts). */
export const PATIENT = { maxAttempts: 6, initialInterval: "2s", backoffRate: 3, maxInterval: "1m" } as const;
export const STEP_TIMEOUT = 5 * 60_000;
