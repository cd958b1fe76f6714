import { stepIdentity } from "@stepline/core";
import type { Machine, SourceLocation, State, SucceedState } from "./ir.js";

/**
 * A forward reference to where control goes. The compiler works backwards from a
 * continuation (compile `a; b` by compiling `b` first, then `a` in front of it), so
 * a transition often names a place that does not exist yet: a loop's head, the
 * code after a `try`. Refs are linked to a state, to another ref, or to the end of
 * a machine, and resolved once the whole machine is built.
 */
export class Ref {
  target: State | Ref | MachineDraft | undefined;

  constructor(target?: State | Ref | MachineDraft) {
    this.target = target;
  }

  /** Points this ref at `target`; each ref is linked once. */
  link(target: Ref): void {
    if (this.target !== undefined) throw new Error("internal: a ref was linked twice");
    this.target = target;
  }
}

/** A state with the offset it was written at, for naming and numbering in source order. */
interface Placed {
  state: State;
  offset: number;
  order: number;
}

/** A machine under construction: its states, the ref of its end, the ref of its start. */
export class MachineDraft {
  readonly placed: Placed[] = [];
  /** Where control goes when the machine is done: falling off the end of the function or branch. */
  readonly end: Ref;
  readonly start = new Ref();
  /** Set once a Choice or Catch needs a state to point at for "the end". */
  endState: SucceedState | undefined;

  constructor() {
    this.end = new Ref(this);
  }
}

/**
 * "omit": the end of the machine is no state, the field is dropped (End: true).
 * "state": the field must name a state, so the end becomes a Succeed state.
 */
type AtEnd = "omit" | "state";
type LinkField = { owner: object; key: string; ref: Ref; machine: MachineDraft; atEnd: AtEnd };

/** Turns a field of a state (`next`, `catch`, a rule's `next`) into a ref to fill in at the end. */
export class MachineBuilder {
  readonly root = new MachineDraft();
  readonly #links: LinkField[] = [];
  readonly #drafts: MachineDraft[] = [this.root];
  readonly #subMachines = new Map<MachineDraft, Machine>();
  #order = 0;
  readonly #idPrefix: string;

  /** `idPrefix` starts every state id: an update handler's machine has ids of its own (`u1s1`). */
  constructor(idPrefix = "s") {
    this.#idPrefix = idPrefix;
  }

  /** A new sub-machine (a Parallel branch, a Map iterator). */
  subMachine(): MachineDraft {
    const draft = new MachineDraft();
    this.#drafts.push(draft);
    return draft;
  }

  /** The machine object a sub-machine draft becomes: put it in a Parallel's branches or a Map's iterator. */
  machineOf(draft: MachineDraft): Machine {
    let machine = this.#subMachines.get(draft);
    if (!machine) {
      machine = { startAt: "", states: [] };
      this.#subMachines.set(draft, machine);
    }
    return machine;
  }

  /** Adds a state to `draft` and returns a ref to it. */
  add(draft: MachineDraft, state: State, offset: number): Ref {
    draft.placed.push({ state, offset, order: this.#order++ });
    return new Ref(state);
  }

  /** Records that `owner[key]` is the id of whatever `ref` resolves to. */
  link(draft: MachineDraft, owner: object, key: string, ref: Ref, atEnd: AtEnd = "state"): void {
    this.#links.push({ owner, key, ref, machine: draft, atEnd });
  }

  /**
   * Keeps a place in the order states are added in, for states compiled later (the
   * copy of a `finally` after its `try`, compiled once the try shows it is reached):
   * {@link placeSince} moves them there, so their names (`release` before `release#2`)
   * are what they would be had they been compiled first.
   */
  reserveOrder(): { slot: number; since: () => number } {
    const slot = this.#order++;
    return { slot, since: () => this.#order };
  }

  /** Moves every state added since order `since` into the reserved `slot`, keeping their relative order. */
  placeSince(slot: number, since: number): void {
    const span = this.#order - since + 1;
    for (const draft of this.#drafts) {
      for (const placed of draft.placed) {
        if (placed.order >= since) placed.order = slot + (placed.order - since + 1) / span;
      }
    }
  }

  /**
   * True when some transition recorded so far, or `from`, leads to `ref` (through any
   * chain of refs). A place nothing leads to gets no states: the code after a `try`
   * whose every way out returns or throws (try-compiler.ts).
   */
  leadsTo(ref: Ref, from?: Ref): boolean {
    const reaches = (start: Ref): boolean => {
      let current: State | Ref | MachineDraft | undefined = start;
      const seen = new Set<Ref>();
      while (current instanceof Ref && !seen.has(current)) {
        if (current === ref) return true;
        seen.add(current);
        current = current.target;
      }
      return false;
    };
    return (from !== undefined && reaches(from)) || this.#links.some((link) => reaches(link.ref));
  }

  /** Moves a state to an earlier place in the source: a "may throw" Choice that took in the code before it (plain-throws.ts). */
  moveTo(draft: MachineDraft, state: State, offset: number): void {
    const placed = draft.placed.find((entry) => entry.state === state);
    if (placed) placed.offset = offset;
  }

  /** Removes a state that was merged into another (an `else if` Choice into its parent). */
  remove(draft: MachineDraft, state: State): void {
    const index = draft.placed.findIndex((placed) => placed.state === state);
    if (index >= 0) draft.placed.splice(index, 1);
    for (let i = this.#links.length - 1; i >= 0; i--) {
      const link = this.#links[i] as LinkField;
      if (link.owner === state) this.#links.splice(i, 1);
    }
  }

  /**
   * Resolves every ref, numbers states `s1, s2, ...` in source order, makes names
   * unique (`email`, `email#2`: the step-identity rule's suffix) and returns the
   * root machine. `loc` is where an end state made for the root points.
   */
  finish(endLocation: SourceLocation, endOffset: number): Machine {
    for (const draft of this.#drafts) {
      this.link(draft, this.machineOf(draft), "startAt", draft.start);
    }
    // Resolve first (this may add end states), then number and name.
    const home = new Map<State, MachineDraft>();
    for (const draft of this.#drafts) for (const placed of draft.placed) home.set(placed.state, draft);
    const resolved = this.#links.map((link) => ({ link, target: this.#resolve(link.ref) }));
    for (const { link, target } of resolved) {
      const targetDraft = target instanceof MachineDraft ? target : home.get(target);
      if (targetDraft !== link.machine) throw new Error("internal: a transition leaves its machine");
      if (target instanceof MachineDraft && link.atEnd === "state") {
        this.#ensureEndState(target, endLocation, endOffset);
      }
    }
    const everything = this.#drafts.flatMap((draft) => draft.placed);
    everything.sort((a, b) => a.offset - b.offset || a.order - b.order);
    const used = new Map<string, number>();
    everything.forEach((placed, index) => {
      placed.state.id = `${this.#idPrefix}${index + 1}`;
      placed.state.name = uniqueName(placed.state.name, used);
    });
    for (const { link, target } of resolved) {
      const owner = link.owner as Record<string, unknown>;
      if (target instanceof MachineDraft) {
        if (link.atEnd === "omit") delete owner[link.key];
        else owner[link.key] = (target.endState as SucceedState).id;
      } else {
        owner[link.key] = target.id;
      }
    }
    for (const draft of this.#drafts) {
      const machine = this.machineOf(draft);
      machine.states = [...draft.placed].sort((a, b) => a.order - b.order).map((placed) => placed.state);
      machine.states.sort((a, b) => Number(a.id.slice(1)) - Number(b.id.slice(1)));
    }
    return this.machineOf(this.root);
  }

  #ensureEndState(draft: MachineDraft, loc: SourceLocation, offset: number): void {
    if (draft.endState) return;
    const state: SucceedState = { id: "", kind: "succeed", name: "End", loc };
    draft.endState = state;
    draft.placed.push({ state, offset, order: this.#order++ });
  }

  #resolve(ref: Ref): State | MachineDraft {
    const seen = new Set<Ref>();
    let current: State | Ref | MachineDraft | undefined = ref;
    while (current instanceof Ref) {
      if (seen.has(current)) throw new Error("internal: a cycle of refs that reaches no state");
      seen.add(current);
      current = current.target;
    }
    if (current === undefined) throw new Error("internal: a ref was never linked");
    return current;
  }
}

const MAX_NAME = 72;

/** Truncates to fit ASL's 80-character limit with room for `#n`, and makes it unique. */
function uniqueName(name: string, used: Map<string, number>): string {
  const base = name.length > MAX_NAME ? `${name.slice(0, MAX_NAME - 1)}…` : name;
  if (!used.has(base)) {
    used.set(base, 1);
    return base;
  }
  let count = used.get(base) as number;
  let candidate: string;
  // A user may have named a step "x#2" too: skip names already taken.
  do {
    count += 1;
    candidate = stepIdentity(base, count);
  } while (used.has(candidate));
  used.set(base, count);
  used.set(candidate, 1);
  return candidate;
}
