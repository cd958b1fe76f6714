import { existsSync, readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parseArgs } from "node:util";
import { toASL } from "./asl.js";
import { compile } from "./compile.js";
import type { ImportResolver } from "./compile-scope.js";
import { lintDeterminism } from "./determinism-lint.js";
import { formatDiagnostic } from "./diagnostics.js";
import { toDot } from "./dot.js";
import type { WorkflowMachine } from "./ir.js";
import { toMermaid } from "./mermaid.js";
import { resolvePackageImport } from "./package-resolver.js";
import { toSVG } from "./svg.js";

/** Where the command reads and writes; the CLI passes the process's, tests pass fakes. */
export interface DiagramIO {
  stdout(text: string): void;
  stderr(text: string): void;
  readFile(path: string): Promise<string>;
  writeFile(path: string, text: string): Promise<void>;
  /** Resolves helper and child-workflow imports; default {@link fileSystemResolver}. */
  resolveImport?: ImportResolver;
}

const FORMATS = ["mermaid", "asl", "dot", "svg", "json"] as const;
type Format = (typeof FORMATS)[number];

export const DIAGRAM_USAGE = `Usage: stepline diagram <file.ts> [--format mermaid|asl|dot|svg|json] [--workflow NAME] [-o FILE]

Draws the state machine of the workflow defined in <file.ts>.
  -f, --format     mermaid (default), asl (Amazon States Language), dot, svg, json (the compiler's IR)
  -w, --workflow   which workflow, when the file defines several
  -o, --output     write to FILE instead of standard output
  -h, --help       show this help
`;

/**
 * Reads imports from disk: `./helpers.js` is tried as `.ts`, `.tsx`, `/index.ts` (and as
 * written, JavaScript, from a file inside `node_modules`); a package (`@acme/flows`) through its `node_modules` entry
 * (package-resolver.ts). `@stepline/*` packages are not read: they define no workflows.
 *
 * @example
 * compile(text, { fileName, resolveImport: fileSystemResolver });
 */
export const fileSystemResolver: ImportResolver = (specifier, fromFile) => {
  if (!specifier.startsWith(".")) {
    return specifier.startsWith("@stepline/") ? undefined : resolvePackageImport(specifier, fromFile);
  }
  const base = resolve(dirname(fromFile), specifier);
  const stem = base.replace(/\.(m|c)?js$/, "");
  // TypeScript (a source file imports `./x.js` for `x.ts`); JavaScript only inside a
  // built package: the package's own relative imports.
  const javascript = inPackage(fromFile)
    ? /\.(m|c)?js$/.test(base)
      ? [base]
      : [`${base}.js`, `${base}/index.js`]
    : [];
  const written = /\.(m)?tsx?$/.test(base) ? [base] : [];
  const candidates = [
    ...written,
    `${stem}.ts`,
    `${stem}.tsx`,
    `${stem}.mts`,
    `${base}.ts`,
    `${base}/index.ts`,
    ...javascript,
  ];
  for (const candidate of candidates) {
    if (existsSync(candidate)) return { fileName: candidate, sourceText: readFileSync(candidate, "utf8") };
  }
  return undefined;
};

const inPackage = (file: string) => /[\\/]node_modules[\\/]/.test(file);

/**
 * `stepline diagram`: compiles a workflow file and prints (or writes) its diagram.
 * Diagnostics go to stderr, one line each, with the determinism lint's findings as
 * warnings (they do not change the exit code; `stepline lint` is the command that
 * fails on them); with `--workflow X`, only X's diagnostics and findings. Exit code 0
 * when drawn, 1 when the file cannot be read or parsed, has no such workflow, or the
 * compiler reported an error for the workflow drawn; 2 for a usage error (a file with
 * several workflows and no `--workflow` included).
 *
 * @example
 * const code = await runDiagramCommand(["src/workflow.ts", "--format", "asl"], {
 *   stdout: (t) => process.stdout.write(t),
 *   stderr: (t) => process.stderr.write(t),
 *   readFile: (p) => readFile(p, "utf8"),
 *   writeFile: (p, t) => writeFile(p, t),
 * });
 * process.exitCode = code;
 */
export async function runDiagramCommand(argv: readonly string[], io: DiagramIO): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr(`stepline diagram: ${(error as Error).message}\n${DIAGRAM_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout(DIAGRAM_USAGE);
    return 0;
  }
  if (positionals.length !== 1) {
    io.stderr(
      `stepline diagram: give exactly one workflow file (got ${positionals.length}).\n${DIAGRAM_USAGE}`,
    );
    return 2;
  }
  const format = (values.format ?? "mermaid") as Format;
  if (!FORMATS.includes(format)) {
    io.stderr(`stepline diagram: unknown format "${format}"; use one of ${FORMATS.join(", ")}.\n`);
    return 2;
  }
  const file = positionals[0] as string;
  let text: string;
  try {
    text = await io.readFile(file);
  } catch (error) {
    const code = (error as { code?: string }).code;
    io.stderr(
      `stepline diagram: cannot read ${file}: ${code === "ENOENT" ? "no such file" : (error as Error).message}\n`,
    );
    return 1;
  }
  const resolveImport = io.resolveImport ?? fileSystemResolver;
  const { machines, diagnostics, diagnosticsByWorkflow } = compile(text, { fileName: file, resolveImport });
  // The determinism lint's findings are warnings here: the diagram is drawn, the exit code is the compiler's.
  const { findings } = lintDeterminism(text, { fileName: file, resolveImport });
  const picked = pick(machines, values.workflow, file);
  // With --workflow, only that workflow's diagnostics count: another's neither print nor fail the command.
  const relevant =
    values.workflow !== undefined && "machine" in picked
      ? (diagnosticsByWorkflow.get(picked.machine.workflow) ?? [])
      : diagnostics;
  const lint =
    values.workflow !== undefined
      ? findings.filter((finding) => finding.workflow === values.workflow)
      : findings;
  const shown = [...relevant, ...lint].sort(
    (a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column,
  );
  for (const diagnostic of shown) io.stderr(`${formatDiagnostic(diagnostic)}\n`);
  if ("problem" in picked) {
    io.stderr(picked.problem);
    return picked.exitCode;
  }
  const output = await render(picked.machine, format);
  if (values.output) await io.writeFile(values.output, output);
  else io.stdout(output);
  return relevant.some((d) => d.severity === "error") ? 1 : 0;
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      format: { type: "string", short: "f" },
      workflow: { type: "string", short: "w" },
      output: { type: "string", short: "o" },
      help: { type: "boolean", short: "h" },
    },
  });
}

/** The machine to draw, or why there is none and the exit code: 2 when the file has several and none was picked. */
function pick(
  machines: WorkflowMachine[],
  wanted: string | undefined,
  file: string,
): { machine: WorkflowMachine } | { problem: string; exitCode: number } {
  const names = machines.map((m) => m.workflow);
  if (wanted !== undefined) {
    const found = machines.find((m) => m.workflow === wanted);
    if (found) return { machine: found };
    return {
      problem: `stepline diagram: ${file} has no workflow "${wanted}"; it defines ${names.length > 0 ? names.map((n) => `"${n}"`).join(", ") : "none"}.\n`,
      exitCode: 1,
    };
  }
  if (machines.length === 1) return { machine: machines[0] as WorkflowMachine };
  if (machines.length === 0) {
    return {
      problem: `stepline diagram: ${file} defines no workflow("name", fn) the compiler could read.\n`,
      exitCode: 1,
    };
  }
  // A usage error, as docs/diagrams.md says: the command cannot know which one was meant.
  return {
    problem: `stepline diagram: ${file} defines ${names.map((n) => `"${n}"`).join(", ")}; pick one with --workflow NAME.\n`,
    exitCode: 2,
  };
}

async function render(machine: WorkflowMachine, format: Format): Promise<string> {
  switch (format) {
    case "mermaid":
      return toMermaid(machine);
    case "asl":
      return `${JSON.stringify(toASL(machine), null, 2)}\n`;
    case "dot":
      return toDot(machine);
    case "svg":
      return toSVG(machine);
    case "json":
      return `${JSON.stringify(machine, null, 2)}\n`;
  }
}
