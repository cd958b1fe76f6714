import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { LeaseLostError, type Store } from "@stepline/core";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { entryBytes, LEASE_MS, T0 } from "./fixtures/entry-bytes.js";
import { lmdbStore } from "./lmdb-store.js";

const packageDir = fileURLToPath(new URL("..", import.meta.url));

/** A TypeScript fixture in its own Node process, reading this package's sources. */
function spawnFixture(script: string, args: string[]) {
  const child = spawn(
    process.execPath,
    ["--conditions=@stepline/source", "--import", "tsx", join(packageDir, "src/fixtures", script), ...args],
    { cwd: packageDir, stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (chunk) => {
    stderr += chunk;
  });
  const exited = once(child, "exit").then(([code, signal]) => {
    if (code !== 0 && signal !== "SIGKILL") console.error(`${script} exited ${code ?? signal}:\n${stderr}`);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  return { child, exited, lines: createInterface({ input: child.stdout! }) };
}

let dir: string;
const children: ChildProcess[] = [];
const stores: Store[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "stepline-lmdb-process-"));
});

afterEach(async () => {
  for (const child of children.splice(0)) {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }
  for (const store of stores.splice(0)) await store.close();
  rmSync(dir, { recursive: true, force: true });
});

function openStore(): Store {
  const store = lmdbStore(dir);
  stores.push(store);
  return store;
}

describe("lmdbStore across processes", () => {
  it("SIGKILL during concurrent appends loses no reported append and leaves no gap", async () => {
    const executions = 4;
    const { child, exited, lines } = spawnFixture("append-until-killed.ts", [dir, String(executions)]);
    children.push(child);

    const reported = new Map<string, number>();
    let total = 0;
    for await (const line of lines) {
      const [id, seq] = line.split(" ");
      reported.set(id!, Number(seq));
      if (++total === 800) {
        child.kill("SIGKILL");
        break;
      }
    }
    expect(await exited).toEqual({ code: null, signal: "SIGKILL" });
    expect(reported.size).toBe(executions);

    const store = openStore();
    const claims = await store.queue.claim({
      owner: "parent",
      workflows: ["durable"],
      limit: 10,
      now: T0 + LEASE_MS,
      leaseMs: LEASE_MS,
    });
    expect(claims).toHaveLength(executions);
    for (const [id, lastReported] of reported) {
      const entries = await store.journal.read(id);
      // Every append the child saw resolve is there; later ones may be too (the child
      // ran ahead of this reader), but only whole, in order, without a gap.
      expect(entries.length).toBeGreaterThanOrEqual(lastReported + 1);
      for (const [seq, bytes] of entries.entries()) {
        expect(bytes, `${id} entry ${seq}`).toEqual(entryBytes(id, seq));
      }
      const record = await store.executions.get(id);
      expect(record).toMatchObject({ journalLength: entries.length, token: 2, leaseOwner: "parent" });

      // The new owner continues the journal; the killed child's lease is fenced off.
      const lease = claims.find((claim) => claim.lease.executionId === id)!.lease;
      const next = entryBytes(id, entries.length);
      await expect(
        store.journal.append({ ...lease, token: 1 }, { expectedSeq: entries.length, events: [next] }, T0),
      ).rejects.toSatisfy(LeaseLostError.is);
      await store.journal.append(lease, { expectedSeq: entries.length, events: [next] }, T0 + LEASE_MS);
      expect(await store.journal.read(id, entries.length)).toEqual([next]);
    }
  }, 60_000);

  it("three processes claiming from one store claim each execution exactly once", async () => {
    const ids = Array.from({ length: 300 }, (_, i) => `shared-${String(i).padStart(3, "0")}`);
    const store = openStore();
    await Promise.all(
      ids.map((id, i) =>
        store.executions.create({ id, workflow: "shared", createdAt: T0 + i, started: entryBytes(id, 0) }),
      ),
    );

    const owners = ["proc-a", "proc-b", "proc-c"];
    const workers = owners.map((owner) => ({ owner, ...spawnFixture("claim-and-finish.ts", [dir, owner]) }));
    children.push(...workers.map((worker) => worker.child));
    // All three start claiming at once, once all have opened the store.
    let ready = 0;
    let allReady: () => void;
    const everyoneReady = new Promise<void>((resolve) => {
      allReady = resolve;
    });
    const outputs = workers.map(async ({ owner, child, exited, lines }) => {
      const claimed: string[] = [];
      const lost: string[] = [];
      let done = false;
      for await (const line of lines) {
        const [word, id] = line.split(" ");
        if (word === "ready") {
          if (++ready === workers.length) allReady();
          await everyoneReady;
          child.stdin!.write("go\n");
        }
        if (word === "claimed") claimed.push(id!);
        else if (word === "lost") lost.push(id!);
        else if (word === "done") done = true;
      }
      return { owner, claimed, lost, done, code: (await exited).code };
    });
    const results = await Promise.all(outputs);

    for (const result of results) expect(result).toMatchObject({ done: true, code: 0, lost: [] });
    const claimedBy = new Map<string, string>();
    for (const { owner, claimed } of results) for (const id of claimed) claimedBy.set(id, owner);
    expect(results.reduce((sum, result) => sum + result.claimed.length, 0)).toBe(ids.length);
    expect([...claimedBy.keys()].sort()).toEqual(ids);

    for (const id of ids) {
      const owner = claimedBy.get(id)!;
      expect(await store.journal.read(id)).toEqual([entryBytes(id, 0), entryBytes(`${id}/${owner}`, 1)]);
      expect(await store.executions.get(id)).toMatchObject({
        status: "succeeded",
        token: 1,
        journalLength: 2,
        leaseOwner: null,
        dueAt: null,
      });
    }
    expect(await store.queue.nextDueAt(["shared"])).toBeNull();
    expect(await store.executions.list({ status: "succeeded", limit: 1000 })).toHaveLength(ids.length);
  }, 60_000);
});
