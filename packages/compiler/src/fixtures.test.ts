import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { expectValidAsl } from "./__fixtures__/checked-compile.js";
import { compileFixture, example, fixtures, lifecycleFixtures } from "./__fixtures__/fixture-catalog.js";
import { toASL } from "./asl.js";
import { allStates } from "./ir.js";
import { toMermaid } from "./mermaid.js";

describe.each([...fixtures, ...lifecycleFixtures, example])("fixture $name", (fixture) => {
  const { machines, diagnostics } = compileFixture(fixture);

  it("compiles without diagnostics", () => {
    expect(diagnostics).toEqual([]);
    expect(machines.length).toBeGreaterThan(0);
    for (const machine of machines) {
      expect([...allStates(machine)].filter((state) => state.kind === "opaque")).toEqual([]);
    }
  });

  it("emits ASL that asl-validator accepts", () => {
    // compileFixture already checked this (checked-compile.ts); said here as the fixture's contract.
    for (const machine of machines) expectValidAsl(machine);
  });

  it("matches the expected IR, ASL and Mermaid", async () => {
    await expect(`${JSON.stringify(machines, null, 2)}\n`).toMatchFileSnapshot(
      join(fixture.dir, "expected.ir.json.snap"),
    );
    const asl = machines.map((machine) => toASL(machine));
    await expect(`${JSON.stringify(asl, null, 2)}\n`).toMatchFileSnapshot(
      join(fixture.dir, "expected.asl.json.snap"),
    );
    await expect(machines.map((machine) => toMermaid(machine)).join("\n")).toMatchFileSnapshot(
      join(fixture.dir, "expected.mmd"),
    );
  });
});
