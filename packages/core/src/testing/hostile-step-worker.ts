/**
 * Child of thrown-values.process.test.ts: one engine on a memory store that runs, for
 * each hostile value, an execution whose step throws it and one whose workflow code
 * throws it, plus an unrelated plain execution; prints one JSON line per execution
 * (`{ id, status, name }`) and then `done`. A serializer that throws shows as this
 * process dying (an unhandled rejection) before `done`.
 *
 * Usage: node --conditions=@stepline/source --import tsx hostile-step-worker.ts
 */
import { createEngine, memoryStore, workflow } from "../index.js";
import { hostile } from "./hostile-values.js";

const make = (key: string) => (hostile[key] as () => unknown)();

const inStep = workflow("throwsInStep", async (ctx, key: string) => {
  await ctx.step(
    "explode",
    () => {
      throw make(key);
    },
    { retry: { maxAttempts: 1 } },
  );
});
const inWorkflow = workflow("throwsInWorkflow", async (ctx, key: string) => {
  await ctx.step("before", () => 1);
  throw make(key);
});
const plain = workflow("plain", async (ctx, n: number) => (await ctx.step("double", () => n * 2)) + 1);

const engine = createEngine({ store: memoryStore(), log: () => {}, pollInterval: 20 });
const worker = engine.worker({ workflows: [inStep, inWorkflow, plain], leaseMs: 2_000 });
await worker.start();
const runs = [];
for (const [i, key] of Object.keys(hostile).entries()) {
  runs.push(await engine.client.start(inStep, key, { id: `step-${i}` }));
  runs.push(await engine.client.start(inWorkflow, key, { id: `workflow-${i}` }));
}
const unrelated = await engine.client.start(plain, 20, { id: "unrelated" });
for (const run of [...runs, unrelated]) {
  let name: string | null = null;
  let output: unknown = null;
  try {
    output = await run.result({ timeout: "20s" });
  } catch (error) {
    name = (error as Error).name;
  }
  const { status } = await run.describe();
  process.stdout.write(`${JSON.stringify({ id: run.id, status, name, output })}\n`);
}
await worker.stop();
await engine.close();
process.stdout.write("done\n");
