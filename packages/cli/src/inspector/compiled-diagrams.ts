import { readFile } from "node:fs/promises";
import { relative, resolve } from "node:path";
import {
  compile,
  fileSystemResolver,
  formatDiagnostic,
  toSVG,
  verifyTrace,
  type WorkflowMachine,
} from "@stepline/compiler";
import type { JournalEvent } from "@stepline/core";
import type { StateStatus, VisitedState } from "../journal/visited-states.js";

/** The compiled diagram of one execution, as the inspector page shows it. */
export interface CompiledDiagram {
  /** The workflow's state machine as SVG; each state's node carries data-state-id, data-status, data-op. */
  svg: string;
  /** Where the workflow was compiled from (relative to the working directory). */
  source: string;
  /** Set when the journal is not a path of the compiled machine: the code changed since it ran. */
  divergence?: string;
}

/** Precedence when one state stands for several operations (a loop): the most telling status wins. */
const RANK: Record<StateStatus, number> = {
  succeeded: 0,
  interrupted: 1,
  waiting: 2,
  running: 3,
  retrying: 4,
  failed: 5,
};

/**
 * The state machines of the workflow files given to `stepline ui --workflows`, and
 * the diagram of an execution drawn from them: the compiled SVG with each state
 * coloured by the operations the journal matched to it (verifyTrace), so the page
 * shows the whole machine, visited or not, the way Step Functions' console does.
 */
export class CompiledDiagrams {
  readonly #machines = new Map<string, { machine: WorkflowMachine; source: string }>();
  readonly #svgs = new Map<string, Promise<string>>();

  /**
   * Compiles each file; a file that cannot be read or compiled is reported through `warn`
   * and left out (its executions then show the journal's states alone).
   */
  static async load(files: readonly string[], cwd: string, warn: (line: string) => void) {
    const diagrams = new CompiledDiagrams();
    for (const file of files) {
      const path = resolve(cwd, file);
      const source = relative(cwd, path);
      let text: string;
      try {
        text = await readFile(path, "utf8");
      } catch (error) {
        warn(
          `stepline ui: cannot read ${source} (${(error as NodeJS.ErrnoException).code}); no diagram from it`,
        );
        continue;
      }
      const { machines, diagnostics } = compile(text, { fileName: path, resolveImport: fileSystemResolver });
      for (const diagnostic of diagnostics) {
        warn(`stepline ui: ${formatDiagnostic({ ...diagnostic, file: relative(cwd, diagnostic.file) })}`);
      }
      if (machines.length === 0) warn(`stepline ui: ${source} defines no workflow`);
      for (const machine of machines) diagrams.#machines.set(machine.workflow, { machine, source });
    }
    return diagrams;
  }

  /** Names of the workflows it can draw. */
  get workflows(): string[] {
    return [...this.#machines.keys()];
  }

  /** The diagram of an execution of `workflow`, or undefined when no file given defines it. */
  async diagramFor(
    workflow: string,
    events: readonly JournalEvent[],
    states: readonly VisitedState[],
  ): Promise<CompiledDiagram | undefined> {
    const compiled = this.#machines.get(workflow);
    if (!compiled) return undefined;
    let svg = this.#svgs.get(workflow);
    if (!svg) {
      svg = toSVG(compiled.machine);
      this.#svgs.set(workflow, svg);
    }
    const trace = verifyTrace(compiled.machine, events);
    const byOp = new Map(states.map((state) => [state.op, state]));
    const marks = new Map<string, { status: StateStatus; op: number; current: boolean }>();
    if (trace.ok) {
      for (const { op, state: id } of trace.operations) {
        const visited = byOp.get(op);
        if (!visited) continue;
        const mark = marks.get(id);
        if (!mark || RANK[visited.status] >= RANK[mark.status] || visited.current) {
          marks.set(id, { status: visited.status, op, current: visited.current || (mark?.current ?? false) });
        }
      }
    }
    return {
      svg: markStates(await svg, marks),
      source: compiled.source,
      ...(trace.ok ? {} : { divergence: trace.divergence.message }),
    };
  }
}

/**
 * Adds to each state's node of a Graphviz SVG (`<g id="nodeN" class="node"><title>s3</title>`)
 * its state id, and the status, op and current flag of the operations matched to it.
 */
export function markStates(
  svg: string,
  marks: ReadonlyMap<string, { status: StateStatus; op: number; current: boolean }>,
): string {
  return svg.replace(
    /<g id="(node\d+)" class="node">\s*<title>([^<]*)<\/title>/g,
    (whole, nodeId: string, title: string) => {
      const mark = marks.get(title);
      const status = mark?.status ?? "unvisited";
      const classes = `node state--${status}${mark?.current ? " state--current" : ""}`;
      const op = mark ? ` data-op="${mark.op}"` : "";
      return whole.replace(
        `<g id="${nodeId}" class="node">`,
        `<g id="${nodeId}" class="${classes}" data-state-id="${title}" data-status="${status}"${op}>`,
      );
    },
  );
}
