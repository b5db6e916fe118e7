// Types of pack.mjs (plain JavaScript shared by the control's thread and the shadow's worker thread).

/** Packs plain data (see pack.mjs); a view of an internal buffer valid until the next call, or undefined when the value is not plain data. */
export function pack(value: unknown): Uint8Array | undefined;

/** Packs `[first, second]` into the internal buffer, from its start, as `pack` packs that array, without making it: the length, or -1 when either is not plain data. Valid until the next call. */
export function packPairInto(first: unknown, second: unknown): number;

/** The internal buffer `packPairInto` wrote to, as 32-bit words (its size is a multiple of 4; replaced when it grows or shrinks: ask again after each call). */
export function packedWords(): Int32Array;

/** Unpacks what `pack` wrote. */
export function unpack(bytes: Uint8Array): unknown;
