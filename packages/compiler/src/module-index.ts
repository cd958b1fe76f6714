import type { CallExpression, Expression, Node, Statement } from "oxc-parser";
import { type FunctionLike, isFunctionLike, unwrap, walk } from "./ast.js";
import type { SourceFile } from "./source-file.js";

/** A `workflow(name, fn)` call found in a file. */
export interface WorkflowSite {
  call: CallExpression;
  /** The name, when it is a string literal. */
  name: string | undefined;
  /** The workflow function, when it is written inline or names a function of the file. */
  fn: FunctionLike | undefined;
  /** The top-level binding that holds the definition (`export const fulfillOrder = workflow(...)`). */
  binding: string | undefined;
  /** The name it is exported under, if exported. */
  exportName: string | undefined;
}

/** Where an imported binding comes from. */
export interface ImportBinding {
  specifier: string;
  /** The exported name in that module ("default" for a default import). */
  imported: string;
}

/**
 * What the compiler needs to know about a file's top level: its functions (helpers
 * to inline), workflow definitions, imports, exports and string constants.
 */
export class ModuleIndex {
  readonly file: SourceFile;
  readonly functions = new Map<string, FunctionLike>();
  readonly workflows: WorkflowSite[] = [];
  /** Top-level binding -> workflow name, for `ctx.child(definition, ...)`. */
  readonly workflowNames = new Map<string, string>();
  readonly imports = new Map<string, ImportBinding>();
  /** The local names `workflow` of `@stepline/core` is called by here (`workflow` when not imported). */
  readonly workflowCallees: ReadonlySet<string>;
  /** Exported name -> local name. */
  readonly exports = new Map<string, string>();
  /** `const NAME = "literal"` at the top level. */
  readonly constants = new Map<string, string>();
  /** `const NAME = 10` at the top level: what a ctx.map `concurrency` may name. */
  readonly numbers = new Map<string, number>();
  /** `const NAME = <expression>` at the top level, for options built from constants (static-value.ts). */
  readonly constExpressions = new Map<string, Expression>();
  /** `export { x as y } from "./b.js"` and `export * as ns from "./c.js"`: exported name -> where it comes from. */
  readonly reExports = new Map<string, ImportBinding>();
  /** `export * from "./a.js"`: modules whose exports this one passes on, in source order. */
  readonly starExports: string[] = [];

  constructor(file: SourceFile) {
    this.file = file;
    const workflowCallees = new Set<string>();
    const bindingOf = new Map<Node, { binding: string; exported: boolean }>();
    for (const statement of file.program.body) this.#indexStatement(statement, workflowCallees, bindingOf);
    if (workflowCallees.size === 0) workflowCallees.add("workflow");
    this.workflowCallees = workflowCallees;
    walk(file.program, (node) => {
      if (node.type !== "CallExpression") return undefined;
      const callee = unwrap(node.callee);
      if (callee.type !== "Identifier" || !workflowCallees.has(callee.name)) return undefined;
      this.#addWorkflow(node, bindingOf.get(node));
      return undefined;
    });
  }

  #indexStatement(
    statement: Statement | Node,
    workflowCallees: Set<string>,
    bindingOf: Map<Node, { binding: string; exported: boolean }>,
    exported = false,
  ): void {
    switch (statement.type) {
      case "ImportDeclaration":
        for (const specifier of statement.specifiers) {
          const imported =
            specifier.type === "ImportSpecifier"
              ? specifier.imported.type === "Identifier"
                ? specifier.imported.name
                : String(specifier.imported.value)
              : specifier.type === "ImportDefaultSpecifier"
                ? "default"
                : "*";
          this.imports.set(specifier.local.name, { specifier: statement.source.value, imported });
          if (statement.source.value === "@stepline/core" && imported === "workflow") {
            workflowCallees.add(specifier.local.name);
          }
        }
        return;
      case "ExportNamedDeclaration":
        if (statement.declaration)
          this.#indexStatement(statement.declaration, workflowCallees, bindingOf, true);
        for (const specifier of statement.specifiers) {
          const local =
            specifier.local.type === "Identifier" ? specifier.local.name : String(specifier.local.value);
          const name =
            specifier.exported.type === "Identifier"
              ? specifier.exported.name
              : String(specifier.exported.value);
          if (statement.source)
            this.reExports.set(name, { specifier: statement.source.value, imported: local });
          else this.exports.set(name, local);
        }
        return;
      case "ExportAllDeclaration":
        if (statement.exported) {
          const name =
            statement.exported.type === "Identifier"
              ? statement.exported.name
              : String(statement.exported.value);
          this.reExports.set(name, { specifier: statement.source.value, imported: "*" });
        } else {
          this.starExports.push(statement.source.value);
        }
        return;
      case "ClassDeclaration":
        // `class Flows { static order = workflow("order", ...) }`: the definition is `Flows.order`.
        if (statement.id) {
          const owner = statement.id.name;
          if (exported) this.exports.set(owner, owner);
          for (const member of statement.body.body) {
            const isStatic = member.type === "PropertyDefinition" || member.type === "MethodDefinition";
            if (!isStatic || !member.static || !member.value) continue;
            const key = propertyName(member);
            if (!key) continue;
            const value = unwrap(member.value as Expression);
            // `static async ship(ctx, input) { ... }`: a helper, or the function of `workflow("ship", Flows.ship)`.
            if (isFunctionLike(value)) this.functions.set(`${owner}.${key}`, value);
            else if (value.type === "CallExpression")
              bindingOf.set(value, { binding: `${owner}.${key}`, exported });
          }
        }
        return;
      case "ExportDefaultDeclaration": {
        const declaration = statement.declaration;
        if (declaration.type === "Identifier") this.exports.set("default", declaration.name);
        else if (declaration.type === "CallExpression") {
          // `export default workflow("welcome", ...)`: `import welcome from "./welcome.js"` names it.
          bindingOf.set(declaration, { binding: "default", exported: true });
          this.exports.set("default", "default");
        } else if (declaration.type === "FunctionDeclaration" && declaration.id) {
          this.functions.set(declaration.id.name, declaration);
          this.exports.set("default", declaration.id.name);
        }
        return;
      }
      case "FunctionDeclaration":
        if (statement.id) {
          this.functions.set(statement.id.name, statement);
          if (exported) this.exports.set(statement.id.name, statement.id.name);
        }
        return;
      case "VariableDeclaration":
        for (const declarator of statement.declarations) {
          if (declarator.id.type !== "Identifier" || !declarator.init) continue;
          const name = declarator.id.name;
          if (exported) this.exports.set(name, name);
          const init = unwrap(declarator.init as Expression);
          if (statement.kind === "const") this.constExpressions.set(name, init);
          if (isFunctionLike(init)) this.functions.set(name, init);
          else if (init.type === "CallExpression") bindingOf.set(init, { binding: name, exported });
          else if (init.type === "ObjectExpression") this.#indexObject(name, init, bindingOf, exported);
          else if (init.type === "Literal" && typeof init.value === "string" && statement.kind === "const") {
            this.constants.set(name, init.value);
          } else if (
            init.type === "Literal" &&
            typeof init.value === "number" &&
            statement.kind === "const"
          ) {
            this.numbers.set(name, init.value);
          }
        }
        return;
      default:
        return;
    }
  }

  /**
   * `const flows = { order: workflow("order", ...), charge: async (ctx) => ... }`: the
   * definitions are `flows.order`, the helpers `flows.charge` (one level deep).
   */
  #indexObject(
    owner: string,
    object: Expression & { type: "ObjectExpression" },
    bindingOf: Map<Node, { binding: string; exported: boolean }>,
    exported: boolean,
  ): void {
    for (const property of object.properties) {
      if (property.type !== "Property") continue;
      const key = propertyName(property);
      if (!key) continue;
      const value = unwrap(property.value as Expression);
      if (value.type === "CallExpression") bindingOf.set(value, { binding: `${owner}.${key}`, exported });
      else if (isFunctionLike(value)) this.functions.set(`${owner}.${key}`, value);
    }
  }

  #addWorkflow(call: CallExpression, binding: { binding: string; exported: boolean } | undefined): void {
    const [nameArgument, fnArgument] = call.arguments;
    const nameNode = nameArgument && nameArgument.type !== "SpreadElement" ? unwrap(nameArgument) : undefined;
    const name =
      nameNode?.type === "Literal" && typeof nameNode.value === "string"
        ? nameNode.value
        : nameNode?.type === "Identifier"
          ? this.constants.get(nameNode.name)
          : undefined;
    let fn: FunctionLike | undefined;
    if (fnArgument && fnArgument.type !== "SpreadElement") {
      const fnNode = unwrap(fnArgument);
      if (isFunctionLike(fnNode)) fn = fnNode;
      else if (fnNode.type === "Identifier") fn = this.functions.get(fnNode.name);
      else if (fnNode.type === "MemberExpression" && !fnNode.computed) {
        // `workflow("ship", Flows.ship)`: a static method, or a member of an object literal.
        const object = unwrap(fnNode.object);
        if (object.type === "Identifier") fn = this.functions.get(`${object.name}.${fnNode.property.name}`);
      }
    }
    const site: WorkflowSite = {
      call,
      name,
      fn,
      binding: binding?.binding,
      exportName: binding?.exported ? binding.binding : undefined,
    };
    this.workflows.push(site);
    if (name !== undefined && binding) this.workflowNames.set(binding.binding, name);
  }
}

/** The name of a non-computed property or class member (`order` of `{ order: ... }`), if it has one. */
function propertyName(member: { key: Node; computed: boolean }): string | undefined {
  if (member.computed) return undefined;
  if (member.key.type === "Identifier") return member.key.name;
  if (member.key.type === "Literal" && typeof member.key.value === "string") return member.key.value;
  return undefined;
}
