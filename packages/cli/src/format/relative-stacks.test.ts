import { describe, expect, it } from "vitest";
import { relativeStacks } from "./relative-stacks.js";

describe("relativeStacks", () => {
  it("makes paths under the working directory relative in stacks at any depth, and nothing else", () => {
    const report = {
      events: [
        {
          type: "StepFailed",
          error: {
            message: "read /srv/app/data.json",
            stack:
              "Error: x\n    at f (/srv/app/src/a.ts:1:2)\n    at file:///srv/app/src/b.ts:3:4\n    at g (/srv/other/c.ts:5:6)",
            cause: { stack: "at h (/srv/app/src/d.ts:7:8)" },
          },
          result: { stack: 3, path: "/srv/app/keep.txt" },
        },
      ],
    };
    const shown = relativeStacks(report, "/srv/app");
    expect(shown.events[0]?.error.stack).toBe(
      "Error: x\n    at f (src/a.ts:1:2)\n    at src/b.ts:3:4\n    at g (/srv/other/c.ts:5:6)",
    );
    expect(shown.events[0]?.error.cause.stack).toBe("at h (src/d.ts:7:8)");
    expect(shown.events[0]?.error.message).toBe("read /srv/app/data.json");
    expect(shown.events[0]?.result).toEqual({ stack: 3, path: "/srv/app/keep.txt" });
    expect(report.events[0]?.error.stack).toContain("/srv/app/src/a.ts");
  });
});
