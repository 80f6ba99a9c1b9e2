/** Byte-for-byte equality of two views (Buffer#equals without copying either). */
export const sameBytes = (a: Uint8Array, b: Uint8Array): boolean => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b)
