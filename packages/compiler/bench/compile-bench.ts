/**
 * Compile-time benchmark: generates a 2,000-line workflow file (steps with retry
 * options, if/else, loops, Promise.all, try/catch, helpers) and reports the median
 * time of `compile` after warm-up. Target: under 50 ms.
 *
 *   pnpm --filter @stepline/compiler bench
 *   node --conditions=@stepline/source --import tsx packages/compiler/bench/compile-bench.ts
 */
import { pathToFileURL } from "node:url";
import { parseSync } from "oxc-parser";
import { compile } from "../src/index.js";

/** A workflow file of about `lines` lines, made of repeated blocks of every construct. */
export function generateWorkflowSource(lines = 2_000): string {
  const out = [
    'import { type WorkflowContext, workflow } from "@stepline/core";',
    "",
    "async function audit(ctx: WorkflowContext, what: string): Promise<void> {",
    '  await ctx.step("audit", () => what);',
    "}",
    "",
    'export const big = workflow("big", async (ctx, input: { flags: string[]; items: string[] }) => {',
  ];
  for (let block = 0; out.length < lines - 2; block++) {
    out.push(
      `  const r${block} = await ctx.step("load-${block}", () => ${block}, {`,
      `    retry: { maxAttempts: 4, initialInterval: "1s", backoffRate: 2, maxInterval: "1m" },`,
      "  });",
      `  if (input.flags.includes("f${block}")) {`,
      `    await ctx.step("branch-a-${block}", () => r${block} + 1);`,
      `  } else if (r${block} > 10) {`,
      `    await ctx.sleep("pause-${block}", "5m");`,
      "  } else {",
      `    await audit(ctx, "b${block}");`,
      "  }",
      "  try {",
      "    await Promise.all([",
      `      ctx.step("left-${block}", () => 1),`,
      `      ctx.step("right-${block}", () => 2),`,
      "    ]);",
      "  } catch {",
      `    await ctx.step("recover-${block}", () => 3);`,
      "  }",
      "  for (const item of input.items) {",
      `    await ctx.step(\`item-${block}-\${item}\`, () => item);`,
      "  }",
      `  const answer${block} = await ctx.waitForEvent<boolean>("answer-${block}", { timeout: "1h" });`,
      `  if (!answer${block}) return "stopped at ${block}";`,
    );
  }
  out.push("  return 'done';", "});");
  return `${out.join("\n")}\n`;
}

/** Median compile time in ms over `runs` runs, after `warmup` unmeasured ones. */
export function measureCompile(source: string, runs = 30, warmup = 10): { medianMs: number; states: number } {
  let states = 0;
  for (let i = 0; i < warmup; i++) compile(source, { fileName: "big.ts" });
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const { machines, diagnostics } = compile(source, { fileName: "big.ts" });
    times.push(performance.now() - start);
    if (diagnostics.length > 0)
      throw new Error(`the generated workflow has diagnostics: ${diagnostics[0]?.message}`);
    states = machines[0]?.states.length ?? 0;
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[Math.floor(times.length / 2)] as number, states };
}

/**
 * Median time in ms of parsing `source` alone with oxc-parser, as `compile` does: the
 * floor of compile time, measured in the same run for `pnpm bench`'s ratio.
 */
export function measureParse(source: string, runs = 30, warmup = 10): number {
  const parse = () =>
    parseSync("big.ts", source, { lang: "ts", sourceType: "module", preserveParens: false });
  for (let i = 0; i < warmup; i++) parse();
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    parse();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] as number;
}

// Run as a script; imported (by the repository's bench), only the functions above.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const source = generateWorkflowSource();
  const { medianMs, states } = measureCompile(source);
  const parseMs = measureParse(source);
  console.log(
    `compile: ${source.split("\n").length - 1} lines, ${states} top-level states, median ${medianMs.toFixed(1)} ms ` +
      `(target < 50 ms); parsing alone ${parseMs.toFixed(1)} ms`,
  );
}
