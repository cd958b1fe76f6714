export { ASL_RESOURCES, type AslMachine, type AslState, toASL, updatesToASL } from "./asl.js";
export { type CompileOptions, type CompileResult, compile } from "./compile.js";
export type { ImportResolver, ResolvedImport } from "./compile-scope.js";
export {
  type DeterminismCode,
  type DeterminismFinding,
  type LintOptions,
  type LintResult,
  lintDeterminism,
} from "./determinism-lint.js";
export {
  type Diagnostic,
  type DiagnosticCode,
  type DiagnosticSeverity,
  formatDiagnostic,
} from "./diagnostics.js";
export { DIAGRAM_USAGE, type DiagramIO, fileSystemResolver, runDiagramCommand } from "./diagram-command.js";
export { toDot } from "./dot.js";
export * from "./ir.js";
export { toMermaid } from "./mermaid.js";
export { type TopLevelEffect, topLevelEffects } from "./module-effects.js";
export { toSVG } from "./svg.js";
export {
  type ChildEvent,
  type Divergence,
  type TraceEvent,
  type TraceResult,
  type VerifyTraceOptions,
  verifyTrace,
} from "./verify-trace.js";
