// An index module: what it passes on is followed to where it is declared.
export * from "./steps.js";
export { sendWelcome as welcomeFlow } from "./welcome.js";
