import type { CommandOptions } from "./command.js";

/** Options every command takes. */
export const GLOBAL_OPTIONS: CommandOptions = {
  store: { type: "string" },
  redis: { type: "string" },
  prefix: { type: "string" },
  "key-file": { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
};

/** The help text of the global options. */
export const GLOBAL_HELP = `Store (every command):
  --store PATH   the embedded LMDB store (default .stepline, or STEPLINE_STORE)
  --redis URL    a Redis store instead (or STEPLINE_REDIS_URL)
  --prefix P     the Redis key prefix (default sl, or STEPLINE_REDIS_PREFIX)
  --key-file F   the keys of a store encrypted at rest (or STEPLINE_KEY_FILE): JSON
                 { "currentKeyId": "k1", "keys": { "k1": "<base64 of 32 bytes>" } }
Output:
  --json         one JSON document on stdout (logs and errors go to stderr)
  NO_COLOR=1     no colour, even on a terminal

Exit codes: 0 ok, 1 failure, 2 usage error.`;
