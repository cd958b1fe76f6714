import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStoreConformance } from "@stepline/testing";
import { lmdbStore } from "./lmdb-store.js";

describeStoreConformance("lmdbStore", async () => {
  const dir = mkdtempSync(join(tmpdir(), "stepline-lmdb-"));
  const store = lmdbStore(dir);
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
