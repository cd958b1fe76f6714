import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { encryptionCodec, InvalidArgumentError, type PayloadEncryption } from "@stepline/core";
import { CliError } from "../cli-error.js";

/**
 * `--key-file FILE` (or STEPLINE_KEY_FILE): the keys of a store encrypted at rest, as
 * JSON `{ "currentKeyId": "k2", "keys": { "k1": "<base64 of 32 bytes>", "k2": "..." } }`
 * (docs/stores.md#encryption-at-rest). Without it, the CLI reads records as they are and
 * says which key an encrypted entry needs.
 *
 * @example
 * const encryption = readKeyFile("keys.json", process.cwd()); // PayloadEncryption
 */
export function readKeyFile(path: string, cwd: string): PayloadEncryption {
  let text: string;
  try {
    text = readFileSync(resolve(cwd, path), "utf8");
  } catch (error) {
    throw new CliError(`cannot read the key file ${path}: ${(error as Error).message}`);
  }
  let parsed: { currentKeyId?: unknown; keys?: unknown };
  try {
    parsed = JSON.parse(text) as typeof parsed;
  } catch {
    throw new CliError(
      `the key file ${path} is not JSON: expected { "currentKeyId": "k1", "keys": { "k1": "<base64>" } }`,
    );
  }
  try {
    return encryptionCodec(parsed as Parameters<typeof encryptionCodec>[0]);
  } catch (error) {
    if (InvalidArgumentError.is(error)) throw new CliError(`the key file ${path}: ${error.message}`);
    throw error;
  }
}
