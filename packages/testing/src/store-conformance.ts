import type { Store } from "@stepline/core";
import { describe, it } from "vitest";
import { attributesCases } from "./conformance/attributes-cases.js";
import { cancelCases } from "./conformance/cancel-cases.js";
import { cancellationCases } from "./conformance/cancellation-cases.js";
import { childPolicyCases } from "./conformance/child-policy-cases.js";
import type { ConformanceCase } from "./conformance/conformance-case.js";
import { countCases } from "./conformance/count-cases.js";
import { deleteCases } from "./conformance/delete-cases.js";
import { executionCases } from "./conformance/execution-cases.js";
import { identityCases } from "./conformance/identity-cases.js";
import { inboxCases } from "./conformance/inbox-cases.js";
import { journalCases } from "./conformance/journal-cases.js";
import { leaseCases } from "./conformance/lease-cases.js";
import { longDurationCases } from "./conformance/long-duration-cases.js";
import { queueCases } from "./conformance/queue-cases.js";
import { redriveCases } from "./conformance/redrive-cases.js";
import { resumeCases } from "./conformance/resume-cases.js";
import { retentionCases } from "./conformance/retention-cases.js";
import { runsCases } from "./conformance/runs-cases.js";
import { scheduleCases } from "./conformance/schedule-cases.js";
import { scheduleEngineCases } from "./conformance/schedule-engine-cases.js";
import { signalWithStartCases } from "./conformance/signal-with-start-cases.js";
import { terminateCases } from "./conformance/terminate-cases.js";
import { timeoutCases } from "./conformance/timeout-cases.js";
import { updateCases } from "./conformance/update-cases.js";
import { versionCases } from "./conformance/version-cases.js";
import { workerCases } from "./conformance/worker-cases.js";

/** A fresh, empty store for one case, and how to clean up after it. */
export interface StoreFixture {
  store: Store;
  /**
   * Frees everything the fixture made (connections, temp dirs, key prefixes). Called
   * once after every case, pass or fail; it must tolerate a store the case closed.
   */
  dispose(): Promise<void>;
}

const groups: ReadonlyArray<readonly [string, readonly ConformanceCase[]]> = [
  ["executions", executionCases],
  ["cancellation", cancelCases],
  ["cancellation with compensation", cancellationCases],
  ["resume", resumeCases],
  ["redrive", redriveCases],
  ["terminate", terminateCases],
  ["delete", deleteCases],
  ["count", countCases],
  ["search attributes", attributesCases],
  ["retention", retentionCases],
  ["runs (continue-as-new)", runsCases],
  ["journal", journalCases],
  ["leases and fencing", leaseCases],
  ["queue", queueCases],
  ["timers and claiming at scale", scheduleCases],
  ["inbox", inboxCases],
  ["signal-with-start", signalWithStartCases],
  ["long durations through an engine", longDurationCases],
  ["identifiers and bad records", identityCases],
  ["worker announcements", workerCases],
  ["child workflows and parentClosePolicy through an engine", childPolicyCases],
  ["execution timeouts", timeoutCases],
  ["schedules through engines", scheduleEngineCases],
  ["updates through engines", updateCases],
  ["workflow versions", versionCases],
];

function checkSkips(skip: Partial<Record<string, string>>): void {
  const known = new Set(groups.flatMap(([, cases]) => cases.map((c) => c.name)));
  for (const [name, reason] of Object.entries(skip)) {
    if (!known.has(name)) {
      throw new Error(
        `describeStoreConformance: options.skip names "${name}", which is not a case of the suite. ` +
          "Use the case's exact test title (without the store and group names).",
      );
    }
    if (!reason?.trim()) {
      throw new Error(`describeStoreConformance: the skip of "${name}" needs a reason.`);
    }
  }
}

/**
 * Registers the Store conformance suite with vitest: every contract of the `Store`
 * interface, each case on its own fresh store from `createFixture`, disposed after the
 * case whatever its outcome. Cases pass explicit times as `now` and never sleep.
 *
 * A store that cannot meet a case yet lists it in `options.skip` with the reason, which
 * appears in the skipped test's title; an unknown case name or an empty reason throws.
 *
 * @example
 * // packages/lmdb/src/lmdb-store.test.ts
 * import { describeStoreConformance } from "@stepline/testing";
 *
 * describeStoreConformance("lmdbStore", async () => {
 *   const dir = await mkdtemp(join(tmpdir(), "stepline-"));
 *   const store = lmdbStore(dir);
 *   return { store, dispose: async () => { await store.close(); await rm(dir, { recursive: true }); } };
 * });
 */
export function describeStoreConformance(
  name: string,
  createFixture: () => Promise<StoreFixture>,
  options: { skip?: Partial<Record<string, string>> } = {},
): void {
  const skip = options.skip ?? {};
  checkSkips(skip);
  describe(name, () => {
    for (const [group, cases] of groups) {
      describe(group, () => {
        for (const conformanceCase of cases) {
          const reason = skip[conformanceCase.name];
          if (reason !== undefined) {
            it.skip(`${conformanceCase.name} (skipped: ${reason})`);
            continue;
          }
          it(conformanceCase.name, async () => {
            const fixture = await createFixture();
            try {
              await conformanceCase.run(fixture.store);
            } finally {
              await fixture.dispose();
            }
          });
        }
      });
    }
  });
}
