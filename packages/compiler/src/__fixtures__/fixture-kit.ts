/**
 * What fixture workflows share: an input that drives every branch, and step bodies
 * that fail or succeed as the input says. Test support only: not part of the package.
 */
import type { StepInfo } from "@stepline/core";

export interface FixtureInput {
  /** Steps (by base name) whose every attempt fails. */
  fail?: string[];
  /** Steps whose first attempt fails and second succeeds. */
  flaky?: string[];
  /** Steps whose first attempt hangs until its signal is aborted (a step timeout). */
  hang?: string[];
  /** Conditions that hold. */
  flags?: string[];
  items?: string[];
  count?: number;
  kind?: "a" | "b" | "c";
  /** Events the test sends at the start; a wait for one not sent times out. */
  send?: string[];
}

/** The vocabulary a fixture's inputs are drawn from. */
export interface Vocabulary {
  steps: string[];
  flags?: string[];
  events?: string[];
}

/** A step body: fails as `input` says for `key`, else returns `key`. */
export function body(input: FixtureInput, key: string) {
  return (info: StepInfo): string | Promise<string> => {
    if (input.fail?.includes(key)) throw new Error(`${key} failed`);
    if (input.hang?.includes(key) && info.attempt === 1) {
      return new Promise((_, reject) =>
        info.signal.addEventListener("abort", () => reject(new Error(`${key} hung`))),
      );
    }
    if (input.flaky?.includes(key) && info.attempt === 1) throw new Error(`${key} failed once`);
    return key;
  };
}

/** True when the input turns this condition on. */
export function flag(input: FixtureInput, name: string): boolean {
  return input.flags?.includes(name) ?? false;
}
