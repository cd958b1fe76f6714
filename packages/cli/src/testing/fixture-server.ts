/**
 * A service's entry point, as a user might point `stepline replay-check --workflow`
 * at it by mistake: it opens the store, starts a worker and listens on a port at its
 * top level. The CLI tests check that replay-check refuses it without running any of it.
 */
import { createServer } from "node:http";
import { createEngine } from "@stepline/core";
import { lmdbStore } from "@stepline/lmdb";
import { approval, flaky, greet } from "./fixture-workflows.js";

export { approval, flaky, greet };

const engine = createEngine({ store: lmdbStore(process.env.STEPLINE_STORE ?? ".stepline") });
const worker = engine.worker({ workflows: [greet, flaky, approval] });
await worker.start();
createServer((_, response) => response.end("ok")).listen(Number(process.env.FIXTURE_PORT ?? 4811));
