/**
 * The step-identity rule, shared by the replay engine and the compiler: a step's
 * identity is its name; the n-th use of the same name in one execution (n >= 2) is
 * `name#n`. Identities are what the journal records and what the diagram shows.
 *
 * @example
 * const ids = new StepIdentities();
 * ids.next("email"); // "email"
 * ids.next("email"); // "email#2"
 */
export class StepIdentities {
  readonly #counts = new Map<string, number>();

  /** The identity of the next operation named `name`. */
  next(name: string): string {
    const count = (this.#counts.get(name) ?? 0) + 1;
    this.#counts.set(name, count);
    return stepIdentity(name, count);
  }
}

/** The identity of the `occurrence`-th (1-based) operation named `name`. */
export function stepIdentity(name: string, occurrence: number): string {
  return occurrence === 1 ? name : `${name}#${occurrence}`;
}
