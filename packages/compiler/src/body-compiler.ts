import type { Expression, Node, Statement } from "oxc-parser";
import type { BodyCompiler, ImportResolver, Scope } from "./compile-scope.js";
import type { Diagnostic, DiagnosticCode, DiagnosticSeverity } from "./diagnostics.js";
import { compileExpression } from "./expression-compiler.js";
import type { OpaqueState, SourceLocation, State } from "./ir.js";
import type { MachineBuilder, Ref } from "./machine-builder.js";
import { ModuleIndex } from "./module-index.js";
import { SourceFile } from "./source-file.js";
import { compileStatement, compileStatements, truncate } from "./statement-compiler.js";

/** What one `compile` call shares across workflows: diagnostics, and the files read through imports. */
export class CompileSession {
  readonly diagnostics: Diagnostic[] = [];
  readonly #modules = new Map<string, ModuleIndex | undefined>();
  readonly #seen = new Set<string>();
  readonly #resolveImport: ImportResolver | undefined;

  constructor(resolveImport: ImportResolver | undefined) {
    this.#resolveImport = resolveImport;
  }

  /** Per workflow: what compiling it reported (a helper two workflows share reports to both). */
  readonly byWorkflow = new Map<string, Diagnostic[]>();
  #current: { diagnostics: Diagnostic[]; seen: Set<string> } | undefined;

  /** Records a diagnostic once (a helper inlined twice reports its problem once). */
  report(diagnostic: Diagnostic): void {
    const key = `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}:${diagnostic.code}`;
    if (this.#current && !this.#current.seen.has(key)) {
      this.#current.seen.add(key);
      this.#current.diagnostics.push(diagnostic);
    }
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    this.diagnostics.push(diagnostic);
  }

  /** Runs `compile` with what it reports also recorded as the diagnostics of `workflow`. */
  forWorkflow<T>(workflow: string, compile: () => T): T {
    const diagnostics = this.byWorkflow.get(workflow) ?? [];
    this.byWorkflow.set(workflow, diagnostics);
    this.#current = { diagnostics, seen: new Set() };
    try {
      return compile();
    } finally {
      this.#current = undefined;
    }
  }

  /** The module an import names (through the resolver: relative paths, packages), parsed once; undefined if it cannot be read or parsed. */
  importedModule(from: ModuleIndex, specifier: string): ModuleIndex | undefined {
    if (!this.#resolveImport) return undefined;
    const resolved = this.#resolveImport(specifier, from.file.fileName);
    if (!resolved) return undefined;
    if (!this.#modules.has(resolved.fileName)) {
      const file = new SourceFile(resolved.fileName, resolved.sourceText);
      for (const error of file.errors) this.report(error);
      this.#modules.set(resolved.fileName, file.errors.length > 0 ? undefined : new ModuleIndex(file));
    }
    return this.#modules.get(resolved.fileName);
  }
}

/** The {@link BodyCompiler} of one workflow: states go to its builder, findings to the session. */
export class WorkflowBodyCompiler implements BodyCompiler {
  readonly builder: MachineBuilder;
  readonly #session: CompileSession;

  constructor(session: CompileSession, builder: MachineBuilder) {
    this.#session = session;
    this.builder = builder;
  }

  get diagnostics(): Diagnostic[] {
    return this.#session.diagnostics;
  }

  statements(statements: readonly Statement[], next: Ref, scope: Scope): Ref {
    return compileStatements(this, statements, next, scope);
  }

  statement(statement: Statement, next: Ref, scope: Scope): Ref {
    return compileStatement(this, statement, next, scope);
  }

  expression(expression: Expression | Node, next: Ref, scope: Scope, awaited: boolean): Ref {
    return compileExpression(this, expression, next, scope, awaited);
  }

  add(scope: Scope, state: State, node: Node): Ref {
    return this.builder.add(scope.draft, state, node.start);
  }

  locate(scope: Scope, node: Node): SourceLocation {
    return scope.module.file.locate(node.start);
  }

  text(scope: Scope, node: Node): string {
    return scope.module.file.textOf(node);
  }

  report(
    scope: Scope,
    node: Node,
    severity: DiagnosticSeverity,
    code: DiagnosticCode,
    message: string,
  ): void {
    this.#session.report({ ...this.locate(scope, node), severity, code, message });
  }

  opaque(scope: Scope, node: Node, code: DiagnosticCode, message: string, next: Ref): Ref {
    this.report(scope, node, "error", code, message);
    const state: OpaqueState = {
      id: "",
      kind: "opaque",
      name: `opaque: ${truncate(this.text(scope, node), 40)}`,
      loc: this.locate(scope, node),
      reason: message,
    };
    const ref = this.add(scope, state, node);
    this.builder.link(scope.draft, state, "next", next, "omit");
    return ref;
  }

  importedModule(from: ModuleIndex, specifier: string): ModuleIndex | undefined {
    return this.#session.importedModule(from, specifier);
  }
}
