import type { CallExpression, Expression, Node } from "oxc-parser";
import {
  childNodes,
  type FunctionLike,
  isFunctionLike,
  methodCallOf,
  parameterNames,
  unwrap,
} from "./ast.js";
import type { ImportResolver } from "./compile-scope.js";
import { contextParameter } from "./context-parameter.js";
import { callHazard, type Hazard, importAliases, newHazard, readHazard } from "./determinism-rules.js";
import type { Diagnostic } from "./diagnostics.js";
import { ModuleIndex } from "./module-index.js";
import { SourceFile } from "./source-file.js";

export type { DeterminismCode } from "./determinism-rules.js";

export interface LintOptions {
  /** The file's name, used in locations and to resolve relative imports. */
  fileName: string;
  /** Reads a module a relative import names, so that helpers in other files are linted too. */
  resolveImport?: ImportResolver;
  /** Lint only this workflow (by its `workflow(name, ...)` name). */
  workflow?: string;
}

/** One replay hazard: where, what it is, and the fix (in `message`). Severity is "warning". */
export interface DeterminismFinding extends Diagnostic {
  /** The workflow whose body runs it (the first one, when a helper serves several). */
  workflow: string;
  /** The construct as written: `Date.now()`, `setTimeout(...)`, `process.env`. */
  construct: string;
}

export interface LintResult {
  /** The names of the workflows linted, in source order. */
  workflows: string[];
  /** What breaks replay, by file, line and column. */
  findings: DeterminismFinding[];
  /** Parse errors of the file: nothing was linted. */
  errors: Diagnostic[];
}

/**
 * The determinism lint: finds what breaks replay when it runs in a workflow body
 * outside a step: the clock (`Date.now()`, `new Date()`, `performance.now()`),
 * randomness (`Math.random()`, `crypto.randomUUID()`, `crypto.getRandomValues`), timers
 * (`setTimeout`, `setInterval`, `setImmediate`), `fetch`, `process.env` and names
 * imported from Node's I/O modules (`node:fs`, `node:http`, `node:child_process`, ...).
 * Step callbacks (`ctx.step(name, fn)`, `saga.add(name, fn)`) and query handlers
 * (`ctx.onQuery(name, fn)`: their answers are not journaled) may do all of it; map
 * callbacks and update handlers (`ctx.onUpdate(name, fn)`: they run interleaved with the
 * body and replay) are workflow code, as are helpers given `ctx` (followed as the compiler
 * inlines them, also into other files, and flagged at the helper's line). Never throws
 * on user code.
 *
 * @example
 * const { findings } = lintDeterminism(readFileSync("src/workflow.ts", "utf8"), {
 *   fileName: "src/workflow.ts",
 *   resolveImport: fileSystemResolver,
 * });
 * for (const finding of findings) console.log(formatDiagnostic(finding));
 * // src/workflow.ts:7:20 warning clock-in-workflow: Date.now() reads the clock in workflow "order", outside a step: ...
 */
export function lintDeterminism(sourceText: string, options: LintOptions): LintResult {
  const file = new SourceFile(options.fileName, sourceText);
  if (file.errors.length > 0) return { workflows: [], findings: [], errors: file.errors };
  const linter = new DeterminismLinter(options.resolveImport);
  const module = linter.index(file);
  const workflows: string[] = [];
  for (const site of module.workflows) {
    const name = site.name ?? site.binding ?? "(unnamed)";
    if (!site.fn || (options.workflow !== undefined && name !== options.workflow)) continue;
    workflows.push(name);
    linter.lintWorkflow(module, name, site.fn);
  }
  const findings = [...linter.findings.values()].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
  return { workflows, findings, errors: [] };
}

/** The code the walk is in: which names are the context, and whose body it is. */
interface LintScope {
  module: ModuleIndex;
  aliases: ReadonlyMap<string, string>;
  contextNames: ReadonlySet<string>;
  /** `const saga = ctx.compensations()`: `saga.add(name, fn)` runs `fn` as a step. */
  sagaNames: Set<string>;
  /** Local functions given as a step's body by name (`ctx.step("a", load)`): they run as steps. */
  stepBodies: Set<string>;
  /** Local functions called with the context: walked at the call, as helpers. */
  helpers: Map<string, FunctionLike>;
  workflow: string;
  /** The helper chain, for the message and to stop recursion. */
  inlining: FunctionLike[];
  helperName: string | undefined;
}

class DeterminismLinter {
  /** By file:offset:code, so a helper called twice is reported once. */
  readonly findings = new Map<string, DeterminismFinding>();
  readonly #resolveImport: ImportResolver | undefined;
  readonly #modules = new Map<string, ModuleIndex | undefined>();
  readonly #aliases = new Map<ModuleIndex, Map<string, string>>();

  constructor(resolveImport: ImportResolver | undefined) {
    this.#resolveImport = resolveImport;
  }

  index(file: SourceFile): ModuleIndex {
    const module = new ModuleIndex(file);
    this.#modules.set(file.fileName, module);
    this.#aliases.set(module, importAliases(module));
    return module;
  }

  lintWorkflow(module: ModuleIndex, workflow: string, fn: FunctionLike): void {
    // A destructured context (`{ step }`) is followed as the compiler follows it (context-parameter.ts).
    const context = contextParameter(fn, 0);
    this.#lintFunction(fn, {
      ...this.#scopeBase(module),
      contextNames: new Set(context && "names" in context ? context.names : []),
      workflow,
      inlining: [fn],
      helperName: undefined,
    });
  }

  #scopeBase(module: ModuleIndex) {
    return {
      module,
      aliases: this.#aliases.get(module) ?? new Map<string, string>(),
      sagaNames: new Set<string>(),
      stepBodies: new Set<string>(),
      helpers: new Map<string, FunctionLike>(),
    };
  }

  /** Walks a function's body as workflow code: first the names it binds, then the code. */
  #lintFunction(fn: FunctionLike, scope: LintScope): void {
    if (!fn.body) return;
    this.#collectNames(fn.body, scope);
    this.#visit(fn.body, scope);
  }

  /**
   * Sagas, functions given as step bodies by name, and local functions called with the
   * context, found before the walk: a declaration comes before its use.
   */
  #collectNames(body: Node, scope: LintScope): void {
    const locals = new Map<string, FunctionLike>();
    const search = (node: Node) => {
      if (node.type === "FunctionDeclaration" && node.id) locals.set(node.id.name, node);
      if (node.type === "VariableDeclarator" && node.id.type === "Identifier" && node.init) {
        const init = unwrap(node.init as Expression);
        if (isFunctionLike(init)) locals.set(node.id.name, init);
        const call = init.type === "CallExpression" ? methodCallOf(init) : undefined;
        if (call && scope.contextNames.has(call.receiver) && call.method === "compensations")
          scope.sagaNames.add(node.id.name);
      }
      for (const child of childNodes(node)) search(child);
    };
    search(body);
    const calls = (node: Node) => {
      if (node.type === "CallExpression") {
        const body = this.#stepBody(node, scope);
        if (body?.type === "Identifier") scope.stepBodies.add(body.name);
        const callee = unwrap(node.callee);
        if (callee.type === "Identifier" && locals.has(callee.name) && this.#passesContext(node, scope))
          scope.helpers.set(callee.name, locals.get(callee.name) as FunctionLike);
        // `ctx.map(name, items, each)` with `each` declared here: walked at the map, its first parameter the context.
        const method = methodCallOf(node);
        const each = node.arguments[2];
        if (
          method &&
          scope.contextNames.has(method.receiver) &&
          method.method === "map" &&
          each?.type === "Identifier" &&
          locals.has(each.name)
        )
          scope.helpers.set(each.name, locals.get(each.name) as FunctionLike);
      }
      for (const child of childNodes(node)) calls(child);
    };
    calls(body);
  }

  /**
   * The function argument of `ctx.step(name, fn)` or `saga.add(name, fn)`, which runs as
   * a step, or of `ctx.onQuery(name, fn)`, which runs only to answer a query and whose
   * answer is never journaled: neither is replayed workflow code.
   */
  #stepBody(call: CallExpression, scope: LintScope): Expression | undefined {
    const method = methodCallOf(call);
    if (!method) return undefined;
    const onContext = scope.contextNames.has(method.receiver);
    const isStep = onContext && (method.method === "step" || method.method === "onQuery");
    const isUndo = scope.sagaNames.has(method.receiver) && method.method === "add";
    const body = call.arguments[1];
    return (isStep || isUndo) && body && body.type !== "SpreadElement" ? unwrap(body) : undefined;
  }

  #passesContext(call: CallExpression, scope: LintScope): boolean {
    return call.arguments.some((argument) => {
      const inner = argument.type === "SpreadElement" ? undefined : unwrap(argument);
      return inner?.type === "Identifier" && scope.contextNames.has(inner.name);
    });
  }

  #visit(node: Node, scope: LintScope): void {
    for (const child of this.#inspect(node, scope)) this.#visit(child, scope);
  }

  /** Reports `node` if it is a hazard; returns the children that are workflow code too. */
  #inspect(node: Node, scope: LintScope): readonly Node[] {
    const text = (n: Node) => scope.module.file.textOf(n);
    switch (node.type) {
      case "CallExpression": {
        const stepBody = this.#stepBody(node, scope);
        if (stepBody) return node.arguments.filter((argument) => unwrap(argument as Expression) !== stepBody);
        if (this.#lintMap(node, scope) || this.#lintHelperCall(node, scope)) return [];
        const hazard = callHazard(node.callee, node.arguments.length, scope.aliases, text);
        if (!hazard) break;
        this.#report(node, hazard, scope);
        return node.arguments;
      }
      case "NewExpression": {
        const hazard = newHazard(node.callee, node.arguments.length, scope.aliases);
        if (!hazard) break;
        this.#report(node, hazard, scope);
        return [];
      }
      case "MemberExpression":
      case "Identifier": {
        const hazard = readHazard(node as Expression, scope.aliases, text);
        if (hazard) {
          this.#report(node, hazard, scope);
          return [];
        }
        // `x.fs` and `{ fs: 1 }` name no binding: only the object and computed keys are read.
        if (node.type === "Identifier") return [];
        return node.computed ? [node.object, node.property] : [node.object];
      }
      case "Property":
      case "PropertyDefinition":
      case "MethodDefinition":
        if (!node.computed) return node.value ? [node.value] : [];
        break;
      case "LabeledStatement":
        return [node.body];
      case "BreakStatement":
      case "ContinueStatement":
        return [];
      case "FunctionDeclaration":
        // Run as a step, or walked at the call as a helper.
        if (node.id && (scope.stepBodies.has(node.id.name) || scope.helpers.has(node.id.name))) return [];
        break;
      case "VariableDeclarator":
        if (node.id.type === "Identifier" && node.init && isFunctionLike(unwrap(node.init as Expression))) {
          const name = node.id.name;
          if (scope.stepBodies.has(name) || scope.helpers.has(name)) return [];
        }
        break;
      default:
        break;
    }
    return childNodes(node);
  }

  /** `ctx.map(name, items, fn, options)`: `fn` is workflow code, its first parameter the context. */
  #lintMap(call: CallExpression, scope: LintScope): boolean {
    const method = methodCallOf(call);
    if (!method || !scope.contextNames.has(method.receiver) || method.method !== "map") return false;
    const fn = call.arguments[2];
    const callback = fn && fn.type !== "SpreadElement" ? unwrap(fn) : undefined;
    for (const argument of call.arguments) if (argument !== fn) this.#visit(argument, scope);
    const found = callback && this.#findHelper(callback, scope);
    if (callback && found && !scope.inlining.includes(found.fn)) {
      const [contextName] = parameterNames(found.fn);
      const same = found.module === scope.module;
      const contextNames = new Set(same ? scope.contextNames : []);
      if (contextName) contextNames.add(contextName);
      this.#lintFunction(found.fn, {
        ...scope,
        ...this.#scopeBase(found.module),
        // A callback written here sees this function's sagas; one named from elsewhere does not.
        ...(same
          ? {
              sagaNames: new Set(scope.sagaNames),
              stepBodies: new Set(scope.stepBodies),
              helpers: new Map(scope.helpers),
            }
          : {}),
        contextNames,
        inlining: [...scope.inlining, found.fn],
        helperName: isFunctionLike(callback) ? scope.helperName : scope.module.file.textOf(callback),
      });
    } else if (fn) {
      this.#visit(fn, scope);
    }
    return true;
  }

  /**
   * A call that gives the context to a helper (`await charge(ctx, order)`, an IIFE):
   * the helper's body is workflow code, as the compiler inlines it; its findings are
   * at its own lines, in its own file.
   */
  #lintHelperCall(call: CallExpression, scope: LintScope): boolean {
    if (!this.#passesContext(call, scope)) return false;
    const found = this.#findHelper(unwrap(call.callee), scope);
    if (!found) return false;
    for (const argument of call.arguments) this.#visit(argument, scope);
    const { fn, module } = found;
    if (scope.inlining.includes(fn)) return true;
    const params = parameterNames(fn);
    const contextNames = new Set<string>(module === scope.module ? scope.contextNames : []);
    call.arguments.forEach((argument, index) => {
      const inner = argument.type === "SpreadElement" ? undefined : unwrap(argument);
      const param = params[index];
      if (!param) return;
      if (inner?.type === "Identifier" && scope.contextNames.has(inner.name)) contextNames.add(param);
      else contextNames.delete(param);
    });
    const callee = unwrap(call.callee);
    this.#lintFunction(fn, {
      ...scope,
      ...this.#scopeBase(module),
      contextNames,
      inlining: [...scope.inlining, fn],
      helperName: isFunctionLike(callee) ? scope.helperName : scope.module.file.textOf(callee),
    });
    return true;
  }

  #findHelper(callee: Expression, scope: LintScope): { fn: FunctionLike; module: ModuleIndex } | undefined {
    const module = scope.module;
    if (isFunctionLike(callee)) return { fn: callee, module };
    if (callee.type === "Identifier") {
      const local = scope.helpers.get(callee.name) ?? module.functions.get(callee.name);
      if (local) return { fn: local, module };
      const imported = module.imports.get(callee.name);
      return imported && imported.imported !== "*"
        ? this.#exported(module, imported.specifier, imported.imported)
        : undefined;
    }
    if (callee.type === "MemberExpression" && !callee.computed) {
      const object = unwrap(callee.object);
      const imported = object.type === "Identifier" ? module.imports.get(object.name) : undefined;
      if (imported?.imported === "*") return this.#exported(module, imported.specifier, callee.property.name);
    }
    return undefined;
  }

  #exported(
    from: ModuleIndex,
    specifier: string,
    name: string,
  ): { fn: FunctionLike; module: ModuleIndex } | undefined {
    const resolved = this.#resolveImport?.(specifier, from.file.fileName);
    if (!resolved) return undefined;
    if (!this.#modules.has(resolved.fileName)) {
      const file = new SourceFile(resolved.fileName, resolved.sourceText);
      this.#modules.set(resolved.fileName, file.errors.length > 0 ? undefined : this.index(file));
    }
    const module = this.#modules.get(resolved.fileName);
    const local = module?.exports.get(name);
    const fn = local ? module?.functions.get(local) : undefined;
    return module && fn ? { fn, module } : undefined;
  }

  #report(node: Node, hazard: Hazard, scope: LintScope): void {
    const at = scope.module.file.locate(node.start);
    const key = `${at.file}:${node.start}:${hazard.code}`;
    if (this.findings.has(key)) return;
    const where = scope.helperName
      ? `in ${scope.helperName}(), a helper of workflow "${scope.workflow}"`
      : `in workflow "${scope.workflow}"`;
    this.findings.set(key, {
      ...at,
      severity: "warning",
      code: hazard.code,
      message: `${hazard.construct} ${hazard.does} ${where}, outside a step: ${hazard.why}`,
      workflow: scope.workflow,
      construct: hazard.construct,
    });
  }
}
