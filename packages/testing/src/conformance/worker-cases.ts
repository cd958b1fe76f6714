import { expect } from "vitest";
import type { ConformanceCase } from "./conformance-case.js";
import { T0 } from "./store-setup.js";

/** `workers.announce` and `workers.lastSeen`. */
export const workerCases: readonly ConformanceCase[] = [
  {
    name: "workers.lastSeen gives the latest announcement of each workflow, and nothing for one never announced",
    async run(store) {
      expect(await store.workers.lastSeen(["orders"])).toEqual(new Map());
      await store.workers.announce("worker-1", ["orders", "refunds"], T0);
      await store.workers.announce("worker-2", ["orders"], T0 + 10);
      const seen = await store.workers.lastSeen(["orders", "refunds", "nopeWorkflow"]);
      expect(seen).toEqual(
        new Map([
          ["orders", { workerId: "worker-2", at: T0 + 10 }],
          ["refunds", { workerId: "worker-1", at: T0 }],
        ]),
      );
    },
  },
  {
    name: "workers.announce keeps the newest announcement when an older one arrives late",
    async run(store) {
      await store.workers.announce("worker-new", ["orders"], T0 + 100);
      await store.workers.announce("worker-old", ["orders"], T0);
      expect(await store.workers.lastSeen(["orders"])).toEqual(
        new Map([["orders", { workerId: "worker-new", at: T0 + 100 }]]),
      );
    },
  },
  {
    name: "workers.announce keeps names and worker ids with spaces, braces and non-ASCII text apart",
    async run(store) {
      const names = ["orders v2", "{orders}", "commandes-é", "orders"];
      await store.workers.announce("host a {pid 1}", names, T0 + 1);
      await store.workers.announce("w", [], T0 + 2);
      const seen = await store.workers.lastSeen(names);
      expect([...seen.keys()].sort()).toEqual([...names].sort());
      for (const name of names) expect(seen.get(name)).toEqual({ workerId: "host a {pid 1}", at: T0 + 1 });
    },
  },
];
