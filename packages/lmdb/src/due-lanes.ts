/**
 * The due index is split by workflow version into lanes, so that a worker that runs
 * some versions of a workflow reads only their entries (`ClaimRequest.versions`,
 * docs/versioning.md). A lane is the first element of a due key:
 *
 * - version 1: the workflow name itself, as every due key was written before
 *   versions: a store written then needs no migration (its executions read as v1);
 * - version N > 1: `<workflow>\u0000<N>`. Workflow names cannot hold U+0000
 *   (identifiers.ts refuses control characters), so no lane of one workflow spells
 *   another workflow's name.
 *
 * @example
 * dueLane("order", 1); // "order"
 * dueLane("order", 3); // "order\u00003"
 */
export function dueLane(workflow: string, version: number | undefined): string {
  return version === undefined || version === 1 ? workflow : `${workflow}\u0000${version}`;
}

/** The workflow of a lane. */
export function laneWorkflow(lane: string): string {
  const end = lane.indexOf("\u0000");
  return end === -1 ? lane : lane.slice(0, end);
}

/** Key in the `meta` database of the versions above 1 a workflow has had, "2,3" (see {@link laneVersions}). */
export function versionsMetaKey(workflow: string): string {
  return `versions:${workflow}`;
}

/** The versions listed in a `versions:<workflow>` meta value (1 always comes first). */
export function laneVersions(meta: string | undefined): number[] {
  const above = meta === undefined || meta === "" ? [] : meta.split(",").map(Number);
  return [1, ...above];
}
