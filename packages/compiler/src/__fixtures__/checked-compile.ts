/**
 * The one way tests compile: every machine any test makes goes through asl-validator
 * (and so through ASL's reachability rule), whatever its diagnostics say, so no invalid
 * output can pass a test that only looked at something else (issue 12). Test support
 * only: not part of the package.
 */
import { createRequire } from "node:module";
import { expect } from "vitest";
import { toASL, updatesToASL } from "../asl.js";
import { type CompileOptions, type CompileResult, compile } from "../compile.js";
import type { WorkflowMachine } from "../ir.js";

const requireHere = createRequire(import.meta.url);
const validateAsl = requireHere("asl-validator") as (definition: unknown) => {
  isValid: boolean;
  errorsText(separator?: string): string;
};

// asl-validator builds a new Ajv, and so compiles its JSON schemas again, on every call
// (about 100 ms): one shared instance makes it cost well under a millisecond, so every
// test can afford to validate every machine. Its options are the same on every call.
const ajvModule = createRequire(requireHere.resolve("asl-validator"))("ajv") as {
  default: new (options: unknown) => unknown;
};
const Ajv = ajvModule.default;
let sharedAjv: object | undefined;
ajvModule.default = function SharedAjv(options: unknown) {
  if (sharedAjv) return configured;
  sharedAjv = new Ajv(options) as object;
  return sharedAjv;
} as unknown as typeof Ajv;
// Later calls get the instance with its formats and keywords already added: adding them again throws.
const configured = new Proxy(
  {},
  {
    get(_, key) {
      const target = sharedAjv as Record<string | symbol, unknown>;
      if (typeof key === "string" && key.startsWith("add")) return () => configured;
      const value = target[key];
      return typeof value === "function" ? value.bind(target) : value;
    },
  },
);

/** Fails the test unless asl-validator accepts the machine's ASL. */
export function expectValidAsl(machine: WorkflowMachine): void {
  expectValidAslDefinition(toASL(machine), `ASL of workflow "${machine.workflow}"`);
  for (const { update, definition } of updatesToASL(machine))
    expectValidAslDefinition(definition, `ASL of update handler "${update}" of "${machine.workflow}"`);
}

/** Fails the test unless asl-validator accepts an ASL definition (as `stepline diagram --format asl` prints it). */
export function expectValidAslDefinition(definition: unknown, label: string): void {
  const result = validateAsl(definition);
  expect(result.errorsText(), label).toBe("");
  expect(result.isValid).toBe(true);
}

/** {@link compile}, then {@link expectValidAsl} on every machine. */
export function compileChecked(sourceText: string, options: CompileOptions): CompileResult {
  const result = compile(sourceText, options);
  for (const machine of result.machines) expectValidAsl(machine);
  return result;
}
