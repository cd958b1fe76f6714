import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { JournalEvent } from "@stepline/core";
import { replayJournal } from "@stepline/testing";
import { describe, expect, it } from "vitest";
import { fulfillOrder } from "./workflow.js";

const folder = join(dirname(fileURLToPath(import.meta.url)), "..", "journals");
const journals = readdirSync(folder).filter((file) => file.endsWith(".json"));

describe("checked-in journals replay against the current fulfillOrder", () => {
  it("has the recorded journals", () => {
    expect(journals.sort()).toEqual([
      "approved.json",
      "declined.json",
      "interrupted.json",
      "rejected.json",
      "shipped.json",
    ]);
  });

  for (const file of journals) {
    it(`${file}: no divergence, same outcome`, async () => {
      const journal = JSON.parse(readFileSync(join(folder, file), "utf8")) as JournalEvent[];
      const report = await replayJournal(fulfillOrder, journal);
      expect(report.blocked?.message).toBeUndefined();
      expect(report.sameOutcome).toBe(true);
    });
  }
});
