import { memoryStore } from "@stepline/core";
import { describe, expect, it } from "vitest";
import { describeStoreConformance } from "./store-conformance.js";

const fixture = async () => ({ store: memoryStore(), dispose: async () => {} });

describe("describeStoreConformance options.skip", () => {
  it("rejects a skip that names no case, so a typo cannot silently run the case", () => {
    expect(() =>
      describeStoreConformance("typo", fixture, { skip: { "journal.apend works": "not yet" } }),
    ).toThrow(/options\.skip names "journal\.apend works", which is not a case of the suite/);
  });

  it("rejects a skip without a reason", () => {
    expect(() =>
      describeStoreConformance("no reason", fixture, { skip: { "close() resolves": "  " } }),
    ).toThrow(/the skip of "close\(\) resolves" needs a reason/);
  });
});
