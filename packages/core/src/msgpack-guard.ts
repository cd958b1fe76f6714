/**
 * Checks MessagePack bytes before they are decoded, so that bytes from a store an
 * attacker can write to (or that rotted on disk) cannot make the decoder build live
 * objects. msgpackr's decoder knows extension types for RegExp, Error, Set, typed
 * arrays and structured-clone references, and cannot be told per instance to drop
 * them; so every value is walked here first and only plain MessagePack passes, plus
 * the two extensions journals use: the standard timestamp (-1) and msgpackr's
 * `undefined` (0).
 *
 * Returns null when the bytes are acceptable, else what is wrong with them.
 */
export function findUnsafeMessagePack(bytes: Uint8Array, maxDepth = 64): string | null {
  src = bytes;
  pos = 0;
  try {
    return walk(maxDepth);
  } finally {
    src = EMPTY;
  }
}

// The walk keeps its state in module variables rather than closures: it runs on every
// journal entry read, and per-call closures made it slower than decoding itself.
const EMPTY = new Uint8Array(0);
let src: Uint8Array = EMPTY;
let pos = 0;

function walk(maxDepth: number): string | null {
  // Values still to read, as a stack of counts: each container pushes its element count
  // and stays until its last element (with everything inside it) has been read.
  const pending: number[] = [1];
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      pending.pop();
      continue;
    }
    pending[top] = (pending[top] as number) - 1;
    if (pos >= src.length) return `truncated at byte ${pos}`;
    const token = src[pos++] as number;
    if (token <= 0x7f || token >= 0xe0) continue; // fixints
    let count = -1; // elements of a container opened by this token
    let skip = 0; // bytes of payload to pass over
    let extLength = -1; // payload length of an extension
    if (token <= 0x8f) count = (token & 0x0f) * 2;
    else if (token <= 0x9f) count = token & 0x0f;
    else if (token <= 0xbf) skip = token & 0x1f;
    else {
      switch (token) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break;
        case 0xc4:
        case 0xd9:
          skip = readUint(1);
          break;
        case 0xc5:
        case 0xda:
          skip = readUint(2);
          break;
        case 0xc6:
        case 0xdb:
          skip = readUint(4);
          break;
        case 0xc7:
          extLength = readUint(1);
          break;
        case 0xc8:
          extLength = readUint(2);
          break;
        case 0xc9:
          extLength = readUint(4);
          break;
        case 0xcc:
        case 0xd0:
          skip = 1;
          break;
        case 0xcd:
        case 0xd1:
          skip = 2;
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          skip = 4;
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          skip = 8;
          break;
        case 0xd4:
          extLength = 1;
          break;
        case 0xd5:
          extLength = 2;
          break;
        case 0xd6:
          extLength = 4;
          break;
        case 0xd7:
          extLength = 8;
          break;
        case 0xd8:
          extLength = 16;
          break;
        case 0xdc:
          count = readUint(2);
          break;
        case 0xdd:
          count = readUint(4);
          break;
        case 0xde:
          count = readUint(2) * 2;
          break;
        case 0xdf:
          count = readUint(4) * 2;
          break;
        default:
          return `byte 0x${token.toString(16)} at ${pos - 1} is not MessagePack`;
      }
    }
    if (pos < 0) return `truncated at byte ${-pos - 1}`;
    if (extLength >= 0) {
      if (pos >= src.length) return `truncated at byte ${pos}`;
      const type = ((src[pos++] as number) << 24) >> 24;
      const allowed =
        (type === 0 && extLength === 1) ||
        (type === -1 && (extLength === 4 || extLength === 8 || extLength === 12));
      if (!allowed) return `extension type ${type} (length ${extLength}) is not allowed`;
      skip = extLength;
    }
    if (pos + skip > src.length) return `truncated at byte ${pos}`;
    pos += skip;
    if (count >= 0) {
      // Each element needs at least one byte: a count beyond the bytes left is a lie.
      if (count > src.length - pos)
        return `container of ${count} elements with ${src.length - pos} bytes left`;
      if (pending.length > maxDepth) return `nested deeper than ${maxDepth}`;
      pending.push(count);
    }
  }
  return pos === src.length ? null : `${src.length - pos} bytes after the value`;
}

/** Reads a big-endian unsigned length; on truncation leaves `pos` negative (-(where + 1)). */
function readUint(size: 1 | 2 | 4): number {
  if (pos + size > src.length) {
    pos = -pos - 1;
    return 0;
  }
  let value = 0;
  for (let i = 0; i < size; i++) value = value * 256 + (src[pos++] as number);
  return value;
}
