import { readFile } from "node:fs/promises";
import { isAbsolute, relative, resolve } from "node:path";
import {
  fileSystemResolver,
  formatDiagnostic,
  type ImportResolver,
  lintDeterminism,
} from "@stepline/compiler";
import { CliError, usageError } from "../cli-error.js";
import type { Command } from "../command.js";
import { stringOption } from "../option-values.js";

/**
 * `stepline lint FILE [--workflow NAME] [--json]`: the determinism lint of
 * @stepline/compiler over a workflow source file (and the helpers it gives `ctx`, in
 * other files too). Prints each finding as `file:line:column warning code: message`.
 * Exit code 0 when clean, 1 when it found something, 2 for a usage error or a file
 * that cannot be read or parsed. Reads no store.
 *
 * @example
 * // stepline lint src/workflow.ts --json
 */
export const lintCommand: Command = {
  name: "lint",
  summary: "Find what breaks replay in a workflow's source: clocks, randomness, timers, I/O outside steps",
  usage: "stepline lint FILE [--workflow NAME] [--json]",
  details: `  --workflow NAME  lint only this workflow, when the file defines several
  --json           { file, workflows, findings: [{ file, line, column, code, message, ... }] }
Exit codes: 0 no finding, 1 findings, 2 usage error or a file that cannot be read or parsed.`,
  options: { workflow: { type: "string" } },
  positionals: ["FILE"],
  async run(context) {
    const file = context.positionals[0] as string;
    const wanted = stringOption(context.values, "workflow");
    const cwd = context.io.cwd;
    let text: string;
    try {
      text = await readFile(resolve(cwd, file), "utf8");
    } catch (error) {
      const code = (error as { code?: string }).code;
      throw new CliError(
        `cannot read ${file}: ${code === "ENOENT" ? "no such file" : (error as Error).message}`,
        2,
      );
    }
    // Helper files are named relative to the working directory, as FILE is.
    const resolveImport: ImportResolver = (specifier, from) => {
      const found = fileSystemResolver(specifier, resolve(cwd, from));
      return found && { ...found, fileName: shortPath(cwd, found.fileName) };
    };
    const all = lintDeterminism(text, { fileName: file, resolveImport });
    if (all.errors.length > 0) {
      for (const error of all.errors) context.io.stderr(`${formatDiagnostic(error)}\n`);
      throw new CliError(`${file} does not parse; fix the syntax error first`, 2);
    }
    const names = all.workflows.map((name) => `"${name}"`).join(", ");
    if (all.workflows.length === 0) throw usageError(`${file} defines no workflow("name", fn) to lint`);
    if (wanted !== undefined && !all.workflows.includes(wanted)) {
      throw usageError(`${file} has no workflow "${wanted}"; it defines ${names}`);
    }
    const result =
      wanted === undefined ? all : lintDeterminism(text, { fileName: file, resolveImport, workflow: wanted });
    if (context.json) {
      context.printJson({ file, workflows: result.workflows, findings: result.findings });
    } else {
      for (const finding of result.findings) context.print(formatDiagnostic(finding));
      const which = result.workflows.map((name) => `"${name}"`).join(", ");
      const count = result.findings.length;
      context.print(
        `${count === 0 ? "no findings" : count === 1 ? "1 finding" : `${count} findings`} in ${file} (${result.workflows.length === 1 ? "workflow" : "workflows"} ${which})`,
      );
    }
    return result.findings.length > 0 ? 1 : 0;
  },
};

function shortPath(cwd: string, path: string): string {
  const short = relative(cwd, path);
  return short.startsWith("..") || isAbsolute(short) ? path : short;
}
