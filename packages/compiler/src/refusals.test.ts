import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { compileFixture, refusals } from "./__fixtures__/fixture-catalog.js";
import { type DiagnosticCode, formatDiagnostic } from "./diagnostics.js";
import { allStates } from "./ir.js";

/** Each refused program, and the diagnostic it must get (at least). */
const EXPECTED: Record<string, DiagnosticCode> = {
  callback: "operation-in-callback",
  "child-unknown": "child-not-resolved",
  "context-alias": "context-escapes",
  "dynamic-method": "dynamic-operation",
  "dynamic-name": "dynamic-operation-name",
  "labelled-break": "unsupported-statement",
  "not-awaited": "operation-not-awaited",
  "promise-array": "operation-not-awaited",
  recursion: "recursive-helper",
  "reserved-name": "invalid-operation-name",
  "step-body-operations": "operation-in-step-body",
  "then-callback": "operation-in-callback",
  "undo-order": "dynamic-operation",
  "unresolved-helper": "unresolved-helper",
  "workflow-name": "workflow-name-not-literal",
};

describe("programs the compiler refuses to guess about", () => {
  it("has at least ten, each with an expected diagnostic", () => {
    expect(refusals.length).toBeGreaterThanOrEqual(10);
    expect(refusals.map((fixture) => fixture.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe.each(refusals)("$name", (fixture) => {
    const { machines, diagnostics } = compileFixture(fixture);

    it(`reports ${EXPECTED[fixture.name]} with file:line:column`, async () => {
      const codes = diagnostics.map((diagnostic) => diagnostic.code);
      expect(codes).toContain(EXPECTED[fixture.name]);
      for (const diagnostic of diagnostics) {
        expect(diagnostic.file).toBe(fixture.fileName);
        expect(diagnostic.line).toBeGreaterThan(1);
        expect(diagnostic.severity).toBe("error");
      }
      const lines = diagnostics.map((diagnostic) => formatDiagnostic(diagnostic)).join("\n");
      await expect(`${lines}\n`).toMatchFileSnapshot(join(fixture.dir, "expected.diagnostics.txt"));
    });

    it("draws an explicit opaque state where it gave up, never a silent guess", () => {
      const opaque = machines.flatMap((machine) =>
        [...allStates(machine)].filter((s) => s.kind === "opaque"),
      );
      if (EXPECTED[fixture.name] === "workflow-name-not-literal") expect(machines).toEqual([]);
      else expect(opaque.length).toBeGreaterThan(0);
      for (const state of opaque) {
        expect(diagnostics.some((d) => d.line === state.loc.line && d.column === state.loc.column)).toBe(
          true,
        );
      }
    });
  });
});
