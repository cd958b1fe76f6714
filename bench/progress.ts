/**
 * A one-line progress display on stderr: redrawn in place on a terminal, a line every
 * second otherwise (CI logs).
 */
export class Progress {
  readonly #tty = Boolean(process.stderr.isTTY);
  readonly #started = new Map<string, number>();
  #lastLine = 0;

  update(label: string, count: number, unit: string): void {
    const now = Date.now();
    if (!this.#started.has(label)) this.#started.set(label, now);
    if (!this.#tty && now - this.#lastLine < 1_000) return;
    if (this.#tty && now - this.#lastLine < 100) return;
    this.#lastLine = now;
    const elapsed = ((now - (this.#started.get(label) ?? now)) / 1000).toFixed(1);
    const text = `  ${label}: ${count.toLocaleString("en-US")} ${unit} (${elapsed} s)`;
    process.stderr.write(this.#tty ? `\r\x1b[2K${text}` : `${text}\n`);
  }

  done(label: string): void {
    const elapsed = ((Date.now() - (this.#started.get(label) ?? Date.now())) / 1000).toFixed(1);
    const text = `  ${label}: done in ${elapsed} s`;
    process.stderr.write(this.#tty ? `\r\x1b[2K${text}\n` : `${text}\n`);
    this.#lastLine = 0;
  }
}
