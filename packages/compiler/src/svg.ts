import { instance, type Viz } from "@viz-js/viz";
import { toDot } from "./dot.js";
import type { Machine, WorkflowMachine } from "./ir.js";

let viz: Promise<Viz> | undefined;

/**
 * An SVG drawing of a machine: its DOT layout rendered by Graphviz compiled to
 * WebAssembly (@viz-js/viz), without a browser. The first call loads Graphviz
 * (tens of milliseconds); later calls reuse it.
 *
 * @example
 * writeFileSync("docs/diagrams/order-fulfillment.svg", await toSVG(machines[0]));
 */
export async function toSVG(machine: WorkflowMachine | Machine): Promise<string> {
  viz ??= instance();
  return (await viz).renderString(toDot(machine), { format: "svg", engine: "dot" });
}
