/**
 * Which workflow each recently seen execution belongs to, so that a change under a
 * lease (release, renew) can write its due-index hint without first reading the
 * record. An execution's workflow never changes, so an entry is never stale; the
 * cache only forgets, oldest first, past `capacity`.
 */
export class WorkflowCache {
  readonly #entries = new Map<string, string>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  get(id: string): string | undefined {
    return this.#entries.get(id);
  }

  set(id: string, workflow: string): void {
    if (this.#entries.has(id)) return;
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, workflow);
  }
}
