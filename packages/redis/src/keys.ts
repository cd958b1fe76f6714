import { assertIdentifier, InvalidArgumentError, identifierProblem } from "@stepline/core";

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The keys of one execution. They share the hash tag `{<prefix>:<id>}`, so one slot. */
export interface ExecutionKeys {
  /** Hash: the execution record (record-codec.ts lists the fields). */
  readonly record: string;
  /** List: the journal entries, raw bytes, index = seq. */
  readonly journal: string;
  /** List: the inbox entries, raw bytes, index = inbox seq. */
  readonly inbox: string;
}

/** The lifecycle indexes of a prefix (lifecycle-index.ts). Tagged `{<prefix>}`: one slot. */
export interface LifecycleKeys {
  /** Hash: execution id -> "<rev>\t<status>\t<workflow>", what the counts hold for it. */
  readonly members: string;
  /** Hash: "s:<status>" and "w:<status>\t<workflow>" -> how many executions. */
  readonly counts: string;
  /** Sorted set: execution id -> finish time (updatedAt of the terminal record). */
  readonly finished: string;
  /** String: set once the indexes cover every execution of the prefix. */
  readonly built: string;
}

/** The search attribute index of a prefix (attribute-index.ts). Tagged `{<prefix>}`: one slot. */
export interface AttributeKeys {
  /** Hash: execution id -> "<rev>\t<JSON array of its entries>", what the index holds for it. */
  readonly members: string;
  /** Sorted set, scores 0: "<name>\t<bytes>:<typed value>\t<id>", read by ZRANGEBYLEX. */
  readonly entries: string;
}

/** The due index of one workflow. Its keys share the hash tag `{<prefix>:q:<workflow>}`. */
export interface QueueKeys {
  /** Sorted set: execution id -> the earliest time it may be due (a hint; the record decides). */
  readonly due: string;
  /** Hash: execution id -> the sequence number of the last script that touched its entry. */
  readonly marks: string;
  /** Hash: execution id -> "<count> <time>": hints written whose record change is not yet synced. */
  readonly pending: string;
  /** String: the counter that `marks` values come from (never reused, so never confused). */
  readonly seq: string;
}

/**
 * Every key name of a store, built from its prefix (default "sl"). This is the only
 * module that spells a key (ARCHITECTURE.md, "Keys").
 *
 * A hash tag is the text between the first `{` and the next `}`; Redis Cluster puts
 * keys with the same tag in the same slot, and a Lua script may only touch keys of
 * one slot. Per-execution keys are tagged with the execution, queue keys with the
 * workflow. Ids and workflow names may contain any character, braces included: the
 * tag then ends early, but it ends at the same place in every key of that execution
 * or queue, so they still share a slot. Suffixes are chosen so that no key of one
 * kind can spell a key of another.
 */
export class KeySpace {
  readonly prefix: string;
  /** Sorted set: execution id -> createdAt, for `executions.list` (its own slot). */
  readonly created: string;
  /** Pub/sub channel on which a write that makes work due wakes the workers of every process. */
  readonly wakeChannel: string;
  /** Pub/sub channel carrying the id of each execution that ended or was parked. */
  readonly finishedChannel: string;
  /** Hash: workflow -> "<at> <workerId>", the latest worker announcement of each workflow (its own slot). */
  readonly workers: string;

  constructor(prefix = "sl") {
    assertIdentifier(prefix, "Redis key prefix", "redisStore");
    this.prefix = prefix;
    this.created = `{${prefix}}:created`;
    this.wakeChannel = `{${prefix}}:wake`;
    this.finishedChannel = `{${prefix}}:finished`;
    this.workers = `{${prefix}}:workers`;
  }

  /**
   * Refuses an id or workflow name that Redis cannot keep exactly: key names and
   * fields travel as UTF-8, where an unpaired surrogate becomes U+FFFD, so the
   * execution would live under another id than the one it was created with. Core
   * refuses these at the public boundary; this stops a store-level write.
   */
  static assertStorable(what: "execution id" | "workflow name", value: string): void {
    if (!UNPAIRED_SURROGATE.test(value)) return;
    const problem = identifierProblem(value, Number.POSITIVE_INFINITY);
    throw new InvalidArgumentError(
      `redisStore: cannot store the ${what} ${JSON.stringify(value.slice(0, 80))}: it ${problem}. ` +
        "Redis keys and fields hold UTF-8, so it would not come back as written; use well-formed text.",
    );
  }

  // --- Lifecycle indexes (counts, finish times; lifecycle-index.ts) -----------------
  /**
   * The count and finish-time indexes, in the prefix's slot (with `created`, so that
   * one script can drop a deleted execution from all of them).
   */
  lifecycle(): LifecycleKeys {
    const tag = `{${this.prefix}}`;
    return {
      members: `${tag}:members`,
      counts: `${tag}:counts`,
      finished: `${tag}:finished`,
      built: `${tag}:indexed`,
    };
  }

  /** The search attribute index, in the prefix's slot with the lifecycle indexes. */
  attributes(): AttributeKeys {
    const tag = `{${this.prefix}}`;
    return { members: `${tag}:attr-members`, entries: `${tag}:attrs` };
  }

  execution(id: string): ExecutionKeys {
    const tag = `{${this.prefix}:${id}}`;
    return { record: `${tag}:rec`, journal: `${tag}:journal`, inbox: `${tag}:inbox` };
  }

  /**
   * List: the journal of run `run` of execution `id`, once continue-as-new closed it. In
   * the execution's hash tag (one slot with its other keys); it ends in digits, which no
   * other suffix does, so no id spells another execution's run key.
   */
  runJournal(id: string, run: number): string {
    return `{${this.prefix}:${id}}:journal:run:${run}`;
  }

  /**
   * The due index of one version of a workflow (docs/versioning.md): version 1 has the
   * keys written before versions (`{sl:q:<workflow>}:due`, ...), so a store written then
   * needs no migration; version N > 1 has `{sl:q:<workflow>}:v<N>:due`, ... in the same
   * hash tag. No other key ends in `:v<N>:due|marks|pending|seq`.
   */
  queue(workflow: string, version = 1): QueueKeys {
    const tag = `{${this.prefix}:q:${workflow}}`;
    const lane = version === 1 ? tag : `${tag}:v${version}`;
    return { due: `${lane}:due`, marks: `${lane}:marks`, pending: `${lane}:pending`, seq: `${lane}:seq` };
  }

  /**
   * Set: the versions above 1 that have a due index for `workflow`, so a claim that
   * accepts any version (no `ClaimRequest.versions` for it) knows which to read. In the
   * workflow's queue tag; added to before the first hint of such a version.
   */
  queueVersions(workflow: string): string {
    return `{${this.prefix}:q:${workflow}}:versions`;
  }

  /**
   * SCAN MATCH patterns that cover every key of this prefix (and of no other prefix
   * that is not `<prefix>:...`), for tooling and test cleanup.
   */
  patterns(): string[] {
    const escaped = this.prefix.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
    return [`{${escaped}:*`, `{${escaped}}*`];
  }
}
