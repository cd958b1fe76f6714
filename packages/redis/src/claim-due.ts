import type { Claim, ClaimRequest } from "@stepline/core";
import { type DueIndex, laneOf as laneOfRecord, type Pick, sameLane } from "./due-index.js";
import type { ClaimReply } from "./record-codec.js";

/** What claiming needs from the store. */
export interface ClaimDeps {
  readonly index: DueIndex;
  /** Runs claim-execution.lua for one picked id (phase 2). */
  readonly claimOne: (pick: Pick, owner: string, now: number, leaseUntil: number) => Promise<ClaimReply>;
}

/** Rounds of pick-and-claim per call: stale picks are re-synced and replaced by others. */
const MAX_ROUNDS = 3;

/**
 * `queue.claim` in two phases, because the index and the records live in different
 * slots. Phase 1 picks ids from the index of each workflow and accepted version, oldest first, and pushes their
 * entries to the lease expiry so that concurrent claimers take others. Phase 2 claims
 * each on its own slot if its record (the source of truth) is really due. A pick whose
 * record is not due is re-synced from the record; picks beyond `limit` (several
 * workflows) are put back; then another round looks for more.
 */
export async function claimDue(request: ClaimRequest, deps: ClaimDeps): Promise<Claim[]> {
  const { owner, now, limit } = request;
  const { index } = deps;
  const names = [...new Set(request.workflows)];
  if (limit <= 0 || names.length === 0) return [];
  const { versions } = request;
  // Only the lanes of the versions asked for: a worker of version 1 never reads the
  // entries of version 2 (docs/versioning.md, "Rolling deploys with `version`").
  const lanes = (
    await Promise.all(
      names.map((w) => index.lanes(w, versions && Object.hasOwn(versions, w) ? versions[w] : undefined)),
    )
  ).flat();
  const leaseUntil = now + request.leaseMs;
  const claimed: { claim: Claim; score: number }[] = [];
  for (let round = 0; round < MAX_ROUNDS && claimed.length < limit; round++) {
    const want = limit - claimed.length;
    const picked = (
      await Promise.all(lanes.map((lane) => index.pick(lane, now, want, leaseUntil, request.onSkipped)))
    )
      .flat()
      .sort((a, b) => a.score - b.score);
    const chosen = picked.slice(0, want);
    // Moving an entry earlier is always safe: back to where it was.
    const putBack = picked.slice(want).map((p) => index.sync(p.ref.lane, p.id, p.score, undefined, now));
    const outcomes = await Promise.all(
      chosen.map(async (pick) => {
        const reply = await deps.claimOne(pick, owner, now, leaseUntil);
        const record = reply.record;
        if (reply.code === "claimed" && record) {
          const lease = { executionId: record.id, token: record.token, owner };
          const prefetched = { journal: reply.journal, inbox: reply.inbox };
          const [recovered, dueAt] = reply.detail.split(":");
          const claim = { record, lease, recovered: recovered === "1", prefetched, dueAt: Number(dueAt) };
          return { claim, score: pick.score };
        }
        const dueHere = record && sameLane(laneOfRecord(record), pick.ref.lane) ? record.dueAt : null;
        await index.sync(pick.ref.lane, pick.id, dueHere, pick.ref, now);
        return undefined;
      }),
    );
    await Promise.all(putBack);
    const won = outcomes.filter((outcome) => outcome !== undefined);
    claimed.push(...won);
    if (chosen.length === 0 || won.length === chosen.length) break;
  }
  return claimed.sort((a, b) => a.score - b.score).map((entry) => entry.claim);
}
