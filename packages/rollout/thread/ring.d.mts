// Types of ring.mjs (plain JavaScript: the reading end of the shadow's shared ring, for the worker script and the relay thread).

/** Views of a ring's shared buffers, as RingWriter made them. */
export interface RingViews {
  readonly header: Int32Array;
  readonly bytes: Uint8Array;
}

export function ringViews(ring: { readonly header: SharedArrayBuffer; readonly data: SharedArrayBuffer }): RingViews;

/** Copies every record published so far out of the ring (unwrapped) and frees their space; undefined when it is empty. */
export function takeRecords(views: RingViews): Uint8Array | undefined;

/** Calls `each(payload, encoding)` for every record of such a copy (encoding: 0 packed batch, 1 v8.serialize'd batch, 2 one packed sample). */
export function eachRecord(chunk: Uint8Array, each: (payload: Uint8Array, encoding: number) => void): void;

/** Collects every `pollMs` while busy; parks after `parkAfterMs` without records until the writer's next publish wakes it. */
export function pollRing(
  views: RingViews,
  options: { readonly pollMs: number; readonly parkAfterMs: number; readonly collect: () => boolean; readonly busy: () => boolean },
): void;
