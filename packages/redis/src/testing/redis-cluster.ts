import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { freeLoopbackPort, type RedisServer, startRedisServer } from "./redis-server.js";

/** A Redis Cluster of masters this test process started, each a redis-server on loopback. */
export interface RedisCluster {
  /** The nodes, each a master serving about a third of the 16384 slots. */
  readonly nodes: readonly RedisServer[];
  /** `[{ host: "127.0.0.1", port }]` for each node: what `new Cluster(...)` takes. */
  readonly startupNodes: readonly { host: string; port: number }[];
  /** Stops every node by PID and removes their directories. Harmless twice. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

/**
 * Starts a real Redis Cluster of three masters (no replicas) for a test file: three
 * redis-servers with `--cluster-enabled yes` (each with `nodes.conf` in its own
 * temporary directory) on free loopback ports, joined by
 * `redis-cli --cluster create ... --cluster-replicas 0`, and returned once `CLUSTER
 * INFO` says `cluster_state:ok` on every node. Keys of different hash tags then live
 * on different processes, as in production, so a command or script whose keys span
 * slots fails with CROSSSLOT, and a client that sends a key to the wrong node gets
 * MOVED.
 *
 * Each node's cluster bus gets a free port of its own (`--cluster-port`, Redis 7):
 * the default, port + 10000, is past 65535 for high ephemeral ports.
 *
 * @example
 * const cluster = await startRedisCluster();
 * const client = new Cluster([...cluster.startupNodes]);
 * // ...
 * await client.quit();
 * await cluster.stop();
 */
export async function startRedisCluster(options: { nodes?: number } = {}): Promise<RedisCluster> {
  const count = options.nodes ?? 3;
  const nodes: RedisServer[] = [];
  const stop = () => Promise.all(nodes.map((node) => node.stop())).then(() => {});
  try {
    // Settled, not Promise.all: a node that starts after another failed must be stopped too.
    const started = await Promise.allSettled(Array.from({ length: count }, () => startClusterNode()));
    for (const node of started) if (node.status === "fulfilled") nodes.push(node.value);
    const failed = started.find((node) => node.status === "rejected");
    if (failed) throw failed.reason;
    await createCluster(nodes.map((node) => node.port));
    await Promise.all(nodes.map((node) => waitForClusterOk(node.port, 15_000)));
  } catch (error) {
    await stop();
    throw error;
  }
  let stopping: Promise<void> | undefined;
  return {
    nodes,
    startupNodes: nodes.map((node) => ({ host: "127.0.0.1", port: node.port })),
    stop: () => {
      stopping ??= stop();
      return stopping;
    },
  };
}

/** One redis-server in cluster mode, not yet part of a cluster. */
async function startClusterNode(): Promise<RedisServer> {
  let lastError: unknown;
  // The bus port, like the client port, can be taken between our look and the bind.
  for (let attempt = 0; attempt < 3; attempt++) {
    const busPort = await freeLoopbackPort();
    try {
      return await startRedisServer({
        args: [
          ...["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"],
          ...["--cluster-port", String(busPort), "--cluster-announce-ip", "127.0.0.1"],
        ],
      });
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

/** Assigns the slots evenly over the nodes and joins them (`redis-cli --cluster create`). */
async function createCluster(ports: readonly number[]): Promise<void> {
  const args = [
    "--cluster",
    "create",
    ...ports.map((port) => `127.0.0.1:${port}`),
    ...["--cluster-replicas", "0", "--cluster-yes"],
  ];
  try {
    await run("redis-cli", args, { timeout: 30_000 });
  } catch (error) {
    const { code, stdout, stderr } = error as { code?: string; stdout?: string; stderr?: string };
    if (code === "ENOENT") {
      throw new Error(
        "redis-cli is not installed: apt-get install redis-tools (it creates the test cluster)",
      );
    }
    throw new Error(`redis-cli ${args.join(" ")} failed: ${`${stdout ?? ""}${stderr ?? ""}`.trim()}`);
  }
}

async function waitForClusterOk(port: number, timeoutMs: number): Promise<void> {
  const client = new Redis({ host: "127.0.0.1", port, maxRetriesPerRequest: 1 });
  try {
    const deadline = Date.now() + timeoutMs;
    let info = "";
    for (;;) {
      info = String(await client.cluster("INFO"));
      if (info.includes("cluster_state:ok")) return;
      if (Date.now() > deadline) {
        throw new Error(`the cluster node on port ${port} did not reach cluster_state:ok:\n${info}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } finally {
    client.disconnect();
  }
}
