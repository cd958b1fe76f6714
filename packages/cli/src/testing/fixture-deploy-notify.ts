/** Only the notify workflow of the new code (check-deploy.test.ts: the other workflows are skipped). */
export { notify } from "./fixture-deploy-new.js";
