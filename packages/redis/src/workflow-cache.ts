import type { Lane } from "./due-index.js";

/**
 * Which due-index lane (workflow and version) each recently seen execution is in, so
 * that a change under a lease (release, renew) can write its hint without first reading
 * the record. The workflow never changes; the version changes only at continue-as-new,
 * and an entry made stale by another process is caught by the reply: the store then
 * syncs the record's own lane too (redis-store.ts `changeDue`). The cache forgets,
 * oldest first, past `capacity`.
 */
export class WorkflowCache {
  readonly #entries = new Map<string, Lane>();
  readonly #capacity: number;

  constructor(capacity = 10_000) {
    this.#capacity = capacity;
  }

  get(id: string): Lane | undefined {
    return this.#entries.get(id);
  }

  set(id: string, lane: Lane): void {
    const known = this.#entries.get(id);
    if (known) {
      if (known.workflow !== lane.workflow || known.version !== lane.version) this.#entries.set(id, lane);
      return;
    }
    if (this.#entries.size >= this.#capacity) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(id, lane);
  }
}
