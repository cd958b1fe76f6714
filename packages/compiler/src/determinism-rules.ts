import type { Expression, Node } from "oxc-parser";
import { unwrap } from "./ast.js";
import type { ModuleIndex } from "./module-index.js";

/** The codes of the determinism lint, one per kind of replay hazard. */
export type DeterminismCode =
  | "clock-in-workflow"
  | "random-in-workflow"
  | "timer-in-workflow"
  | "io-in-workflow"
  | "env-in-workflow";

/** What a forbidden construct is, in words, and its fix. */
export interface Hazard {
  code: DeterminismCode;
  /** The construct as the message names it: `Date.now()`, `setTimeout(...)`, `readFile (from "node:fs")`. */
  construct: string;
  /** What it does, as a verb phrase: "reads the clock". */
  does: string;
  /** Why a replay breaks, and what to write instead. */
  why: string;
}

const CLOCK = {
  code: "clock-in-workflow",
  does: "reads the clock",
  why: "a replay reads another time and may take another branch. Use ctx.now() (the time of the latest journaled event), or read the clock inside ctx.step.",
} as const;
const RANDOM_NUMBER = {
  code: "random-in-workflow",
  does: "draws a random value",
  why: "a replay draws another and may take another branch. Use ctx.random() (seeded when the execution starts), or draw it inside ctx.step.",
} as const;
const RANDOM_ID = {
  code: "random-in-workflow",
  does: "draws a random id",
  why: "a replay draws another, and an id sent out (an idempotency key) is new after a crash. Use ctx.ulid() (a ULID from ctx.now() and ctx.random()), or draw it inside ctx.step.",
} as const;
const RANDOM_BYTES = {
  code: "random-in-workflow",
  does: "draws random bytes",
  why: "a replay draws others. Use ctx.random() or ctx.ulid(), or draw the bytes inside ctx.step.",
} as const;
const TIMER = {
  code: "timer-in-workflow",
  does: "starts a timer",
  why: 'it is not journaled, so a restart forgets it and a replay waits again. Use await ctx.sleep("name", duration), a durable timer.',
} as const;
const IO = {
  code: "io-in-workflow",
  does: "does I/O",
  why: 'a replay does it again and may get another answer. Put it in ctx.step("name", () => ...), whose result is journaled.',
} as const;
const ENV = {
  code: "env-in-workflow",
  does: "reads the environment",
  why: "a worker with other settings replays with other values. Read config from the workflow input, or inside ctx.step.",
} as const;

type Kind = Omit<Hazard, "construct">;

/** Calls by their canonical callee path. `Date()` without `new` returns the time as a string. */
const CALLS = new Map<string, Kind>([
  ["Date.now", CLOCK],
  ["Date", CLOCK],
  ["performance.now", CLOCK],
  ["Math.random", RANDOM_NUMBER],
  ["crypto.randomUUID", RANDOM_ID],
  ["crypto.getRandomValues", RANDOM_BYTES],
  ["crypto.randomBytes", RANDOM_BYTES],
  ["crypto.randomInt", RANDOM_NUMBER],
  ["crypto.randomFillSync", RANDOM_BYTES],
  ["crypto.randomFill", RANDOM_BYTES],
  ["setTimeout", TIMER],
  ["setInterval", TIMER],
  ["setImmediate", TIMER],
  ["fetch", IO],
]);

/**
 * Node modules whose every export does I/O (or reads the host): a name imported from
 * one and used in the workflow body is flagged. `node:` forms count too.
 */
const IO_MODULES = new Set([
  "fs",
  "fs/promises",
  "net",
  "tls",
  "http",
  "https",
  "http2",
  "child_process",
  "dgram",
  "dns",
  "dns/promises",
  "readline",
  "readline/promises",
  "worker_threads",
  "cluster",
  "os",
]);
const TIMER_MODULES = new Set(["timers", "timers/promises"]);

/**
 * How the names a module imports map onto the globals the rules know:
 * `import { randomUUID } from "node:crypto"` is `crypto.randomUUID`,
 * `import { setTimeout } from "node:timers/promises"` is `setTimeout`,
 * `import * as c from "crypto"` makes `c.randomUUID` `crypto.randomUUID`,
 * `import { env } from "node:process"` is `process.env`. I/O module names map to
 * `io:<specifier>`.
 */
export function importAliases(module: ModuleIndex): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const statement of module.file.program.body) {
    if (statement.type !== "ImportDeclaration" || statement.importKind === "type") continue;
    const specifier = String(statement.source.value);
    const bare = specifier.replace(/^node:/, "");
    for (const binding of statement.specifiers) {
      if (binding.type === "ImportSpecifier" && binding.importKind === "type") continue;
      const local = binding.local.name;
      const whole = binding.type !== "ImportSpecifier";
      const imported =
        binding.type === "ImportSpecifier"
          ? binding.imported.type === "Identifier"
            ? binding.imported.name
            : String(binding.imported.value)
          : undefined;
      if (IO_MODULES.has(bare)) aliases.set(local, `io:${specifier}`);
      else if (bare === "crypto") aliases.set(local, whole ? "crypto" : `crypto.${imported}`);
      else if (bare === "process") aliases.set(local, whole ? "process" : `process.${imported}`);
      else if (TIMER_MODULES.has(bare) && imported && CALLS.get(imported) === TIMER)
        aliases.set(local, imported);
    }
  }
  return aliases;
}

/**
 * The canonical path of a callee or member chain: `Date.now`, `crypto.randomUUID`,
 * `process.env` (also through `globalThis.` and the import aliases), or undefined
 * when it is not a chain of plain names.
 */
export function pathOf(expression: Expression, aliases: ReadonlyMap<string, string>): string | undefined {
  const node = unwrap(expression);
  if (node.type === "Identifier") return aliases.get(node.name) ?? node.name;
  if (node.type !== "MemberExpression") return undefined;
  const property = node.computed
    ? node.property.type === "Literal" && typeof node.property.value === "string"
      ? node.property.value
      : undefined
    : node.property.name;
  if (property === undefined) return undefined;
  const object = pathOf(node.object, aliases);
  if (object === undefined) return undefined;
  return object === "globalThis" ? property : `${object}.${property}`;
}

/** The hazard of a call (`Date.now()`, `fetch(url)`), if it is one. */
export function callHazard(
  callee: Expression,
  argumentCount: number,
  aliases: ReadonlyMap<string, string>,
  text: (node: Node) => string,
): Hazard | undefined {
  const path = pathOf(callee, aliases);
  const kind = path === undefined ? undefined : CALLS.get(path);
  return kind && { ...kind, construct: `${text(callee)}(${argumentCount > 0 ? "..." : ""})` };
}

/** `new Date()` with no arguments: the current time. */
export function newHazard(
  callee: Expression,
  argumentCount: number,
  aliases: ReadonlyMap<string, string>,
): Hazard | undefined {
  return argumentCount === 0 && pathOf(callee, aliases) === "Date"
    ? { ...CLOCK, construct: "new Date()" }
    : undefined;
}

/**
 * The hazard of a name or member read: `process.env` (and `env` imported from
 * node:process), and any use of a name imported from an I/O module.
 */
export function readHazard(
  node: Expression,
  aliases: ReadonlyMap<string, string>,
  text: (node: Node) => string,
): Hazard | undefined {
  const path = pathOf(node, aliases);
  if (path === "process.env") return { ...ENV, construct: text(node) };
  if (node.type === "Identifier" && path?.startsWith("io:")) {
    return { ...IO, construct: `${node.name} (from "${path.slice(3)}")` };
  }
  return undefined;
}
