/**
 * ANSI colour for human output, on only for a terminal and never when `NO_COLOR` is
 * set to a non-empty value (https://no-color.org).
 */
export interface Colour {
  readonly enabled: boolean;
  /** Colours a status word: green succeeded, red failed, yellow waiting, ... */
  status(status: string): string;
  dim(text: string): string;
  bold(text: string): string;
}

const CODES: Record<string, number> = {
  succeeded: 32,
  failed: 31,
  blocked: 31,
  cancelled: 35,
  timed_out: 91,
  running: 36,
  retrying: 33,
  sleeping: 34,
  waiting: 33,
};

/**
 * Decides whether to colour from the terminal and the environment.
 *
 * @example
 * const colour = colourFor(io);
 * io.stdout(`${colour.status("failed")}\n`);
 */
export function colourFor(io: { isTTY: boolean; env: Readonly<Record<string, string | undefined>> }): Colour {
  const enabled = io.isTTY && !io.env.NO_COLOR;
  const wrap = (code: number, text: string) => (enabled ? `\u001b[${code}m${text}\u001b[0m` : text);
  return {
    enabled,
    status: (status) => {
      const code = CODES[status];
      return code === undefined ? status : wrap(code, status);
    },
    dim: (text) => wrap(2, text),
    bold: (text) => wrap(1, text),
  };
}

/** Length of the text as shown: without ANSI escapes. */
export function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: matching ANSI escapes is the point.
  return text.replace(/\u001b\[[0-9;]*m/g, "").length;
}
