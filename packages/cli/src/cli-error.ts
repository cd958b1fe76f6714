/**
 * An error the CLI reports as one line and an exit code: 2 for a usage error (bad
 * flag, missing argument), 1 for a failure (unknown id, unreachable store).
 *
 * @example
 * throw new CliError(`no execution "${id}" in ${store.label}`);
 * throw new CliError("--limit must be a positive integer", 2);
 */
export class CliError extends Error {
  override name = "CliError";
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * A usage error: exit code 2.
 *
 * @example
 * throw usageError("inspect needs an execution id");
 */
export function usageError(message: string): CliError {
  return new CliError(message, 2);
}
