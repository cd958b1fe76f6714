#!/usr/bin/env node
/** The `stepline` binary: runs `main` on the process's arguments and streams. */
import { processIo } from "./io.js";
import { main } from "./main.js";

process.exitCode = await main(process.argv.slice(2), processIo());
