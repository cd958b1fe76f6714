import type { SourceLocation } from "./ir.js";

/**
 * Why the compiler refused to guess. Each code has one meaning; docs/diagrams.md
 * lists them with an example and the way to write the code so it compiles.
 */
export type DiagnosticCode =
  | "parse-error"
  | "workflow-name-not-literal"
  | "workflow-function-not-found"
  | "dynamic-operation-name"
  | "invalid-operation-name"
  | "operation-not-awaited"
  | "operation-in-callback"
  | "operation-in-step-body"
  | "unresolved-helper"
  | "recursive-helper"
  | "context-escapes"
  | "dynamic-operation"
  | "unsupported-statement"
  | "option-not-literal"
  | "duration-rounded"
  | "heartbeat-not-below-timeout"
  | "concurrency-not-literal"
  | "compensation-approximated"
  | "child-handle-not-resolved"
  | "child-not-resolved"
  | "workflow-not-found"
  | "unreachable-state"
  | "context-not-followed"
  | "reserved-name-suffix"
  // The determinism lint (determinism-lint.ts): replay hazards outside steps.
  | "clock-in-workflow"
  | "random-in-workflow"
  | "timer-in-workflow"
  | "io-in-workflow"
  | "env-in-workflow";

/** "error": part of the diagram is an opaque state. "warning": the diagram is drawn, with a caveat. */
export type DiagnosticSeverity = "error" | "warning";

/**
 * One finding, with where it is and what to do about it.
 *
 * @example
 * formatDiagnostic(diagnostic);
 * // "src/workflow.ts:12:9 error dynamic-operation-name: ctx.step(input.name) ... Use a string literal ..."
 */
export interface Diagnostic extends SourceLocation {
  severity: DiagnosticSeverity;
  code: DiagnosticCode;
  /** What happened and what to do, in one or two sentences. */
  message: string;
}

/**
 * A diagnostic as one line: `file:line:column severity code: message`.
 *
 * @example
 * formatDiagnostic({ file: "a.ts", line: 3, column: 5, severity: "error", code: "recursive-helper", message: "..." });
 * // "a.ts:3:5 error recursive-helper: ..."
 */
export function formatDiagnostic(diagnostic: Diagnostic): string {
  const { file, line, column, severity, code, message } = diagnostic;
  return `${file}:${line}:${column} ${severity} ${code}: ${message}`;
}
