import { type Node, type Program, parseSync } from "oxc-parser";
import type { Diagnostic } from "./diagnostics.js";
import type { SourceLocation } from "./ir.js";

/**
 * One parsed TypeScript file: its ESTree program, and the offset -> line:column
 * map that every state location and diagnostic goes through.
 */
export class SourceFile {
  readonly fileName: string;
  readonly text: string;
  readonly program: Program;
  /** Parse errors, as diagnostics. */
  readonly errors: Diagnostic[];
  readonly #lineStarts: number[];

  constructor(fileName: string, text: string) {
    this.fileName = fileName;
    this.text = text;
    const lang = fileName.endsWith(".tsx") ? "tsx" : fileName.endsWith(".js") ? "js" : "ts";
    const result = parseSync(fileName, text, { lang, sourceType: "module", preserveParens: false });
    this.program = result.program;
    this.#lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) this.#lineStarts.push(i + 1);
    this.errors = result.errors.map((error) => ({
      ...this.locate(error.labels[0]?.start ?? 0),
      severity: "error" as const,
      code: "parse-error" as const,
      message: `${error.message}. Fix the syntax error first: the compiler reads only files that parse.`,
    }));
  }

  /** The 1-based line and column of a character offset. */
  locate(offset: number): SourceLocation {
    const starts = this.#lineStarts;
    let low = 0;
    let high = starts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if ((starts[mid] as number) <= offset) low = mid;
      else high = mid - 1;
    }
    return { file: this.fileName, line: low + 1, column: offset - (starts[low] as number) + 1 };
  }

  /** The source text of a node, with runs of whitespace folded to one space. */
  textOf(node: Node): string {
    return this.text.slice(node.start, node.end).replace(/\s+/g, " ");
  }
}
