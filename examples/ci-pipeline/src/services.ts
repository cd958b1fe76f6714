/**
 * Stand-ins for the services a CI/CD pipeline calls: a build farm, a test runner, a
 * deployer and a chat channel. Each call takes a little while, like the real thing.
 * Tests and the demo flip the knobs in `failures` to make a call fail, and read `calls`
 * to see which service calls really ran (and how often).
 */
export interface Build {
  repo: string;
  commit: string;
  artifact: string;
}

export interface Deployment {
  environment: "staging" | "production";
  artifact: string;
  release: string;
}

/** Knobs a test can flip. A shard listed in `testShards` fails every attempt. */
export const failures = {
  /** Build fails this many times before it succeeds (a flaky build farm). */
  flakyBuilds: 0,
  testShards: new Set<number>(),
  smokeTest: false,
  deployProduction: false,
};

/** Every service call that ran, in order (`deploy production`, `slack ...`). */
export const calls: string[] = [];

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function call<T>(what: string, ms: number, run: () => T): Promise<T> {
  calls.push(what);
  await delay(ms);
  return run();
}

export const buildFarm = {
  build: (repo: string, commit: string): Promise<Build> =>
    call("build", 40, () => {
      if (failures.flakyBuilds > 0) {
        failures.flakyBuilds -= 1;
        throw new Error("build agent lost");
      }
      return { repo, commit, artifact: `${repo}:${commit.slice(0, 7)}` };
    }),
};

export const testRunner = {
  runShard: (build: Build, shard: number, of: number) =>
    call(`test shard ${shard} of ${build.artifact}`, 30 + shard * 10, () => {
      if (failures.testShards.has(shard)) {
        throw new Error(`shard ${shard}/${of}: 1 test failed (checkout.spec.ts)`);
      }
      return { shard, passed: 40 + shard, failed: 0 };
    }),
};

export const deployer = {
  deploy: (environment: Deployment["environment"], build: Build): Promise<Deployment> =>
    call(`deploy ${environment}`, 40, () => {
      if (environment === "production" && failures.deployProduction) {
        throw new Error("production rollout stalled: 3 of 12 hosts unhealthy");
      }
      return { environment, artifact: build.artifact, release: `${environment}-${build.commit.slice(0, 7)}` };
    }),
  smokeTest: (deployment: Deployment) =>
    call(`smoke test ${deployment.environment}`, 30, () => {
      if (failures.smokeTest) throw new Error("GET /health returned 503");
      return { checks: 12 };
    }),
  rollback: (environment: Deployment["environment"], build: Build) =>
    call(`rollback ${environment}`, 30, () => ({ environment, removed: build.artifact })),
};

/** The team's chat channel (a Slack stand-in). */
export const slack = {
  post: (channel: string, text: string) => call(`slack ${channel}: ${text}`, 10, () => ({ ok: true })),
};
