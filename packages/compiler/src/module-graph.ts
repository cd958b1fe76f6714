import type { Expression } from "oxc-parser";
import { unwrap } from "./ast.js";
import type { ModuleIndex } from "./module-index.js";

/** Reads the module an import specifier names, from the importing module (CompileSession.importedModule). */
export type ModuleLoader = (from: ModuleIndex, specifier: string) => ModuleIndex | undefined;

/** A top-level binding, in the module that declares it. */
export interface Declaration {
  module: ModuleIndex;
  /** The local name there; `Flows.order` / `flows.order` for a member of a class or object. */
  local: string;
}

// A chain of re-exports longer than this is a cycle (`export * from "./a.js"` both ways).
const MAX_HOPS = 32;

/**
 * Where the name a module exports is declared, following `export { x } from`,
 * `export * from`, and an exported import (`import { x } from "./a.js"; export { x }`).
 * Undefined when a module on the way cannot be read, or nothing exports the name.
 *
 * @example
 * // index.ts: export * from "./welcome.js"; welcome.ts: export const sendWelcome = workflow(...)
 * resolveExport(load, index, "sendWelcome"); // { module: <welcome.ts>, local: "sendWelcome" }
 */
export function resolveExport(
  load: ModuleLoader,
  module: ModuleIndex,
  name: string,
  hops = 0,
): Declaration | undefined {
  if (hops > MAX_HOPS) return undefined;
  const local = module.exports.get(name);
  if (local !== undefined) return resolveLocal(load, module, local, hops + 1);
  const reExport = module.reExports.get(name);
  if (reExport) {
    if (reExport.imported === "*") return undefined;
    const target = load(module, reExport.specifier);
    return target && resolveExport(load, target, reExport.imported, hops + 1);
  }
  // `export *` passes on every name but `default`.
  if (name === "default") return undefined;
  for (const specifier of module.starExports) {
    const target = load(module, specifier);
    const found = target && resolveExport(load, target, name, hops + 1);
    if (found) return found;
  }
  return undefined;
}

/** A local name of `module`: declared there, or imported (and then followed to its declaration). */
export function resolveLocal(
  load: ModuleLoader,
  module: ModuleIndex,
  local: string,
  hops = 0,
): Declaration | undefined {
  const imported = module.imports.get(local);
  if (!imported) return { module, local };
  if (imported.imported === "*") return undefined;
  const target = load(module, imported.specifier);
  return target && resolveExport(load, target, imported.imported, hops + 1);
}

/**
 * The declaration an identifier or a member read names: `sendWelcome`, `flows.order`,
 * `Flows.order`, or `ns.sendWelcome` of `import * as ns`, through imports and
 * re-exports. Undefined for anything else, or what cannot be followed.
 */
export function resolveReference(
  load: ModuleLoader,
  module: ModuleIndex,
  expression: Expression,
): Declaration | undefined {
  const node = unwrap(expression);
  if (node.type === "Identifier") return resolveLocal(load, module, node.name);
  if (node.type !== "MemberExpression" || node.computed) return undefined;
  const object = unwrap(node.object);
  if (object.type !== "Identifier") return undefined;
  const property = node.property.name;
  const imported = module.imports.get(object.name);
  if (imported?.imported === "*") {
    const target = load(module, imported.specifier);
    return target && resolveExport(load, target, property);
  }
  const owner = resolveLocal(load, module, object.name);
  return owner && { module: owner.module, local: `${owner.local}.${property}` };
}
