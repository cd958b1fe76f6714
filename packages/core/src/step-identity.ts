/**
 * The step-identity rule, shared by the replay engine and the compiler: a step's
 * identity is its name; the n-th use of the same name in one execution (n >= 2) is
 * `name#n`. Identities are what the journal records, what `info.key` ends with and
 * what the diagram shows.
 *
 * So that no name a user writes can spell the identity of another operation, a name
 * may not end in `#` followed by digits (`charge#2`): that suffix is reserved for
 * occurrences ({@link reservedSuffixProblem}). `#` elsewhere (`a#b`, `#1x`) is allowed.
 * With that, {@link parseStepIdentity} is the exact inverse of {@link stepIdentity}.
 *
 * @example
 * const ids = new StepIdentities();
 * ids.next("email"); // "email"
 * ids.next("email"); // "email#2"
 * parseStepIdentity("email#2"); // { name: "email", occurrence: 2 }
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

/** A name ending in this is refused: the suffix belongs to occurrences. */
const OCCURRENCE_SUFFIX = /#[0-9]+$/;

/**
 * The identity of the `occurrence`-th (1-based) operation named `name`.
 *
 * @example
 * stepIdentity("charge", 1); // "charge"
 * stepIdentity("charge", 3); // "charge#3"
 */
export function stepIdentity(name: string, occurrence: number): string {
  return occurrence === 1 ? name : `${name}#${occurrence}`;
}

/**
 * The name and occurrence an identity was made from: the inverse of
 * {@link stepIdentity} for every name the rule allows. A suffix `#n` is an occurrence
 * when n is written as stepIdentity writes it (2 or more, no leading zero); anything
 * else is part of the name (journals written before the rule).
 *
 * @example
 * parseStepIdentity("charge#2"); // { name: "charge", occurrence: 2 }
 * parseStepIdentity("a#b");      // { name: "a#b", occurrence: 1 }
 */
export function parseStepIdentity(identity: string): { name: string; occurrence: number } {
  const match = /^([\s\S]*)#([1-9][0-9]*)$/.exec(identity);
  const occurrence = match ? Number(match[2]) : 1;
  if (!match || occurrence < 2 || !Number.isSafeInteger(occurrence)) return { name: identity, occurrence: 1 };
  return { name: match[1] as string, occurrence };
}

/**
 * Why `name` cannot be an operation name under the rule, or undefined when it can.
 *
 * @example
 * reservedSuffixProblem("charge#2"); // 'ends in "#2", ...'
 * reservedSuffixProblem("a#b");      // undefined
 */
export function reservedSuffixProblem(name: string): string | undefined {
  const suffix = OCCURRENCE_SUFFIX.exec(name)?.[0];
  if (suffix === undefined) return undefined;
  return (
    `ends in "${suffix}": a "#" followed by digits at the end of a name is reserved for the occurrences ` +
    'of a repeated name (the second "charge" is "charge#2")'
  );
}
