import { CancelledError, type Duration, TimeoutError, workflow } from "@stepline/core";
import { buildFarm, deployer, slack, testRunner } from "./services.js";

export interface PipelineInput {
  repo: string;
  commit: string;
  /** How many test shards run side by side (default 3). */
  shards?: number;
  /** How long a release manager has to approve the deploy (default "1d"). */
  approvalTimeout?: Duration;
  /** Where the pipeline reports (default "#deploys"). */
  channel?: string;
}

/** The payload of the "approval" event a release manager sends. */
export interface Approval {
  approved: boolean;
  by: string;
}

export type PipelineResult =
  | { status: "deployed"; release: string; approvedBy: string }
  | { status: "not-approved"; reason: "rejected" | "timed-out"; by?: string };

/**
 * Build a commit, test it on parallel shards, wait for a release manager's approval,
 * then deploy to staging, smoke-test it and deploy to production. A failed smoke test or
 * production deploy rolls back what was deployed, newest first. An approval that is
 * refused or does not come in time ends the pipeline without deploying (it returns
 * "not-approved": nothing went wrong with the commit). Every way out, cancellation
 * included, posts one message to the team's channel.
 */
export const ciPipeline = workflow(
  "ciPipeline",
  async (ctx, input: PipelineInput): Promise<PipelineResult> => {
    const channel = input.channel ?? "#deploys";
    const commit = `${input.repo}@${input.commit.slice(0, 7)}`;
    let outcome = "failed";
    try {
      const build = await ctx.step("build", () => buildFarm.build(input.repo, input.commit), {
        timeout: "30m",
        retry: { maxAttempts: 3, initialInterval: "1s" },
      });

      const shards = Array.from({ length: input.shards ?? 3 }, (_, i) => i + 1);
      await ctx.map(
        "tests",
        shards,
        (ctx, shard) =>
          ctx.step(`test-shard-${shard}`, () => testRunner.runShard(build, shard, shards.length), {
            timeout: "15m",
            retry: { maxAttempts: 2, initialInterval: "1s" },
          }),
        { concurrency: 2 },
      );

      let approval: Approval;
      try {
        approval = await ctx.waitForEvent<Approval>("approval", { timeout: input.approvalTimeout ?? "1d" });
      } catch (error) {
        if (TimeoutError.is(error)) {
          outcome = "not deployed: nobody approved it in time";
          return { status: "not-approved", reason: "timed-out" };
        }
        throw error;
      }
      if (!approval.approved) {
        outcome = `not deployed: ${approval.by} rejected it`;
        return { status: "not-approved", reason: "rejected", by: approval.by };
      }

      const saga = ctx.compensations();
      try {
        const staging = await ctx.step("deploy-staging", () => deployer.deploy("staging", build), {
          timeout: "10m",
        });
        saga.add("rollback-staging", () => deployer.rollback("staging", build), {
          retry: { maxAttempts: 5 },
        });
        await ctx.step("smoke-test", () => deployer.smokeTest(staging), {
          retry: { maxAttempts: 2, initialInterval: "1s" },
        });
        // Registered before the deploy: a rollout that fails halfway leaves some hosts on the new build.
        saga.add("rollback-production", () => deployer.rollback("production", build), {
          retry: { maxAttempts: 5 },
        });
        const production = await ctx.step("deploy-production", () => deployer.deploy("production", build), {
          timeout: "20m",
          retry: { maxAttempts: 1 },
        });
        outcome = `deployed ${production.release} (approved by ${approval.by})`;
        return { status: "deployed", release: production.release, approvedBy: approval.by };
      } catch (error) {
        await saga.run(); // rollback-production (if registered), then rollback-staging
        throw error;
      }
    } catch (error) {
      outcome = CancelledError.is(error)
        ? `cancelled: ${error.reason ?? "no reason given"}`
        : `failed: ${(error as Error).message}`;
      throw error;
    } finally {
      await ctx.step("notify", () => slack.post(channel, `${commit} ${outcome}`));
    }
  },
);
