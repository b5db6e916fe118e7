// The reading end of the shadow's shared ring (plain JavaScript, for the worker script and the relay
// thread; the writing end and the layout are RingWriter in src/shadow-worker.ts): `takeRecords` copies
// every record written so far out of the ring and frees their space; `eachRecord` walks such a copy (in
// the worker itself, or in a worker process that got it from the relay); `pollRing` collects on a timer
// while records flow and parks (Atomics.waitAsync, the event loop still serves messages) when they stop.
import { performance } from 'node:perf_hooks';
import { setTimeout } from 'node:timers';

const RING_HEAD = 0;
const RING_TAIL = 1;
const RING_STATE = 2;
const RING_PARKED = 1;
/** The writer stores the record word as an Int32 in this machine's byte order. */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Views of a ring's shared buffers (`{ header, data }`, as RingWriter made them). */
export function ringViews(ring) {
  return { header: new Int32Array(ring.header), bytes: new Uint8Array(ring.data) };
}

/**
 * Copies every record written so far out of the ring, in order and unwrapped (their words and padding
 * kept), and frees their space; undefined when the ring is empty. The copy is taken before the tail moves
 * on (the writer may reuse the space at once).
 */
export function takeRecords({ header, bytes }) {
  const head = Atomics.load(header, RING_HEAD);
  const tail = Atomics.load(header, RING_TAIL);
  const length = (head - tail) >>> 0;
  if (length === 0) return undefined;
  const capacity = bytes.length;
  const start = tail & (capacity - 1);
  const first = Math.min(length, capacity - start);
  const chunk = new Uint8Array(length);
  chunk.set(bytes.subarray(start, start + first));
  if (first < length) chunk.set(bytes.subarray(0, length - first), first);
  Atomics.store(header, RING_TAIL, head);
  return chunk;
}

/** Calls `each(payload, encoding)` for every record of a copy `takeRecords` made (encoding: 0 packed batch, 1 v8.serialize'd batch, 2 one packed sample). */
export function eachRecord(chunk, each) {
  const view = new DataView(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  let at = 0;
  while (at + 4 <= chunk.byteLength) {
    const word = view.getUint32(at, LITTLE_ENDIAN);
    const length = word & 0x3fffffff;
    if (at + 4 + length > chunk.byteLength)
      throw new Error(
        `the shadow ring's records are corrupt (a record of ${String(length)} bytes at byte ${String(at)} of ${String(chunk.byteLength)})`,
      );
    each(chunk.subarray(at + 4, at + 4 + length), word >>> 30);
    at += 4 + ((length + 3) & ~3);
  }
}

/**
 * Collects from the ring every `pollMs` while it is busy (`collect()` found records, or `busy()`); after
 * `parkAfterMs` without either it parks on the state word until the writer's next record wakes it (the
 * writer clears the flag before it notifies).
 */
export function pollRing({ header }, { pollMs, parkAfterMs, collect, busy }) {
  let lastBusy = performance.now();
  const poll = () => {
    const now = performance.now();
    if (collect() || busy()) lastBusy = now;
    if (now - lastBusy < parkAfterMs) {
      setTimeout(poll, pollMs);
      return;
    }
    // Park: say so first, then look once more (a write between the last look and the flag would else
    // wait for the next one).
    Atomics.store(header, RING_STATE, RING_PARKED);
    if (collect()) {
      Atomics.store(header, RING_STATE, 0);
      lastBusy = now;
      setTimeout(poll, pollMs);
      return;
    }
    const waited = Atomics.waitAsync(header, RING_STATE, RING_PARKED);
    const resume = () => {
      Atomics.store(header, RING_STATE, 0);
      lastBusy = performance.now();
      poll();
    };
    if (waited.async) void waited.value.then(resume);
    else resume();
  };
  setTimeout(poll, pollMs);
}
