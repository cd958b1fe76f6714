import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type JournalEvent, workflow } from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { JournalReplayError, replayJournals } from "./replay-journals.js";
import { createTestEnvironment } from "./test-environment.js";

const greet = workflow("replay-greet", async (ctx, name: string) => {
  const text = await ctx.step("compose", () => `Hello, ${name}`);
  await ctx.sleep("pause", "1d");
  return text;
});
/** The same workflow after a change that running executions would trip on: a new first step. */
const greetChanged = workflow("replay-greet", async (ctx, name: string) => {
  await ctx.step("look-up", () => name);
  return ctx.step("compose", () => `Hello, ${name}`);
});
/** The same steps, another output: the journal's end no longer matches. */
const greetLouder = workflow("replay-greet", async (ctx, name: string) => {
  const text = await ctx.step("compose", () => `Hello, ${name}`);
  await ctx.sleep("pause", "1d");
  return text.toUpperCase();
});

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-replay-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function record(name: string): Promise<JournalEvent[]> {
  await using env = await createTestEnvironment({ workflows: [greet] });
  const run = await env.client.start(greet, name);
  await run.result();
  return run.history();
}

describe("replayJournals", () => {
  it("replays every .json journal of a folder: exports and bare arrays", async () => {
    const ada = await record("ada");
    writeFileSync(join(dir, "ada.json"), JSON.stringify(ada));
    const exported = {
      format: "stepline-journal",
      version: 2,
      execution: { id: "x" },
      events: await record("bo"),
      inbox: [],
    };
    writeFileSync(join(dir, "bo.json"), JSON.stringify(exported));
    writeFileSync(join(dir, "notes.txt"), "not a journal");
    const replayed = await replayJournals([greet], dir);
    expect(replayed).toEqual([
      { file: join(dir, "ada.json"), workflow: "replay-greet", events: ada.length, finished: true },
      { file: join(dir, "bo.json"), workflow: "replay-greet", events: ada.length, finished: true },
    ]);
  });

  it("names the file, the op, and what the journal and the code have there", async () => {
    writeFileSync(join(dir, "ada.json"), JSON.stringify(await record("ada")));
    const error = (await replayJournals([greetChanged], dir).catch((e: unknown) => e)) as JournalReplayError;
    expect(JournalReplayError.is(error)).toBe(true);
    expect(error.code).toBe("STEPLINE_JOURNAL_REPLAY");
    expect(error.failures).toEqual([
      {
        file: join(dir, "ada.json"),
        workflow: "replay-greet",
        kind: "non-determinism",
        op: 0,
        journal: 'step "compose"',
        code: 'step "look-up"',
        message: 'at op 0 the journal has step "compose", the code asked for step "look-up".',
      },
    ]);
    expect(error.message).toContain(
      `1 of 1 journal(s) do not replay against the code:\n  ${join(dir, "ada.json")}: at op 0`,
    );
  });

  it("reports a different end, an unknown workflow and an unreadable file, and still replays the rest", async () => {
    const journal = await record("ada");
    writeFileSync(join(dir, "a-louder.json"), JSON.stringify(journal));
    writeFileSync(join(dir, "b-other.json"), JSON.stringify([{ ...journal[0], workflow: "nobody" }]));
    writeFileSync(join(dir, "c-broken.json"), "{");
    const error = (await replayJournals([greetLouder], dir).catch((e: unknown) => e)) as JournalReplayError;
    expect(error.failures.map((f) => [f.kind, f.workflow])).toEqual([
      ["different-end", "replay-greet"],
      ["unknown-workflow", "nobody"],
      ["unreadable", undefined],
    ]);
    expect(error.failures[0]?.message).toBe(
      'the journal ends with {"type":"ExecutionSucceeded","output":"Hello, ada"}, the code ends with {"type":"succeeded","output":"HELLO, ADA"}.',
    );
    expect(error.failures[1]?.message).toBe(
      'the journal is of workflow "nobody", which is not among the workflows given (replay-greet).',
    );
  });
});
