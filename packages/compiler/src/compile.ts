import { CompileSession } from "./body-compiler.js";
import type { ImportResolver } from "./compile-scope.js";
import type { Diagnostic } from "./diagnostics.js";
import type { WorkflowMachine } from "./ir.js";
import { ModuleIndex } from "./module-index.js";
import { SourceFile } from "./source-file.js";
import { compileWorkflow } from "./workflow-compiler.js";

export interface CompileOptions {
  /** The file's name, used in locations and diagnostics, and to resolve relative imports. */
  fileName: string;
  /**
   * Reads a module an import names (a relative path, or a package), so that helpers,
   * child workflows and constants defined in other files can be followed, through
   * re-exports. Without it, imports are not followed (and calls into them are opaque,
   * with a diagnostic).
   */
  resolveImport?: ImportResolver;
}

export interface CompileResult {
  /** One machine per `workflow(name, fn)` in the file, in source order. */
  machines: WorkflowMachine[];
  /** What the compiler refused to guess, and why; errors mean an opaque state in a machine. */
  diagnostics: Diagnostic[];
  /**
   * The diagnostics of one workflow, by its name: what compiling its machine reported
   * (a helper shared by two workflows reports to both). `stepline diagram --workflow X`
   * shows these, so another workflow's problems neither print nor fail the command.
   */
  diagnosticsByWorkflow: ReadonlyMap<string, Diagnostic[]>;
}

/**
 * Compiles every `workflow(name, fn)` in a TypeScript source file into a state
 * machine. Never throws on user code: what it cannot follow becomes an opaque
 * state plus a diagnostic with file:line:column.
 *
 * @example
 * const { machines, diagnostics } = compile(readFileSync("src/workflow.ts", "utf8"), {
 *   fileName: "src/workflow.ts",
 *   resolveImport: fileSystemResolver,
 * });
 * console.log(toMermaid(machines[0]));
 */
export function compile(sourceText: string, options: CompileOptions): CompileResult {
  const file = new SourceFile(options.fileName, sourceText);
  if (file.errors.length > 0)
    return { machines: [], diagnostics: file.errors, diagnosticsByWorkflow: new Map() };
  const session = new CompileSession(options.resolveImport);
  const module = new ModuleIndex(file);
  const machines: WorkflowMachine[] = [];
  for (const site of module.workflows) {
    const { name, fn } = site;
    if (name === undefined) {
      session.report({
        ...file.locate(site.call.start),
        severity: "error",
        code: "workflow-name-not-literal",
        message:
          "workflow(name, fn): the name is not a string literal, so the compiler cannot tell which workflow this is. Write the name as a literal.",
      });
      continue;
    }
    if (!fn) {
      session.report({
        ...file.locate(site.call.start),
        severity: "error",
        code: "workflow-function-not-found",
        message: `workflow("${name}", fn): fn is neither written inline nor a function declared in this file. Write it inline, or declare it in this file.`,
      });
      continue;
    }
    machines.push(session.forWorkflow(name, () => compileWorkflow(session, module, { ...site, name, fn })));
  }
  const diagnostics = [...session.diagnostics].sort(byPlace);
  const diagnosticsByWorkflow = new Map(
    [...session.byWorkflow].map(([workflow, found]) => [workflow, [...found].sort(byPlace)]),
  );
  return { machines, diagnostics, diagnosticsByWorkflow };
}

function byPlace(a: Diagnostic, b: Diagnostic): number {
  return a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column;
}
