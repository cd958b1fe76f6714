/**
 * Defines workflows and looks clean to the static reading, but imports a module the
 * reading does not follow (a .mjs file), which creates an engine at its top level:
 * the runtime guard (core's LOADING_DEFINITIONS) must stop it.
 */

export { engineStarted } from "./fixture-hidden-engine-start.mjs";
export { greet } from "./fixture-workflows.js";
