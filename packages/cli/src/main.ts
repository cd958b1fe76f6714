import { parseArgs } from "node:util";
import {
  assertExecutionId,
  assertIdentifier,
  createEngine,
  ExecutionNotFoundError,
  encryptedStore,
  SteplineError,
} from "@stepline/core";
import { CliError, usageError } from "./cli-error.js";
import { colourFor } from "./colour.js";
import type { Command, CommandContext, StoreSession } from "./command.js";
import { COMMANDS, findCommand } from "./command-table.js";
import { toJson } from "./format/json-value.js";
import { GLOBAL_HELP, GLOBAL_OPTIONS } from "./global-options.js";
import type { Io } from "./io.js";
import { readKeyFile } from "./store/key-file.js";
import { openStore, storeLocation } from "./store/open-store.js";

/**
 * Runs one `stepline` command line and resolves with its exit code: 0 ok, 1 failure,
 * 2 usage error. Every error is reported as one line on stderr (the stack only with
 * STEPLINE_DEBUG=1); nothing but the command's result goes to stdout.
 *
 * @example
 * const code = await main(["list", "--status", "failed", "--json"], processIo());
 */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    return name === "help" ? printHelp(io, rest[0], rest[1]) : printHelp(io, undefined);
  }
  const found = findCommand(name);
  if (!found) {
    return fail(io, "stepline", usageError(`unknown command "${name}" (stepline help lists them)`));
  }
  const [command, args] = found.subcommands ? pickSubcommand(found, rest) : [found, rest];
  if (!command)
    return rest[0] === undefined || rest[0] === "--help" || rest[0] === "-h"
      ? printHelp(io, name)
      : fail(io, `stepline ${name}`, usageError(`unknown subcommand "${rest[0]}" (usage: ${found.usage})`));
  try {
    if (command.runArgs) return await command.runArgs(args, io);
    const context = parseCommandLine(command, args, io);
    // The help of what was run: `stepline schedule create --help` is create's, not schedule's.
    if (context.values.help) return printCommandHelp(io, command);
    return await command.run(context);
  } catch (error) {
    return fail(io, `stepline ${command.name}`, error);
  }
}

/** The subcommand named by the first argument, named `<command> <subcommand>` in messages, and the arguments after it. */
function pickSubcommand(command: Command, args: readonly string[]): [Command | undefined, string[]] {
  const sub = command.subcommands?.find((c) => c.name === args[0]);
  return [sub && { ...sub, name: `${command.name} ${sub.name}` }, args.slice(1)];
}

function parseCommandLine(command: Command, args: string[], io: Io): CommandContext {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    // parseArgs explains at length; its first sentence is the one that matters.
    const first = ((error as Error).message.split(/\.\s/)[0] ?? "").replace(/\.$/, "");
    throw usageError(`${first} (usage: ${command.usage})`);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const positionals = parsed.positionals;
  if (!values.help) {
    const missing = command.positionals[positionals.length];
    if (missing) throw usageError(`missing ${missing} (usage: ${command.usage})`);
    if (positionals.length > command.positionals.length) {
      throw usageError(
        `unexpected argument "${positionals[command.positionals.length]}" (usage: ${command.usage})`,
      );
    }
  }
  if (!values.help) checkIdentifiers(command, positionals, values);
  const location = storeLocation(
    { store: values.store as string, redis: values.redis as string, prefix: values.prefix as string },
    io.env,
    io.cwd,
  );
  const log = (line: string) => io.stderr(`${line}\n`);
  return {
    io,
    positionals,
    values,
    json: values.json === true,
    colour: colourFor(io),
    location,
    print: (text) => io.stdout(`${text}\n`),
    printJson: (value) => io.stdout(`${toJson(value, 2)}\n`),
    async withStore<T>(
      use: (session: StoreSession) => Promise<T>,
      options: { create?: boolean; readOnly?: boolean | "if-unwritable" } = {},
    ) {
      const opened = await openStore(location, {
        create: options.create === true,
        readOnly: options.readOnly ?? false,
        log,
      });
      const keyFile = (values["key-file"] as string | undefined) ?? (io.env.STEPLINE_KEY_FILE || undefined);
      const store = keyFile ? encryptedStore(opened.store, readKeyFile(keyFile, io.cwd)) : opened.store;
      const engine = createEngine({
        store,
        log: (level, message, fields) => {
          if (level === "warn" || level === "error") log(`${level}: ${message} ${toJson(fields)}`);
        },
      });
      try {
        return await use({
          client: engine.client,
          schedules: engine.schedules,
          store,
          label: opened.label,
        });
      } catch (error) {
        if (ExecutionNotFoundError.is(error)) {
          throw new CliError(
            `no execution "${error.executionId}" in ${opened.label} (stepline list shows them)`,
          );
        }
        throw error;
      } finally {
        await opened.close();
      }
    },
  };
}

/**
 * Ids and names from the command line get core's identifier check (identifiers.ts)
 * before a store is opened: a refusal is a usage error (exit 2) that says what is allowed.
 */
function checkIdentifiers(
  command: Command,
  positionals: readonly string[],
  values: Record<string, string | boolean | undefined>,
): void {
  command.positionals.forEach((argument, i) => {
    const value = positionals[i];
    if (argument === "ID") assertExecutionId(value, "ID");
    else if (argument === "NAME") assertIdentifier(value, "event name", "NAME");
    else if (argument === "WORKFLOW") assertIdentifier(value, "workflow name", "WORKFLOW");
  });
  if (typeof values.id === "string") assertIdentifier(values.id, "execution id", "--id");
}

function fail(io: Io, prefix: string, error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  io.stderr(`${prefix}: ${message}\n`);
  if (io.env.STEPLINE_DEBUG && error instanceof Error && error.stack) io.stderr(`${error.stack}\n`);
  if (error instanceof CliError) return error.exitCode;
  if (SteplineError.is(error) && error.code === "STEPLINE_INVALID_ARGUMENT") return 2;
  return 1;
}

/** `stepline help [COMMAND [SUBCOMMAND]]`: the list of commands, or one command's help. */
function printHelp(io: Io, topic: string | undefined, subtopic?: string): number | Promise<number> {
  if (topic !== undefined) {
    const command = findCommand(topic);
    if (!command) return fail(io, "stepline help", usageError(`unknown command "${topic}"`));
    if (subtopic === undefined || !command.subcommands) return printCommandHelp(io, command);
    const [sub] = pickSubcommand(command, [subtopic]);
    if (!sub) {
      return fail(
        io,
        "stepline help",
        usageError(`unknown subcommand "${subtopic}" of ${topic} (usage: ${command.usage})`),
      );
    }
    return printCommandHelp(io, sub);
  }
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  io.stdout(
    `stepline: look at and drive Stepline executions\n\nUsage: stepline COMMAND [options]\n\nCommands:\n${lines.join("\n")}\n\n${GLOBAL_HELP}\n\nstepline help COMMAND shows a command's options.\n`,
  );
  return 0;
}

/** One command's (or subcommand's) summary, usage, details and the global options. */
function printCommandHelp(io: Io, command: Command): number | Promise<number> {
  if (command.runArgs) return command.runArgs(["--help"], io);
  io.stdout(
    `${command.summary}\n\nUsage: ${command.usage}\n${command.details ? `\n${command.details}\n` : ""}\n${GLOBAL_HELP}\n`,
  );
  return 0;
}
