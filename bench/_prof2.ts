import { createEngine, memoryStore, workflow } from "@stepline/core";
const tenSteps = workflow("bench-ten-steps", async (ctx, input: { n: number }) => {
  let total = input.n;
  for (let i = 0; i < 10; i++) total = await ctx.step(`step-${i}`, () => total + 1);
  return total;
});
const engine = createEngine({ store: memoryStore(), log: () => {}, pollInterval: 20 });
const worker = engine.worker({ workflows: [tenSteps], concurrency: 50 });
await worker.start();
const deadline = Date.now() + 4000; let done = 0; let n = 0;
const t = performance.now();
await Promise.all(Array.from({ length: 50 }, async () => { while (Date.now() < deadline) { const r = await engine.client.start(tenSteps, { n: n++ }); await r.result(); done++; } }));
console.log("steps/s", (done * 10) / ((performance.now() - t) / 1000));
await worker.stop();
