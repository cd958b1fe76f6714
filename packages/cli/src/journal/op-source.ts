import { readFileSync } from "node:fs";
import { relative } from "node:path";
import {
  allStates,
  compile,
  fileSystemResolver,
  type OperationName,
  type State,
  type WorkflowMachine,
} from "@stepline/compiler";
import { parseStepIdentity } from "@stepline/core";

/** A line of the workflow module, as the CLI shows it: `src/workflows.ts:12:11`. */
export interface OpSource {
  /** Relative to the working directory. */
  file: string;
  line: number;
  column: number;
}

/** The operation name a state issues, by the kind replay names it with. */
const NAME_OF_STATE: Record<string, (state: State) => OperationName | undefined> = {
  step: (s) => (s.kind === "task" ? s.step : undefined),
  sleep: (s) => (s.kind === "wait" ? s.timer : undefined),
  waitForEvent: (s) => (s.kind === "event" ? s.event : undefined),
  child: (s) => (s.kind === "child" ? s.operation : undefined),
};

/**
 * Finds where the new code issues an operation, from the compiler's state machines of
 * the workflow module: `find("approve", 'step "draft"')` is the line of
 * `ctx.step("draft", ...)` in workflow approve. The file is compiled once, on the
 * first question; the compiler never throws on user code, and a workflow it cannot
 * read (defined in another file, a computed name) is simply not found.
 *
 * @example
 * const sources = new OpSourceFinder("/repo/src/workflows.ts", "/repo");
 * sources.find("approve", 'step "draft"'); // { file: "src/workflows.ts", line: 12, column: 9 }
 */
export class OpSourceFinder {
  readonly #file: string;
  readonly #cwd: string;
  #machines: Map<string, WorkflowMachine> | undefined;

  constructor(file: string, cwd: string) {
    this.#file = file;
    this.#cwd = cwd;
  }

  /** Where `workflow(name, ...)` is called, or undefined. */
  workflow(name: string): OpSource | undefined {
    const machine = this.#machine(name);
    return machine ? this.#source(machine.loc) : undefined;
  }

  /**
   * Where workflow `name` issues the operation replay describes as `described`
   * (`step "draft"`, `sleep "transit"`, `waitForEvent "approve"`, `child "ship#2"`),
   * or undefined. The nth occurrence of a repeated name is the nth state that matches.
   */
  find(name: string, described: string): OpSource | undefined {
    const machine = this.#machine(name);
    const parsed = /^(step|sleep|waitForEvent|child) "(.*)"$/s.exec(described);
    if (!machine || !parsed) return undefined;
    const nameOf = NAME_OF_STATE[parsed[1] as string] as (state: State) => OperationName | undefined;
    const { name: opName, occurrence } = parseStepIdentity(parsed[2] as string);
    const matching = [...allStates(machine)].filter((state) => {
      const operation = nameOf(state);
      return operation !== undefined && new RegExp(operation.pattern, "s").test(opName);
    });
    const state = matching[occurrence - 1] ?? matching[0];
    return state ? this.#source(state.loc) : undefined;
  }

  #machine(name: string): WorkflowMachine | undefined {
    if (!this.#machines) {
      this.#machines = new Map();
      try {
        const { machines } = compile(readFileSync(this.#file, "utf8"), {
          fileName: this.#file,
          resolveImport: fileSystemResolver,
        });
        for (const machine of machines) this.#machines.set(machine.workflow, machine);
      } catch {
        // Unreadable source: every operation is "not found", which the report says.
      }
    }
    return this.#machines.get(name);
  }

  #source(loc: { file: string; line: number; column: number }): OpSource {
    return { file: relative(this.#cwd, loc.file) || loc.file, line: loc.line, column: loc.column };
  }
}
