import { expect } from "vitest";

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
const SHOWN_IN_FULL = 64;

function hexOf(bytes: Uint8Array, end = bytes.length): string {
  let hex = "";
  for (let i = 0; i < end; i++) hex += HEX[bytes[i]!];
  return hex;
}

/** FNV-1a, so that large entries still compare by content in a readable diff. */
function checksumOf(bytes: Uint8Array): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) hash = Math.imul(hash ^ bytes[i]!, 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, "0");
}

/** A readable, content-exact summary of an entry for diffs: the hex itself, or length + checksum + head. */
export function describeBytes(bytes: Uint8Array): string {
  if (bytes.length <= SHOWN_IN_FULL) return `[${bytes.length}] ${hexOf(bytes)}`;
  return `[${bytes.length}] fnv1a ${checksumOf(bytes)} starts ${hexOf(bytes, 16)}…`;
}

function firstDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** Asserts that `actual` holds exactly the entries `expected` holds: same count, each byte equal. */
export function expectBytes(actual: readonly Uint8Array[], expected: readonly Uint8Array[]): void {
  for (const [i, entry] of actual.entries()) {
    expect(entry instanceof Uint8Array, `entry ${i} is a Uint8Array`).toBe(true);
  }
  expect(actual.map(describeBytes)).toEqual(expected.map(describeBytes));
  for (const [i, entry] of actual.entries()) {
    expect(firstDifference(entry, expected[i]!), `first differing byte of entry ${i}`).toBe(-1);
  }
}
