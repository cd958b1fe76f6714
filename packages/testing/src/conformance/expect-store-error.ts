import { expect } from "vitest";

interface ExecutionErrorClass<T> {
  readonly name: string;
  is(value: unknown): value is T;
}

/**
 * Awaits `promise`, which must reject with `errorClass` (checked with its static `is()`
 * guard, which works across package copies) about execution `executionId`, named in
 * both `executionId` and the message. Returns the error for further checks.
 */
export async function expectStoreError<T extends Error & { executionId: string }>(
  promise: Promise<unknown>,
  errorClass: ExecutionErrorClass<T>,
  executionId: string,
): Promise<T> {
  let outcome: { error: unknown } | undefined;
  try {
    await promise;
  } catch (error) {
    outcome = { error };
  }
  expect(outcome, `expected a rejection with ${errorClass.name}, but the call resolved`).toBeDefined();
  const error = outcome?.error;
  expect(errorClass.is(error), `expected ${errorClass.name}, got ${String(error)}`).toBe(true);
  const typed = error as T;
  expect(typed.executionId).toBe(executionId);
  expect(typed.message).toContain(executionId);
  return typed;
}
