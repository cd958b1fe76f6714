import { describeStoreConformance } from "@stepline/testing";
import { Cluster, Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeySpace } from "./keys.js";
import { redisStore } from "./redis-store.js";
import { deleteKeys } from "./testing/delete-keys.js";
import { type RedisCluster, startRedisCluster } from "./testing/redis-cluster.js";

// The whole conformance suite through ioredis Cluster on a real three-master Redis
// Cluster. An execution's keys and its workflow's queue keys have different hash tags,
// so they usually live on different nodes: every case crosses nodes, and a script
// whose keys span slots would fail with CROSSSLOT (a failing case shows it).
// Resharding (MOVED/ASK during a claim) and failover are not covered (ARCHITECTURE.md,
// "What is not tested yet").
let cluster: RedisCluster;
/** One plain connection per node, for cleanup and for looking at where keys are. */
let nodes: Redis[];
let fixtures = 0;

beforeAll(async () => {
  cluster = await startRedisCluster();
  nodes = cluster.nodes.map((node) => new Redis(node.url));
});

afterAll(async () => {
  await Promise.all((nodes ?? []).map((node) => node.quit()));
  await cluster?.stop();
});

const started = new TextEncoder().encode("ExecutionStarted");

function clusterStore(prefix: string, log: (line: string) => void = () => {}) {
  const client = new Cluster([...cluster.startupNodes], { enableAutoPipelining: true });
  const store = redisStore(client, { prefix, log });
  return {
    store,
    dispose: async () => {
      await store.close();
      await client.quit();
      await Promise.all(nodes.map((node) => deleteKeys(node, new KeySpace(prefix))));
    },
  };
}

describe("redisStore on a 3-node Redis Cluster", () => {
  it("spreads executions and queues over all three nodes, an execution's keys on one", async () => {
    const prefix = `spread${++fixtures}`;
    const { store, dispose } = clusterStore(prefix);
    try {
      const ids = Array.from({ length: 30 }, (_, i) => `e${i}`);
      await Promise.all(
        ids.map((id, i) =>
          store.executions.create({ id, workflow: `wf${i % 6}`, createdAt: 1_000 + i, started }),
        ),
      );
      const claims = await store.queue.claim({
        owner: "w",
        workflows: ["wf0", "wf1", "wf2", "wf3", "wf4", "wf5"],
        limit: 30,
        now: 2_000,
        leaseMs: 30_000,
      });
      expect(claims.map((claim) => claim.record.id).sort()).toEqual([...ids].sort());

      // SCAN on a node lists the keys it holds (asking a node for another's key is a MOVED).
      const keys = new KeySpace(prefix);
      const nodeOf = new Map<string, number>();
      for (const [i, node] of nodes.entries()) {
        for (const pattern of keys.patterns()) {
          for await (const found of node.scanStream({ match: pattern, count: 500 })) {
            for (const key of found as string[]) {
              expect(nodeOf.has(key)).toBe(false);
              nodeOf.set(key, i);
            }
          }
        }
      }
      const holder = (key: string) => nodeOf.get(key);
      const recordNodes = ids.map((id) => holder(keys.execution(id).record));
      expect(recordNodes.every((node) => node !== undefined)).toBe(true);
      expect(ids.map((id) => holder(keys.execution(id).journal))).toEqual(recordNodes);
      expect(new Set(recordNodes).size).toBe(3);
      const queueNodes = ["wf0", "wf1", "wf2", "wf3", "wf4", "wf5"].map((w) => holder(keys.queue(w).due));
      expect(queueNodes.every((node) => node !== undefined)).toBe(true);
      // Records and their queues on different processes: the due index protocol crosses nodes.
      expect(ids.some((_, i) => recordNodes[i] !== queueNodes[i % 6])).toBe(true);
    } finally {
      await dispose();
    }
  });

  it("checks the settings of every master, one warning line per problem", async () => {
    const lines: string[] = [];
    const { store, dispose } = clusterStore(`checks${++fixtures}`, (line) => lines.push(line));
    try {
      await store.ready;
      expect(lines).toHaveLength(1);
      const [line] = lines as [string];
      expect(line).toContain("runs without persistence (appendonly no, no save rules)");
      for (const node of cluster.nodes) expect(line).toContain(`127.0.0.1:${node.port}`);
    } finally {
      await dispose();
    }
  });
});

describeStoreConformance("redisStore on a 3-node Redis Cluster", async () =>
  // A prefix per case: cases share the cluster, never a key.
  clusterStore(`c${++fixtures}`),
);
