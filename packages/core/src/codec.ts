import { Packr } from "msgpackr";
import { EncryptionKeyError, sealedKeyId } from "./encryption.js";
import { EVENT_TYPES, type JournalEvent } from "./events.js";
import { findUnsafeMessagePack } from "./msgpack-guard.js";
import { CorruptJournalError, PayloadTooLargeError, SerializationError } from "./store-errors.js";

/** An event sent to an execution's inbox, as the inbox stores it. */
export interface InboxEntry {
  name: string;
  payload: unknown;
  at: number;
  /**
   * Set for a `client.update` request (updates.ts): its update id. Such an entry is
   * never an event: no `ctx.waitForEvent` receives it.
   */
  update?: string;
}

/**
 * Turns bytes into bytes after encoding and back before decoding: the seam for
 * compression or encryption of everything the store keeps.
 */
export interface ByteTransform {
  encode(bytes: Uint8Array): Uint8Array;
  decode(bytes: Uint8Array): Uint8Array;
}

export interface CodecOptions {
  /** Largest encoded event accepted, in bytes. Default 2 MiB. */
  maxEventBytes?: number;
  transform?: ByteTransform;
}

export const DEFAULT_MAX_EVENT_BYTES = 2 * 1024 * 1024;

const KNOWN_TYPES = new Set<string>(EVENT_TYPES);

/**
 * Encodes journal events and inbox entries as standard MessagePack (msgpackr with
 * `useRecords: false`: any MessagePack reader can read a journal; the one extension
 * used besides the standard timestamp is msgpackr's type 0 for `undefined`, kept so
 * that a step returning nothing replays as `undefined`, not `null`), enforcing the
 * size limit, and decodes them with a shape check so that an unreadable entry is a
 * {@link CorruptJournalError}, never a crash.
 */
export class Codec {
  readonly maxEventBytes: number;
  // copyBuffers, and decoding from a plain Uint8Array view: a decoded Uint8Array is then a
  // fresh Uint8Array, as the live run saw it, not a Node Buffer aliasing the stored bytes
  // (client.test.ts "accepts plain data that survives the journal unchanged").
  readonly #packr = new Packr({
    useRecords: false,
    moreTypes: false,
    mapsAsObjects: true,
    copyBuffers: true,
  });
  readonly #transform: ByteTransform | undefined;

  constructor(options: CodecOptions = {}) {
    this.maxEventBytes = options.maxEventBytes ?? DEFAULT_MAX_EVENT_BYTES;
    this.#transform = options.transform;
  }

  /** Encodes an event; `what` names it in a PayloadTooLargeError. */
  encode(value: JournalEvent | InboxEntry, what: string): Uint8Array {
    return this.#finish(this.#packr.pack(value), what);
  }

  /**
   * Encodes an event and returns, with the bytes, the copy a replay will decode from
   * them: unpacked from the MessagePack before the transform, so the copy costs no
   * decryption or decompression. A value the decoder would refuse (nested deeper than
   * its limit) is a SerializationError now, not an unreadable journal later.
   *
   * @example
   * const { bytes, copy } = codec.encodeWithCopy(event, "StepSucceeded event (op 3)");
   */
  encodeWithCopy<T extends JournalEvent>(value: T, what: string): { bytes: Uint8Array; copy: T } {
    const plain: Uint8Array = this.#packr.pack(value);
    const unsafe = findUnsafeMessagePack(plain);
    if (unsafe) throw new SerializationError(what, "$", `a value that cannot be read back (${unsafe})`);
    // Unpacked before #finish: the packer may reuse its buffer on the next pack.
    const copy = this.#packr.unpack(new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength)) as T;
    return { bytes: this.#finish(plain, what), copy };
  }

  #finish(packed: Uint8Array, what: string): Uint8Array {
    const bytes = this.#transform ? this.#transform.encode(packed) : packed;
    if (bytes.byteLength > this.maxEventBytes) {
      throw new PayloadTooLargeError(what, bytes.byteLength, this.maxEventBytes);
    }
    return bytes;
  }

  decodeEvent(bytes: Uint8Array, executionId: string, seq: number): JournalEvent {
    const value = this.#decode(bytes, executionId, seq) as Partial<JournalEvent> | null;
    if (
      value === null ||
      typeof value !== "object" ||
      typeof value.type !== "string" ||
      !KNOWN_TYPES.has(value.type) ||
      value.seq !== seq ||
      typeof value.at !== "number"
    ) {
      throw new CorruptJournalError(executionId, seq, "not a journal event of a known type at this position");
    }
    return value as JournalEvent;
  }

  decodeInboxEntry(bytes: Uint8Array, executionId: string, seq: number): InboxEntry {
    const value = this.#decode(bytes, executionId, seq) as Partial<InboxEntry> | null;
    if (value === null || typeof value !== "object" || typeof value.name !== "string") {
      throw new CorruptJournalError(executionId, seq, "inbox entry is not an event");
    }
    return value as InboxEntry;
  }

  #decode(bytes: Uint8Array, executionId: string, seq: number): unknown {
    // Sealed by encryption at rest and read without its key (a tool given none): say so.
    const keyId = sealedKeyId(bytes);
    if (keyId !== undefined) throw new EncryptionKeyError(keyId, []);
    if (bytes.byteLength > this.maxEventBytes) {
      throw new CorruptJournalError(executionId, seq, `${bytes.byteLength} bytes, above the limit`);
    }
    try {
      const plain = this.#transform ? this.#transform.decode(bytes) : bytes;
      const unsafe = findUnsafeMessagePack(plain);
      if (unsafe) throw new Error(unsafe);
      return this.#packr.unpack(new Uint8Array(plain.buffer, plain.byteOffset, plain.byteLength));
    } catch (error) {
      throw new CorruptJournalError(executionId, seq, (error as Error).message);
    }
  }
}

/**
 * Checks that `value` is plain data that survives a MessagePack round trip
 * unchanged, so the value a workflow sees live is the value it sees on replay.
 * Throws {@link SerializationError} naming the path of the first offender.
 */
export function assertPlainData(value: unknown, what: string): void {
  checkValue(value, what, "$", new Set());
}

function checkValue(value: unknown, what: string, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case "string":
    case "number":
    case "boolean":
    case "undefined":
      return;
    case "function":
      throw new SerializationError(what, path, "a function");
    case "symbol":
      throw new SerializationError(what, path, "a symbol");
    case "bigint":
      throw new SerializationError(what, path, "a BigInt (convert it to a string)");
  }
  if (value === null || value instanceof Date || value instanceof Uint8Array) return;
  const object = value as object;
  if (ancestors.has(object)) throw new SerializationError(what, path, "a circular reference");
  ancestors.add(object);
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) checkValue(object[i], what, `${path}[${i}]`, ancestors);
  } else {
    const proto = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind =
        object instanceof Map ? "a Map (convert it with Object.fromEntries)" : describeInstance(proto);
      throw new SerializationError(what, path, kind);
    }
    for (const key of Object.keys(object)) {
      // Decoding renames such a key (it must never reach a prototype), so it would not replay as written.
      if (key === "__proto__")
        throw new SerializationError(what, `${path}.__proto__`, "a key named __proto__");
      checkValue((object as Record<string, unknown>)[key], what, `${path}.${key}`, ancestors);
    }
  }
  ancestors.delete(object);
}

function describeInstance(proto: object): string {
  const name = (proto.constructor as { name?: string } | undefined)?.name || "an unnamed class";
  return `an instance of ${name} (journal plain objects, e.g. { ...value } or value.toJSON())`;
}
