import { type StepInfo, workflow } from "@stepline/core";
import {
  attemptFails,
  bodyDelayMs,
  type ChaosInput,
  type ChaosOutput,
  STEPS,
  stepValue,
} from "./expectation.js";

/** What a step body reports when it starts and ends (the worker process writes it to its log). */
export interface BodyEvent {
  phase: "start" | "end";
  exec: string;
  op: number;
  step: string;
  attempt: number;
  token: number | null;
  ok?: boolean;
  result?: number;
}

let report: (event: BodyEvent) => void = () => {};

/** Where step bodies report; the worker process points it at its log, a replay check at a counter. */
export function onBody(sink: (event: BodyEvent) => void): void {
  report = sink;
}

/**
 * Two attempts: the designed transient failures hit attempt 1 only. Kills and lost leases
 * do not use up attempts (they count against maxInterruptions, set high enough for the
 * fault rate here), so an execution that ends failed is a violation of "results".
 */
const RETRY = { maxAttempts: 2, initialInterval: "10ms", maxInterval: "200ms", backoffRate: 2 } as const;
const MAX_INTERRUPTIONS = 20;

async function body(input: ChaosInput, index: number, previous: number, info: StepInfo): Promise<number> {
  const base = {
    exec: info.executionId,
    op: index,
    step: `s${index}`,
    attempt: info.attempt,
    token: info.token ?? null,
  };
  report({ phase: "start", ...base });
  await new Promise((resolve) => setTimeout(resolve, bodyDelayMs(input, index, info.attempt)));
  if (attemptFails(input, index, info.attempt)) {
    report({ phase: "end", ...base, ok: false });
    throw new Error(`transient failure of step ${index}, attempt ${info.attempt}`);
  }
  const result = stepValue(input, index, previous);
  report({ phase: "end", ...base, ok: true, result });
  return result;
}

/**
 * The chaos workload: ten steps in a row, each fed the previous step's result. Its
 * output is `expectedOutput(input)` when every step ran to a recorded result once, in
 * order, whatever the faults.
 */
export const chaosWorkflow = workflow(
  "chaos-ten-steps",
  async (ctx, input: ChaosInput): Promise<ChaosOutput> => {
    const values: number[] = [];
    let previous = 0;
    for (let index = 0; index < STEPS; index++) {
      const prior = previous;
      previous = await ctx.step(`s${index}`, (info) => body(input, index, prior, info), {
        retry: RETRY,
        maxInterruptions: MAX_INTERRUPTIONS,
      });
      values.push(previous);
    }
    return { n: input.n, values };
  },
);
