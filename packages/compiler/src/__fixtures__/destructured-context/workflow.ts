import { workflow } from "@stepline/core";
import { body, type FixtureInput, flag, type Vocabulary } from "../fixture-kit.js";

export const vocabulary: Vocabulary = { steps: ["reserve", "charge", "ship"], flags: ["express"] };

/** A destructured context: each destructured name is followed as the member it came from (issue 12). */
export const destructured = workflow("destructured", async ({ step, sleep }, input: FixtureInput) => {
  await step("reserve", body(input, "reserve"));
  if (flag(input, "express")) await sleep("cool-off", "1s");
  await step("charge", body(input, "charge"));
});

/** Renamed on the way out of the pattern. */
export const renamed = workflow("renamed", async ({ step: run }, input: FixtureInput) => {
  await run("reserve", body(input, "reserve"));
  try {
    await run("charge", body(input, "charge"));
  } finally {
    await run("ship", body(input, "ship"));
  }
});

/** The context under another name than ctx. */
export const otherName = workflow("otherName", async (c, input: FixtureInput) => {
  await c.step("reserve", body(input, "reserve"));
  await c.step("ship", body(input, "ship"));
});
