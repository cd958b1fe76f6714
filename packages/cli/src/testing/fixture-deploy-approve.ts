/** Only approve of the new code, re-exported: the compiler cannot read it here (check-deploy.test.ts). */
export { approve } from "./fixture-deploy-new.js";
