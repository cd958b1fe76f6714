import { InvalidArgumentError } from "./errors.js";
import type { AcceptedVersions } from "./store.js";
import type { WorkflowDefinition } from "./workflow.js";

/** Most entries in `compatibleVersions`: a definition replays a handful of old versions, not thousands. */
export const MAX_COMPATIBLE_VERSIONS = 100;

/**
 * Checks `workflow(name, fn, { compatibleVersions })`: an array of positive integers
 * (at most {@link MAX_COMPATIBLE_VERSIONS}). Returns them sorted, without repeats and
 * without `version` itself (always accepted). Throws InvalidArgumentError otherwise.
 *
 * @example
 * checkCompatibleVersions([2, 1, 2], 3, 'workflow("order", fn, options)'); // [1, 2]
 */
export function checkCompatibleVersions(value: unknown, version: number, where: string): readonly number[] {
  if (value === undefined) return [];
  const option = `${where}: compatibleVersions`;
  if (!Array.isArray(value)) {
    throw new InvalidArgumentError(
      `${option} must be an array of positive integers (the older versions whose journals this code replays), ` +
        `got ${describe(value)}. Example: { version: 3, compatibleVersions: [1, 2] }.`,
    );
  }
  if (value.length > MAX_COMPATIBLE_VERSIONS) {
    throw new InvalidArgumentError(
      `${option} has ${value.length} entries; at most ${MAX_COMPATIBLE_VERSIONS} are allowed. ` +
        "List only the versions whose executions are still running.",
    );
  }
  value.forEach((entry, i) => {
    if (typeof entry !== "number" || !Number.isSafeInteger(entry) || entry < 1) {
      throw new InvalidArgumentError(
        `${option}[${i}] must be a positive integer (a workflow version), got ${describe(entry)}.`,
      );
    }
  });
  return [...new Set(value as number[])].filter((v) => v !== version).sort((a, b) => a - b);
}

/**
 * The versions a worker announces and claims for each of its definitions: the
 * definition's own `version` first, then its `compatibleVersions`
 * (`ClaimRequest.versions`, docs/versioning.md "Rolling deploys with `version`").
 *
 * @example
 * acceptedVersionsOf([workflow("order", fn, { version: 3, compatibleVersions: [2] })]); // { order: [3, 2] }
 */
export function acceptedVersionsOf(
  definitions: Iterable<Pick<WorkflowDefinition<never, unknown>, "name" | "version" | "compatibleVersions">>,
): AcceptedVersions {
  const versions: Record<string, readonly number[]> = {};
  for (const definition of definitions) {
    const version = definition.version ?? 1;
    versions[definition.name] = [
      version,
      ...(definition.compatibleVersions ?? []).filter((v) => v !== version),
    ];
  }
  return versions;
}

function describe(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return "an array";
  return value === null ? "null" : typeof value === "object" ? "an object" : String(value);
}
