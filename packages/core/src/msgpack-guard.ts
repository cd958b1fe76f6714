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
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  // Values still to read, as a stack of counts: each container pushes its element count
  // and stays until its last element (with everything inside it) has been read.
  const pending: number[] = [1];

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new Malformed(`truncated at byte ${pos}`);
  };
  const u8 = () => {
    need(1);
    return view.getUint8(pos++);
  };
  const u16 = () => {
    need(2);
    const v = view.getUint16(pos);
    pos += 2;
    return v;
  };
  const u32 = () => {
    need(4);
    const v = view.getUint32(pos);
    pos += 4;
    return v;
  };
  const skip = (n: number) => {
    need(n);
    pos += n;
  };
  const open = (count: number) => {
    // Each element needs at least one byte: a count beyond the bytes left is a lie.
    if (count > bytes.length - pos)
      throw new Malformed(`container of ${count} elements with ${bytes.length - pos} bytes left`);
    if (pending.length > maxDepth) throw new Malformed(`nested deeper than ${maxDepth}`);
    pending.push(count);
  };
  const ext = (length: number) => {
    const type = view.getInt8((need(1), pos++));
    const allowed =
      (type === 0 && length === 1) || (type === -1 && (length === 4 || length === 8 || length === 12));
    if (!allowed) throw new Malformed(`extension type ${type} (length ${length}) is not allowed`);
    skip(length);
  };

  try {
    while (pending.length > 0) {
      const top = pending.length - 1;
      if (pending[top] === 0) {
        pending.pop();
        continue;
      }
      pending[top] = (pending[top] as number) - 1;
      const token = u8();
      if (token <= 0x7f || token >= 0xe0) continue; // fixints
      if (token <= 0x8f) open((token & 0x0f) * 2);
      else if (token <= 0x9f) open(token & 0x0f);
      else if (token <= 0xbf) skip(token & 0x1f);
      else {
        switch (token) {
          case 0xc0:
          case 0xc2:
          case 0xc3:
            break;
          case 0xc4:
          case 0xd9:
            skip(u8());
            break;
          case 0xc5:
          case 0xda:
            skip(u16());
            break;
          case 0xc6:
          case 0xdb:
            skip(u32());
            break;
          case 0xc7:
            ext(u8());
            break;
          case 0xc8:
            ext(u16());
            break;
          case 0xc9:
            ext(u32());
            break;
          case 0xca:
            skip(4);
            break;
          case 0xcb:
            skip(8);
            break;
          case 0xcc:
          case 0xd0:
            skip(1);
            break;
          case 0xcd:
          case 0xd1:
            skip(2);
            break;
          case 0xce:
          case 0xd2:
            skip(4);
            break;
          case 0xcf:
          case 0xd3:
            skip(8);
            break;
          case 0xd4:
            ext(1);
            break;
          case 0xd5:
            ext(2);
            break;
          case 0xd6:
            ext(4);
            break;
          case 0xd7:
            ext(8);
            break;
          case 0xd8:
            ext(16);
            break;
          case 0xdc:
            open(u16());
            break;
          case 0xdd:
            open(u32());
            break;
          case 0xde:
            open(u16() * 2);
            break;
          case 0xdf:
            open(u32() * 2);
            break;
          default:
            throw new Malformed(`byte 0x${token.toString(16)} at ${pos - 1} is not MessagePack`);
        }
      }
    }
    if (pos !== bytes.length) return `${bytes.length - pos} bytes after the value`;
    return null;
  } catch (error) {
    if (error instanceof Malformed) return error.message;
    throw error;
  }
}

class Malformed extends Error {}
