import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "./testing/run-cli.js";

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-cli-ids-"));
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("ids and names on the command line", () => {
  it("refuses a bad id, event name or workflow name with exit code 2 before opening the store", async () => {
    const store = join(dir, "store");
    const cases: [string[], string][] = [
      [
        ["cancel", "order\u0007"],
        'stepline cancel: ID: the execution id "order\\u{7}" contains the control character U+0007',
      ],
      [
        ["send-event", "order-1", "go\u2028"],
        'stepline send-event: NAME: the event name "go\\u{2028}" contains the line separator',
      ],
      [
        ["start", "greet", "--id", "a/b"],
        'stepline start: --id: the execution id "a/b" contains "/", which is reserved',
      ],
      [
        ["start", "greet\u001b[31m"],
        'stepline start: WORKFLOW: the workflow name "greet\\u{1B}[31m" contains the control character U+001B',
      ],
      [["inspect", "x".repeat(1025)], "is 1025 bytes of UTF-8, more than the 1024 allowed"],
    ];
    for (const [args, message] of cases) {
      const run = await runCli([...args, "--store", store]);
      expect(run.code, args.join(" ")).toBe(2);
      expect(run.stderr).toContain(message);
      expect(run.stderr.split("\n").filter(Boolean)).toHaveLength(1);
    }
    expect(readdirSync(dir)).toEqual([]);
  });
});
