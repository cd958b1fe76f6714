/**
 * A copy of `value` in which every error stack (a string under a `stack` key, at any
 * depth) names files under `cwd` relative to it: the inspector shows
 * `src/workflow.ts:20:13`, not the absolute path of the machine that ran the step.
 * Nothing else is changed: payloads are shown as they were journaled.
 *
 * @example
 * relativeStacks({ error: { stack: "at f (/srv/app/src/a.ts:1:2)" } }, "/srv/app");
 * // { error: { stack: "at f (src/a.ts:1:2)" } }
 */
export function relativeStacks<T>(value: T, cwd: string): T {
  const prefixes = [`file://${cwd}/`, `${cwd}/`];
  const walk = (node: unknown, key: string | undefined): unknown => {
    if (typeof node === "string") {
      return key === "stack" ? prefixes.reduce((text, prefix) => text.replaceAll(prefix, ""), node) : node;
    }
    if (Array.isArray(node)) return node.map((item) => walk(item, undefined));
    if (node !== null && typeof node === "object" && Object.getPrototypeOf(node) === Object.prototype) {
      return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, walk(v, k)]));
    }
    return node;
  };
  return walk(value, undefined) as T;
}
