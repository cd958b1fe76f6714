/**
 * Encryption at rest (docs/stores.md, "Encryption at rest"): every journal and inbox
 * entry the engine writes is sealed with AES-256-GCM through WebCrypto before it reaches
 * the store, and opened after it is read, so the store (LMDB's files, Redis's memory and
 * its AOF) holds only ciphertext. Records (status, workflow, search attributes) are not
 * encrypted: the store reads them to schedule.
 *
 * The seam is the store: every Store method that carries entry bytes is async, so a
 * wrapper ({@link encryptedStore}) can run WebCrypto's async cipher there, and the
 * engine, the CLI and the inspector use it the same way. Each sealed entry names its key:
 *
 *   "SLE1" | key id length (1 byte) | key id (UTF-8) | IV (12 bytes) | ciphertext and tag
 *
 * so keys rotate without rewriting journals: `currentKeyId` seals new entries, and every
 * key in `keys` opens the entries sealed with it. An entry without the prefix (written
 * before encryption was turned on) is read as it is.
 */

import { guard, InvalidArgumentError, SteplineError } from "./errors.js";
import type { Claim, Store } from "./store.js";
import { CorruptJournalError } from "./store-errors.js";

const MAGIC = [0x53, 0x4c, 0x45, 0x31]; // "SLE1"
/** WebCrypto's key, named through the runtime's own typing (no DOM lib in core). */
type CipherKey = Awaited<ReturnType<typeof globalThis.crypto.subtle.importKey>>;
const IV_BYTES = 12;

/**
 * An entry was sealed with a key this process was not given: the journal is intact,
 * it cannot be read here. Give the key (`encryptionCodec({ keys })`, `stepline
 * --key-file`).
 *
 * @example
 * if (EncryptionKeyError.is(error)) console.log(error.keyId);
 */
export class EncryptionKeyError extends SteplineError {
  override readonly code = "STEPLINE_ENCRYPTION_KEY";
  override name = "EncryptionKeyError";
  readonly keyId: string;
  constructor(keyId: string, known: readonly string[]) {
    super(
      `An entry is encrypted with key "${keyId}", which is not among the keys given ` +
        `(${known.length > 0 ? known.map((k) => `"${k}"`).join(", ") : "none"}). Pass that key: ` +
        "encryptionCodec({ keys: { ... } }), or `stepline --key-file FILE` / STEPLINE_KEY_FILE. " +
        "See docs/stores.md#encryption-at-rest.",
    );
    this.keyId = keyId;
  }
  static override is = guard<EncryptionKeyError>("STEPLINE_ENCRYPTION_KEY");
}

/** Options of {@link encryptionCodec}. */
export interface EncryptionOptions {
  /** Key id to 32-byte key (raw bytes, or base64). Ids are 1 to 255 bytes of UTF-8. */
  keys: Readonly<Record<string, Uint8Array | string>>;
  /** The key that seals new entries; one of `keys`. */
  currentKeyId: string;
}

/**
 * Seals and opens entry bytes with AES-256-GCM (WebCrypto). Pass it to `createEngine({
 * encryption })`, or wrap a store yourself with {@link encryptedStore}.
 *
 * @example
 * const encryption = encryptionCodec({ keys: { k1: keyFromYourSecretStore }, currentKeyId: "k1" });
 * const engine = createEngine({ store: lmdbStore("./.stepline"), encryption });
 */
export interface PayloadEncryption {
  readonly currentKeyId: string;
  seal(bytes: Uint8Array): Promise<Uint8Array>;
  /** Opens a sealed entry; an entry without the prefix is returned as it is. */
  open(bytes: Uint8Array): Promise<Uint8Array>;
}

export function encryptionCodec(options: EncryptionOptions): PayloadEncryption {
  const raw = checkKeys(options);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new InvalidArgumentError("encryptionCodec needs WebCrypto (globalThis.crypto.subtle).");
  const imported = new Map<string, Promise<CipherKey>>();
  const key = (id: string): Promise<CipherKey> => {
    let found = imported.get(id);
    if (!found) {
      const bytes = raw.get(id);
      if (!bytes) throw new EncryptionKeyError(id, [...raw.keys()]);
      found = subtle.importKey("raw", bytes, "AES-GCM", false, ["encrypt", "decrypt"]);
      imported.set(id, found);
    }
    return found;
  };
  const current = new TextEncoder().encode(options.currentKeyId);
  return {
    currentKeyId: options.currentKeyId,
    async seal(bytes) {
      const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const sealed = new Uint8Array(
        await subtle.encrypt({ name: "AES-GCM", iv }, await key(options.currentKeyId), bytes),
      );
      const out = new Uint8Array(MAGIC.length + 1 + current.length + IV_BYTES + sealed.length);
      out.set(MAGIC, 0);
      out[MAGIC.length] = current.length;
      out.set(current, MAGIC.length + 1);
      out.set(iv, MAGIC.length + 1 + current.length);
      out.set(sealed, MAGIC.length + 1 + current.length + IV_BYTES);
      return out;
    },
    async open(bytes) {
      const header = sealedHeader(bytes);
      if (!header) return bytes;
      const iv = bytes.subarray(header.ivAt, header.ivAt + IV_BYTES);
      const body = bytes.subarray(header.ivAt + IV_BYTES);
      try {
        return new Uint8Array(await subtle.decrypt({ name: "AES-GCM", iv }, await key(header.keyId), body));
      } catch (error) {
        if (EncryptionKeyError.is(error)) throw error;
        throw new CorruptJournalError(
          "?",
          -1,
          `an entry sealed with key "${header.keyId}" does not open with it`,
        );
      }
    },
  };
}

/**
 * The key id of a sealed entry, or undefined for one that is not sealed: how tools
 * without the key say "encrypted" instead of failing to decode.
 *
 * @example
 * sealedKeyId(bytes); // "k1"
 */
export function sealedKeyId(bytes: Uint8Array): string | undefined {
  return sealedHeader(bytes)?.keyId;
}

function sealedHeader(bytes: Uint8Array): { keyId: string; ivAt: number } | undefined {
  if (bytes.length < MAGIC.length + 1 || MAGIC.some((b, i) => bytes[i] !== b)) return undefined;
  const length = bytes[MAGIC.length] as number;
  const ivAt = MAGIC.length + 1 + length;
  if (length === 0 || bytes.length < ivAt + IV_BYTES + 16) return undefined;
  return { keyId: new TextDecoder().decode(bytes.subarray(MAGIC.length + 1, ivAt)), ivAt };
}

function checkKeys(options: EncryptionOptions): Map<string, Uint8Array> {
  if (
    options === null ||
    typeof options !== "object" ||
    typeof options.keys !== "object" ||
    options.keys === null
  ) {
    throw new InvalidArgumentError(
      "encryptionCodec({ keys, currentKeyId }): keys must be an object of key id to key.",
    );
  }
  const keys = new Map<string, Uint8Array>();
  for (const [id, value] of Object.entries(options.keys)) {
    const idBytes = new TextEncoder().encode(id).length;
    if (idBytes === 0 || idBytes > 255) {
      throw new InvalidArgumentError(`encryptionCodec: key id "${id}" must be 1 to 255 bytes of UTF-8.`);
    }
    const bytes = typeof value === "string" ? base64Bytes(value) : value;
    if (!(bytes instanceof Uint8Array) || bytes.length !== 32) {
      throw new InvalidArgumentError(
        `encryptionCodec: key "${id}" must be 32 bytes (AES-256), as bytes or base64; got ${bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof value}.`,
      );
    }
    keys.set(id, bytes);
  }
  if (typeof options.currentKeyId !== "string" || !keys.has(options.currentKeyId)) {
    throw new InvalidArgumentError(
      `encryptionCodec: currentKeyId ${JSON.stringify(options.currentKeyId)} must be one of the keys (${[...keys.keys()].join(", ") || "none given"}).`,
    );
  }
  return keys;
}

function base64Bytes(text: string): Uint8Array | undefined {
  try {
    const binary = atob(text.trim());
    return Uint8Array.from(binary, (c) => c.charCodeAt(0));
  } catch {
    return undefined;
  }
}

/**
 * `store` with every journal and inbox entry sealed on the way in and opened on the way
 * out. Everything else is the store's own.
 *
 * @example
 * const store = encryptedStore(lmdbStore("./.stepline"), encryptionCodec({ keys, currentKeyId: "k1" }));
 */
export function encryptedStore(store: Store, encryption: PayloadEncryption): Store {
  const seal = (bytes: Uint8Array) => encryption.seal(bytes);
  const sealAll = (list: readonly Uint8Array[]) => Promise.all(list.map(seal));
  const openAll = (list: readonly Uint8Array[]) => Promise.all(list.map((bytes) => encryption.open(bytes)));
  const { executions, journal, inbox, queue } = store;
  const openClaim = async (claim: Claim): Promise<Claim> =>
    claim.prefetched
      ? {
          ...claim,
          prefetched: {
            journal: await openAll(claim.prefetched.journal),
            inbox: await openAll(claim.prefetched.inbox),
          },
        }
      : claim;
  const wrapped: Store = {
    executions: delegate(executions, {
      create: async (execution) =>
        executions.create({
          ...execution,
          started: await seal(execution.started),
          ...(execution.event === undefined ? {} : { event: await seal(execution.event) }),
        }),
      terminate: async (id, request, now) =>
        executions.terminate(id, { ...request, event: await seal(request.event) }, now),
      redrive: async (id, request, now) =>
        executions.redrive(id, { ...request, event: await seal(request.event) }, now),
    }),
    journal: delegate(journal, {
      append: async (lease, request, now) =>
        journal.append(lease, { ...request, events: await sealAll(request.events) }, now),
      read: async (id, fromSeq) => openAll(await journal.read(id, fromSeq)),
      readRun: async (id, run, fromSeq) => openAll(await journal.readRun(id, run, fromSeq)),
      continueAsNew: async (lease, request, now) =>
        journal.continueAsNew(
          lease,
          { ...request, closing: await seal(request.closing), started: await seal(request.started) },
          now,
        ),
    }),
    inbox: delegate(inbox, {
      send: async (id, event, now) => inbox.send(id, await seal(event), now),
      read: async (id, fromSeq) => openAll(await inbox.read(id, fromSeq)),
    }),
    queue: delegate(queue, {
      claim: async (request) => Promise.all((await queue.claim(request)).map(openClaim)),
    }),
    workers: store.workers,
    close: () => store.close(),
    ...(store.clock ? { clock: store.clock } : {}),
    ...(store.onWake ? { onWake: (listener: () => void) => store.onWake?.(listener) ?? (() => {}) } : {}),
    ...(store.onFinished
      ? { onFinished: (listener: (id: string) => void) => store.onFinished?.(listener) ?? (() => {}) }
      : {}),
  };
  return wrapped;
}

/** An object whose every method calls `inner`'s, except those in `overrides`. */
function delegate<T extends object>(inner: T, overrides: Partial<T>): T {
  return new Proxy(inner, {
    get(target, property) {
      if (Object.hasOwn(overrides, property)) return (overrides as Record<PropertyKey, unknown>)[property];
      const value = Reflect.get(target, property, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}
