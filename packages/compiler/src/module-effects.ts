import type { Expression, Node, Statement } from "oxc-parser";
import type { ImportResolver } from "./compile-scope.js";
import { ModuleIndex } from "./module-index.js";
import { SourceFile } from "./source-file.js";

/** Code at a module's top level that runs when the module is imported. */
export interface TopLevelEffect {
  file: string;
  line: number;
  column: number;
  /** The code, cut to one short line. */
  code: string;
  /** Why it counts: "a top-level call", "top-level await", ... */
  reason: string;
}

/**
 * Packages whose top-level calls build values and do nothing else (schema builders
 * for workflow input): `z.object({...})` may sit at a module's top level.
 */
const PURE_PACKAGES = new Set(["zod", "valibot", "arktype", "@sinclair/typebox", "yup", "superstruct"]);
/** Calls of these globals build a value and have no effect. */
const PURE_CALLS = new Set([
  "Symbol",
  "String",
  "Number",
  "Boolean",
  "BigInt",
  "Object.freeze",
  "Object.fromEntries",
  "Object.entries",
  "Object.keys",
  "Object.values",
  "Array.from",
  "Array.of",
]);
/** `new` of these globals builds a value and has no effect. */
const PURE_CONSTRUCTORS = new Set([
  "Map",
  "Set",
  "WeakMap",
  "WeakSet",
  "Date",
  "RegExp",
  "Error",
  "TypeError",
  "RangeError",
  "URL",
  "TextEncoder",
  "TextDecoder",
]);

/**
 * The code that would run when `fileName` and the relative modules it imports are
 * imported, beyond defining things: top-level statements and expression statements,
 * top-level `await`, calls and `new` other than `workflow(...)` and clearly pure ones
 * (schema builders of {@link PURE_PACKAGES}, `Object.freeze`, `new Map`, ...), and
 * imports for their side effects only (`import "./setup"`). Imports of packages are
 * not followed. `stepline replay-check` refuses a module with any: importing a
 * service's entry point would start its workers and servers.
 *
 * @example
 * const effects = topLevelEffects("src/server.ts", text, fileSystemResolver);
 * // [{ file: "src/server.ts", line: 12, column: 1, code: "await worker.start()", reason: "top-level await" }]
 */
export function topLevelEffects(
  fileName: string,
  sourceText: string,
  resolveImport?: ImportResolver,
): TopLevelEffect[] {
  const effects: TopLevelEffect[] = [];
  const seen = new Set<string>();
  const visit = (name: string, text: string) => {
    if (seen.has(name)) return;
    seen.add(name);
    const file = new SourceFile(name, text);
    // `workflow` may be imported under another name (`import { workflow as define }`).
    const workflowCallees = new ModuleIndex(file).workflowCallees;
    const pureImports = new Set<string>();
    const follow: string[] = [];
    const report = (node: Node, reason: string) => {
      const at = file.locate(node.start);
      const code = file.textOf(node);
      effects.push({
        file: name,
        line: at.line,
        column: at.column,
        code: code.length > 80 ? `${code.slice(0, 77)}...` : code,
        reason,
      });
    };
    for (const statement of file.program.body) {
      if (statement.type === "ImportDeclaration") {
        const source = String(statement.source.value);
        if (statement.specifiers.length === 0 && statement.importKind !== "type") {
          report(statement, "an import for its side effects only");
        }
        if (PURE_PACKAGES.has(source)) for (const s of statement.specifiers) pureImports.add(s.local.name);
        if (source.startsWith(".") && statement.importKind !== "type") follow.push(source);
        continue;
      }
      if (
        (statement.type === "ExportAllDeclaration" || statement.type === "ExportNamedDeclaration") &&
        statement.source
      ) {
        if (String(statement.source.value).startsWith(".")) follow.push(String(statement.source.value));
        continue;
      }
      checkStatement(statement, { report, pureImports, workflowCallees });
    }
    if (!resolveImport) return;
    for (const specifier of follow) {
      const resolved = resolveImport(specifier, name);
      if (resolved) visit(resolved.fileName, resolved.sourceText);
    }
  };
  visit(fileName, sourceText);
  return effects;
}

interface Checker {
  report(node: Node, reason: string): void;
  /** Local names imported from {@link PURE_PACKAGES}. */
  pureImports: ReadonlySet<string>;
  /** Local names of core's `workflow` (ModuleIndex.workflowCallees). */
  workflowCallees: ReadonlySet<string>;
}

const DECLARATIONS = new Set([
  "FunctionDeclaration",
  "TSInterfaceDeclaration",
  "TSTypeAliasDeclaration",
  "TSEnumDeclaration",
  "TSModuleDeclaration",
  "TSDeclareFunction",
  "TSImportEqualsDeclaration",
  "EmptyStatement",
]);

function checkStatement(statement: Statement | Node, checker: Checker): void {
  const node = statement as Node & Record<string, unknown>;
  if (DECLARATIONS.has(node.type)) return;
  switch (node.type) {
    case "ClassDeclaration":
      checkClass(node, checker);
      return;
    case "ExportNamedDeclaration":
      if (node.declaration) checkStatement(node.declaration as Node, checker);
      return;
    case "ExportDefaultDeclaration": {
      const declaration = node.declaration as Node;
      if (DECLARATIONS.has(declaration.type)) return;
      if (declaration.type === "ClassDeclaration") {
        checkClass(declaration as never, checker);
        return;
      }
      checkExpression(declaration as Expression, checker);
      return;
    }
    case "TSExportAssignment":
      checkExpression(node.expression as Expression, checker);
      return;
    case "VariableDeclaration":
      if (node.kind === "await using") checker.report(node, "top-level await");
      for (const declarator of node.declarations as { init: Expression | null }[]) {
        if (declarator.init) checkExpression(declarator.init, checker);
      }
      return;
    case "ExpressionStatement":
      // "use strict" and other directives do nothing.
      if (typeof node.directive === "string") return;
      checker.report(node, containsAwait(node) ? "top-level await" : "a top-level expression statement");
      return;
    default:
      checker.report(node, `a top-level ${node.type.replace(/Statement$/, "").toLowerCase()} statement`);
  }
}

/** Reports the first part of `expression` that runs code when evaluated at the top level. */
function checkExpression(expression: Expression, checker: Checker): void {
  const node = expression as Node & Record<string, unknown>;
  const each = (values: unknown) => {
    for (const value of values as (Node | null)[]) if (value) checkExpression(value as Expression, checker);
  };
  switch (node.type) {
    case "Literal":
    case "Identifier":
    case "ArrowFunctionExpression":
    case "FunctionExpression":
    case "ThisExpression":
    case "MetaProperty":
      return;
    case "ClassExpression":
      checkClass(node, checker);
      return;
    case "TemplateLiteral":
      each(node.expressions);
      return;
    case "ArrayExpression":
      each(node.elements);
      return;
    case "ObjectExpression":
      for (const property of node.properties as (Node & Record<string, unknown>)[]) {
        if (property.type === "SpreadElement") checkExpression(property.argument as Expression, checker);
        else {
          if (property.computed) checkExpression(property.key as Expression, checker);
          checkExpression(property.value as Expression, checker);
        }
      }
      return;
    case "SpreadElement":
    case "TSAsExpression":
    case "TSSatisfiesExpression":
    case "TSNonNullExpression":
    case "TSTypeAssertion":
    case "TSInstantiationExpression":
    case "ParenthesizedExpression":
      checkExpression((node.argument ?? node.expression) as Expression, checker);
      return;
    case "UnaryExpression":
      if (node.operator === "delete") {
        checker.report(node, "a top-level delete");
        return;
      }
      checkExpression(node.argument as Expression, checker);
      return;
    case "BinaryExpression":
    case "LogicalExpression":
      checkExpression(node.left as Expression, checker);
      checkExpression(node.right as Expression, checker);
      return;
    case "ConditionalExpression":
      checkExpression(node.test as Expression, checker);
      checkExpression(node.consequent as Expression, checker);
      checkExpression(node.alternate as Expression, checker);
      return;
    case "MemberExpression":
      checkExpression(node.object as Expression, checker);
      if (node.computed) checkExpression(node.property as Expression, checker);
      return;
    case "ChainExpression":
      checkExpression(node.expression as Expression, checker);
      return;
    case "AwaitExpression":
      checker.report(node, "top-level await");
      return;
    case "CallExpression":
      if (isPureCall(node, checker)) {
        each(node.arguments);
        return;
      }
      checker.report(node, "a top-level call");
      return;
    case "NewExpression": {
      const callee = calleeName(node.callee as Node);
      if (callee && PURE_CONSTRUCTORS.has(callee)) {
        each(node.arguments);
        return;
      }
      checker.report(node, "a top-level `new`");
      return;
    }
    default:
      checker.report(node, "top-level code that runs at import");
      return;
  }
}

/**
 * A class definition runs its `extends` expression, decorators, computed keys, static
 * blocks and static field initialisers; methods and instance fields run later.
 */
function checkClass(node: Node & Record<string, unknown>, checker: Checker): void {
  if (node.superClass) checkExpression(node.superClass as Expression, checker);
  if ((node.decorators as unknown[] | undefined)?.length) checker.report(node, "a class decorator");
  const body = (node.body as { body: (Node & Record<string, unknown>)[] }).body;
  for (const member of body) {
    if (member.type === "StaticBlock") checker.report(member, "a static block");
    if ((member.decorators as unknown[] | undefined)?.length) checker.report(member, "a decorator");
    if (member.computed) checkExpression(member.key as Expression, checker);
    if (member.static && member.value && member.type === "PropertyDefinition") {
      checkExpression(member.value as Expression, checker);
    }
  }
}

/** `workflow(...)`, a pure global (`Object.freeze`), or a call on a schema builder's import (`z.object(...).min(1)`). */
function isPureCall(call: Node & Record<string, unknown>, checker: Checker): boolean {
  const callee = call.callee as Node & Record<string, unknown>;
  const name = calleeName(callee);
  if (name !== undefined && (checker.workflowCallees.has(name) || PURE_CALLS.has(name))) return true;
  let root: Node & Record<string, unknown> = callee;
  for (;;) {
    if (root.type === "MemberExpression") root = root.object as Node & Record<string, unknown>;
    else if (root.type === "CallExpression") root = root.callee as Node & Record<string, unknown>;
    else break;
  }
  return root.type === "Identifier" && checker.pureImports.has(root.name as string);
}

/** `name` or `object.name` for an identifier or a plain member access. */
function calleeName(callee: Node): string | undefined {
  const node = callee as Node & Record<string, unknown>;
  if (node.type === "Identifier") return node.name as string;
  if (node.type === "MemberExpression" && !node.computed) {
    const object = node.object as Node & Record<string, unknown>;
    const property = node.property as Node & Record<string, unknown>;
    if (object.type === "Identifier") return `${object.name as string}.${property.name as string}`;
  }
  return undefined;
}

function containsAwait(node: unknown): boolean {
  if (node === null || typeof node !== "object") return false;
  const value = node as Record<string, unknown>;
  if (value.type === "AwaitExpression") return true;
  if (/Function/.test(String(value.type))) return false;
  return Object.values(value).some((child) =>
    Array.isArray(child) ? child.some(containsAwait) : typeof child === "object" && containsAwait(child),
  );
}
