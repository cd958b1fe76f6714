import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { hostile } from "./testing/hostile-values.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

describe("a worker whose steps and workflows throw hostile values", () => {
  it("stays up, fails each such execution with a recorded error, and runs an unrelated one to success", async () => {
    const child = spawn(
      process.execPath,
      ["--conditions=@stepline/source", "--import", "tsx", "src/testing/hostile-step-worker.ts"],
      { cwd: packageDir, stdio: ["ignore", "pipe", "pipe"] },
    );
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
    });
    child.stderr.on("data", (chunk) => {
      stderr += chunk;
    });
    const [code] = await once(child, "exit");
    expect(stderr).not.toMatch(/Unhandled|RangeError|Maximum call stack/);
    expect(code).toBe(0);
    const lines = stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("done");
    const results = lines.slice(0, -1).map((line) => JSON.parse(line));
    const count = Object.keys(hostile).length;
    expect(results).toHaveLength(2 * count + 1);
    // A step's throw fails the step for good (maxAttempts 1), and with it the execution.
    expect(
      results
        .filter((r) => r.id.startsWith("step-"))
        .every((r) => r.status === "failed" && r.name === "StepFailedError"),
    ).toBe(true);
    expect(results.filter((r) => r.id.startsWith("workflow-")).every((r) => r.status === "failed")).toBe(
      true,
    );
    expect(results.at(-1)).toEqual({ id: "unrelated", status: "succeeded", name: null, output: 41 });
  }, 120_000);
});
