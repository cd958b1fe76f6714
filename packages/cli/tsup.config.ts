import { defineConfig } from "tsup";
import base from "../../tsup.config.base.js";

/**
 * The shared build, with the binary as a second entry. src/cli.ts begins with its
 * `#!/usr/bin/env node` line, which esbuild keeps at the top of dist/cli.js.
 */
export default defineConfig({
  ...(base as object),
  entry: ["src/index.ts", "src/cli.ts"],
});
