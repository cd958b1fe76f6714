import { DefinitionsOnlyError } from "./store-errors.js";

/**
 * The globalThis key a tool sets while it imports workflow modules only to read
 * their definitions (`stepline replay-check`, `stepline start --module`); its value
 * names the tool. While it is set, createEngine and Worker.start throw
 * DefinitionsOnlyError: a module that creates an engine at its top level would
 * otherwise run real steps on a real store. `Symbol.for`, so every copy of this
 * package sees the same key.
 *
 * @example
 * (globalThis as Record<symbol, unknown>)[LOADING_DEFINITIONS] = "stepline replay-check";
 * try { await import(file); } finally { delete (globalThis as Record<symbol, unknown>)[LOADING_DEFINITIONS]; }
 */
export const LOADING_DEFINITIONS: unique symbol = Symbol.for("stepline.loading-definitions") as never;

/** Throws DefinitionsOnlyError while {@link LOADING_DEFINITIONS} is set. */
export function assertNotLoadingDefinitions(what: string): void {
  const loader = (globalThis as Record<symbol, unknown>)[LOADING_DEFINITIONS];
  if (loader) throw new DefinitionsOnlyError(what, String(loader));
}
