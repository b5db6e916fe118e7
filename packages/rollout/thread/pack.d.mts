// Types of pack.mjs (plain JavaScript shared by the control's thread and the shadow's worker thread).

/** Packs plain data (see pack.mjs); a view of an internal buffer valid until the next call, or undefined when the value is not plain data. */
export function pack(value: unknown): Uint8Array | undefined;

/** Unpacks what `pack` wrote. */
export function unpack(bytes: Uint8Array): unknown;
