// Types of pack.mjs (plain JavaScript shared by the control's thread and the shadow's worker thread).

/** Packs plain data (see pack.mjs); a view of an internal buffer valid until the next call, or undefined when the value is not plain data. */
export function pack(value: unknown): Uint8Array | undefined;

/** Packs plain data into the internal buffer (`packedBytes()`, from its start): the length, or -1 when the value is not plain data. Valid until the next call. */
export function packInto(value: unknown): number;

/** The internal buffer `packInto` wrote to (replaced when it grows or shrinks: ask again after each call). */
export function packedBytes(): Uint8Array;

/** Unpacks what `pack` wrote. */
export function unpack(bytes: Uint8Array): unknown;
