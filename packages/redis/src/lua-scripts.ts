import { readFileSync } from "node:fs";
import type { Cluster, Redis } from "ioredis";

/**
 * Where the `.lua` files are: `packages/redis/lua/`. This module runs from `src/`
 * (workspace, "@stepline/source" condition) or bundled into `dist/index.js`; both
 * are one level below the package root, so one relative URL serves both.
 */
export const LUA_DIR = new URL("../lua/", import.meta.url);

/** Every script: file name (without `.lua`) and the number of KEYS it takes. */
export const SCRIPTS = {
  "create-execution": 3,
  "claim-execution": 3,
  "append-events": 2,
  "release-lease": 1,
  "renew-lease": 1,
  "send-event": 2,
  "request-cancel": 1,
  "resume-execution": 1,
  "redrive-execution": 2,
  "terminate-execution": 2,
  "delete-execution": 3,
  "index-execution": 3,
  "unindex-execution": 4,
  "index-attributes": 2,
  "count-attributes": 2,
  "continue-as-new": 3,
  "announce-worker": 1,
  "hint-due": 4,
  "sync-due": 4,
  "pick-due": 3,
} as const;

export type ScriptName = keyof typeof SCRIPTS;

/** An argument of a script: strings, numbers, or raw bytes (journal and inbox entries). */
export type ScriptArg = string | number | Buffer;

const INCLUDE = /^--- @include "([a-z-]+)"$/m;

/** The text of `lua/<name>.lua` with its `--- @include "x"` line replaced by `lua/includes/x.lua`. */
export function readScript(name: string): string {
  const text = readFileSync(new URL(`${name}.lua`, LUA_DIR), "utf8");
  return text.replace(INCLUDE, (_, include: string) =>
    readFileSync(new URL(`includes/${include}.lua`, LUA_DIR), "utf8"),
  );
}

let texts: Map<ScriptName, string> | undefined;

/** Command name under which a script is defined on the client. */
const commandName = (name: ScriptName) => `stepline_${name.replaceAll("-", "_")}`;

/**
 * Runs the scripts through ioredis `defineCommand`: EVALSHA, with EVAL when the
 * server does not have the script yet (after a restart or a failover). Defining them
 * on a client given by the user adds `stepline_*` commands to it, nothing else.
 */
export class LuaScripts {
  readonly #client: Redis | Cluster;

  constructor(client: Redis | Cluster) {
    this.#client = client;
    texts ??= new Map(
      (Object.keys(SCRIPTS) as ScriptName[]).map((name) => [name, readScript(name)] as const),
    );
    for (const [name, lua] of texts) {
      client.defineCommand(commandName(name), { numberOfKeys: SCRIPTS[name], lua });
    }
  }

  /** Runs script `name` with its keys (all of one hash tag) and arguments; strings in the reply. */
  run(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    return this.#call(commandName(name), name, keys, args);
  }

  /** As {@link run}, with every string of the reply as a Buffer (for replies that carry entries). */
  runBuffer(name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]): Promise<unknown> {
    // defineCommand also defines `<command>Buffer`, which leaves reply strings as bytes.
    return this.#call(`${commandName(name)}Buffer`, name, keys, args);
  }

  #call(command: string, name: ScriptName, keys: readonly string[], args: readonly ScriptArg[]) {
    if (keys.length !== SCRIPTS[name]) {
      throw new Error(`script ${name} takes ${SCRIPTS[name]} keys, given ${keys.length}`);
    }
    const run = (this.#client as unknown as Record<string, (...a: ScriptArg[]) => Promise<unknown>>)[command];
    return run!.call(this.#client, ...keys, ...args);
  }
}
