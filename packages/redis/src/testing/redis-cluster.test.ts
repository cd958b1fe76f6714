import { existsSync } from "node:fs";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { startRedisCluster } from "./redis-cluster.js";

const isRunning = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe("startRedisCluster", () => {
  it("starts three masters that share the slots, and stops exactly those processes, removing their directories", async () => {
    const cluster = await startRedisCluster();
    const clients = cluster.nodes.map((node) => new Redis(node.url));
    try {
      expect(cluster.nodes).toHaveLength(3);
      expect(new Set(cluster.nodes.map((node) => node.pid)).size).toBe(3);
      expect(cluster.startupNodes).toEqual(
        cluster.nodes.map((node) => ({ host: "127.0.0.1", port: node.port })),
      );
      for (const client of clients) {
        const info = String(await client.cluster("INFO"));
        expect(info).toContain("cluster_state:ok");
        expect(info).toContain("cluster_slots_assigned:16384");
        expect(info).toContain("cluster_known_nodes:3");
        expect(info).toContain("cluster_size:3"); // three masters serving slots
        expect(await client.config("GET", "cluster-config-file")).toEqual([
          "cluster-config-file",
          "nodes.conf",
        ]);
      }
    } finally {
      for (const client of clients) client.disconnect();
      await cluster.stop();
    }
    for (const node of cluster.nodes) {
      expect(isRunning(node.pid)).toBe(false);
      expect(existsSync(node.dir)).toBe(false);
    }
    await cluster.stop();
  });
});
