import type { Expression, Node, Statement } from "oxc-parser";
import { type FunctionLike, usesOperations } from "./ast.js";
import { awaitsCollected, type CollectedPromises } from "./collected-promises.js";
import type { Diagnostic, DiagnosticCode, DiagnosticSeverity } from "./diagnostics.js";
import type { SourceLocation, State } from "./ir.js";
import { awaitsLifecycle, type LifecycleNames } from "./lifecycle-names.js";
import type { MachineBuilder, MachineDraft, Ref } from "./machine-builder.js";
import type { ModuleIndex } from "./module-index.js";

/** A `finally` block that a `return` or `break` leaving its `try` must run first. */
export interface Finalizer {
  block: Statement;
  scope: Scope;
}

/**
 * What the compiler knows at one point of a function body. Scopes are immutable:
 * entering a loop, a `try` or a helper makes a new one with the fields it changes.
 */
export interface Scope {
  /** The file the code is in (a helper inlined from an import is in another). */
  module: ModuleIndex;
  /** The machine states are added to. */
  draft: MachineDraft;
  /** The names the workflow context goes by here (`ctx`, or a helper's parameter name). */
  contextNames: ReadonlySet<string>;
  /** Variables a parameterised operation name may use: loop variables and map callback parameters. */
  loopVariables: ReadonlySet<string>;
  /**
   * A helper's parameters whose argument at the call is a known string
   * (`call(ctx, "charge")`: `name` is "charge"), for operation names; a parameter
   * bound to anything else maps to undefined, so it hides a constant of that name.
   */
  boundStrings?: ReadonlyMap<string, string | undefined>;
  /**
   * A helper's parameters given a template over loop variables at the call
   * (`call(ctx, \`pack-${sku}\`)`), with the caller's scope: an operation named by the
   * parameter is that template, one state with a parameterised name.
   */
  boundTemplates?: ReadonlyMap<string, { node: Expression; scope: Scope }>;
  /** `return` at the workflow's top level makes a Succeed state; elsewhere it jumps to a ref. */
  returnTarget: Ref | "succeed";
  /** Where an error goes (a `catch` handler); undefined: it propagates out of the machine. */
  errorTarget: () => Ref | undefined;
  breakTarget: Ref | undefined;
  continueTarget: Ref | undefined;
  /** `finally` blocks between here and the function boundary, outermost first. */
  finalizers: readonly Finalizer[];
  /** How many of `finalizers` were already open where `break` / `continue` land. */
  loopFinalizerDepth: number;
  /** Functions declared inside the workflow body, by name. */
  localFunctions: ReadonlyMap<string, FunctionLike>;
  /** Those of `localFunctions` that use the context through their closure. */
  closureHelpers: ReadonlySet<string>;
  /** The workflow input's parameter name, for Map ItemsPath (`order.items` is `$.items`). */
  inputName: string | undefined;
  /** Sagas and child handles of the workflow function (lifecycle-names.ts). */
  lifecycle?: LifecycleNames;
  /** Arrays of operation promises awaited together later, by variable (collected-promises.ts). */
  collectedPromises?: ReadonlyMap<string, CollectedPromises>;
  /** Helpers being inlined, to refuse recursion. */
  inlining: readonly FunctionLike[];
}

/** What a helper import resolves to. */
export interface ResolvedImport {
  fileName: string;
  sourceText: string;
}

/** Reads the module an import specifier names (relative to the importing file, or a package); undefined if it cannot. */
export type ImportResolver = (specifier: string, fromFile: string) => ResolvedImport | undefined;

/** The statement and expression compilers, as each other sees them. */
export interface BodyCompiler {
  readonly builder: MachineBuilder;
  statements(statements: readonly Statement[], next: Ref, scope: Scope): Ref;
  statement(statement: Statement, next: Ref, scope: Scope): Ref;
  /** `awaited`: the value is awaited where it is (an operation here is not left dangling). */
  expression(expression: Node, next: Ref, scope: Scope, awaited: boolean): Ref;
  /** Adds a state to the scope's machine. */
  add(scope: Scope, state: State, node: Node): Ref;
  locate(scope: Scope, node: Node): SourceLocation;
  text(scope: Scope, node: Node): string;
  report(scope: Scope, node: Node, severity: DiagnosticSeverity, code: DiagnosticCode, message: string): void;
  /** An opaque state for code the compiler cannot follow, and an error diagnostic. */
  opaque(scope: Scope, node: Node, code: DiagnosticCode, message: string, next: Ref): Ref;
  /** The index of another file of the package, through the import resolver. */
  importedModule(from: ModuleIndex, specifier: string): ModuleIndex | undefined;
  readonly diagnostics: Diagnostic[];
}

/**
 * True when `node` may issue operations in this scope (directly, or by calling a
 * closure helper), or runs a saga or waits for a started child.
 */
export function issuesOperations(node: Node, scope: Scope): boolean {
  return (
    usesOperations(node, scope.contextNames, scope.closureHelpers) ||
    (scope.lifecycle !== undefined && awaitsLifecycle(node, scope.lifecycle)) ||
    (scope.collectedPromises !== undefined && awaitsCollected(node, scope.collectedPromises))
  );
}
