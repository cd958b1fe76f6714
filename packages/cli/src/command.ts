import type { ParseArgsConfig } from "node:util";
import type { Client, Schedules, Store } from "@stepline/core";
import type { Colour } from "./colour.js";
import type { Io } from "./io.js";
import type { StoreLocation } from "./store/open-store.js";

/** Options of a command, in `node:util` parseArgs form. */
export type CommandOptions = NonNullable<ParseArgsConfig["options"]>;

/** An open store with an engine client, for the length of one command. */
export interface StoreSession {
  client: Client;
  /** `engine.schedules` on the store (docs/schedules.md). */
  schedules: Schedules;
  store: Store;
  /** How the store is named in messages: `the store at /repo/.stepline`. */
  label: string;
}

/** What a command gets: its arguments, where to write, and the store. */
export interface CommandContext {
  io: Io;
  /** Positional arguments after the command name. */
  positionals: string[];
  /** Option values, the global ones (`store`, `redis`, `prefix`, `json`) included. */
  values: Record<string, string | boolean | undefined>;
  /** `--json`: print one JSON document on stdout instead of tables. */
  json: boolean;
  colour: Colour;
  location: StoreLocation;
  /**
   * Opens the store, runs `use` with a client on it, closes it. `create` allows
   * creating a missing LMDB store (start, import); `readOnly` opens an LMDB store for
   * reading only, for commands that write nothing (list, inspect, history, export,
   * replay-check): they then work on a store this user cannot write; `"if-unwritable"`
   * opens read-write when it can and read-only (with a warning) when it cannot (ui).
   */
  withStore<T>(
    use: (session: StoreSession) => Promise<T>,
    options?: { create?: boolean; readOnly?: boolean | "if-unwritable" },
  ): Promise<T>;
  /** Writes a line to stdout. */
  print(text: string): void;
  /** Writes one JSON document to stdout. */
  printJson(value: unknown): void;
}

/**
 * One `stepline` subcommand. Commands live in src/commands/<name>.ts, one each, and
 * are listed in command-table.ts.
 *
 * @example
 * export const cancelCommand: Command = {
 *   name: "cancel", summary: "Cancel an execution", usage: "stepline cancel ID [--reason TEXT]",
 *   options: { reason: { type: "string" } }, positionals: ["ID"],
 *   run: async (context) => { ...; return 0; },
 * };
 */
export interface Command {
  name: string;
  /** One line, for `stepline help`. */
  summary: string;
  /** The synopsis, for `stepline help NAME` and usage errors. */
  usage: string;
  /** More lines for `stepline help NAME`: what each option does. */
  details?: string;
  /** Options of its own, beyond the global ones. */
  options: CommandOptions;
  /** Names of the required positional arguments, in order; more are a usage error. */
  positionals: readonly string[];
  /** Runs it; resolves with the exit code (0 ok, 1 failure). */
  run(context: CommandContext): Promise<number>;
  /**
   * For a command that parses its own arguments and needs no store (`diagram`): gets
   * the arguments after its name as given, instead of `run`.
   */
  runArgs?(args: readonly string[], io: Io): Promise<number>;
  /**
   * For a command of subcommands (`stepline schedule pause ID`): the word after its
   * name picks one, which is then parsed and run as a command of its own.
   */
  subcommands?: readonly Command[];
}
