import { readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import { runDiagramCommand } from "@stepline/compiler";
import type { Command } from "../command.js";

/**
 * `stepline diagram FILE [--format mermaid|asl|dot|svg|json] [--workflow NAME] [-o FILE]`:
 * the state machine of a workflow source file, from @stepline/compiler. It reads no
 * store; it parses its own arguments.
 *
 * @example
 * // stepline diagram src/workflow.ts --format svg -o order.svg
 */
export const diagramCommand: Command = {
  name: "diagram",
  summary: "Draw a workflow's state machine from its source (Mermaid, ASL, DOT, SVG)",
  usage: "stepline diagram FILE [--format mermaid|asl|dot|svg|json] [--workflow NAME] [-o FILE]",
  options: {},
  positionals: ["FILE"],
  run: () => Promise.reject(new Error("stepline diagram runs through runArgs")),
  runArgs(args, io) {
    const path = (file: string) => resolve(io.cwd, file);
    return runDiagramCommand(args, {
      stdout: io.stdout,
      stderr: io.stderr,
      readFile: (file) => readFile(path(file), "utf8"),
      writeFile: (file, text) => writeFile(path(file), text),
    });
  },
};
