import { deserialize, serialize } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { pack, packedWords, packPairInto, unpack } from '../thread/pack.mjs';
import { eachRecord, ringViews, takeRecords } from '../thread/ring.mjs';
import { compareLayered, type Comparable } from './shadow.js';
import { RingWriter, type ReportExtra, type ShadowWorkerOptions, type WorkerLane, workerLane } from './shadow-worker.js';

// The shared handoff: batches serialised into a ring in shared memory, collected by the worker on its
// own timer. No timing is asserted: the tests count samples (none lost, none twice, drops counted).
const module = new URL('./__fixtures__/shadow-candidates.mjs', import.meta.url);

/** Reads every record the writer published, as the worker does (thread/shadow-thread.mjs), and frees the space. */
function readAll(writer: RingWriter): unknown[] {
  const header = new Int32Array(writer.buffers.header);
  const bytes = new Uint8Array(writer.buffers.data);
  const words = new Int32Array(writer.buffers.data);
  const mask = writer.capacity - 1;
  const head = Atomics.load(header, 0);
  let tail = Atomics.load(header, 1);
  const out: unknown[] = [];
  while (tail !== head) {
    const at = tail & mask;
    const length = (words[at >> 2] ?? 0) & 0x3fffffff;
    const start = (at + 4) & mask;
    const first = Math.min(length, writer.capacity - start);
    const payload = new Uint8Array(length);
    payload.set(bytes.subarray(start, start + first));
    if (first < length) payload.set(bytes.subarray(0, length - first), first);
    out.push(deserialize(payload));
    tail = (tail + RingWriter.recordBytes(length)) | 0;
  }
  Atomics.store(header, 1, tail);
  return out;
}

/** A seeded generator (xorshift): the property tests are reproducible. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

describe('the shared ring (RingWriter)', () => {
  it('wraps around its end: records split across the end read back whole, many times over', () => {
    const writer = new RingWriter(4096);
    const random = seeded(7);
    let written = 0;
    let bytes = 0;
    for (let n = 0; n < 500; n++) {
      const value = { n, text: 'y'.repeat(Math.floor(random() * 700)) };
      const payload = serialize(value);
      expect(writer.write(payload)).toBe('ok');
      bytes += RingWriter.recordBytes(payload.length);
      written++;
      if (random() < 0.5 || writer.used() > 2048) {
        const read = readAll(writer) as { n: number }[];
        expect(read.at(-1)?.n).toBe(n);
      }
    }
    readAll(writer);
    expect(writer.used()).toBe(0);
    expect(bytes).toBeGreaterThan(20 * 4096);
    expect(written).toBe(500);
  });

  it("refuses a record the free part cannot hold ('full', nothing written) and one the whole ring cannot ('too-large')", () => {
    const writer = new RingWriter(4096);
    const payload = serialize('z'.repeat(1000));
    const results: string[] = [];
    for (let n = 0; n < 5; n++) results.push(writer.write(payload));
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'full']);
    const used = writer.used();
    expect(writer.write(payload)).toBe('full');
    expect(writer.used()).toBe(used);
    expect(readAll(writer)).toHaveLength(4);
    expect(writer.write(payload)).toBe('ok');
    expect(writer.write(serialize('z'.repeat(5000)))).toBe('too-large');
    expect(readAll(writer)).toEqual(['z'.repeat(1000)]);
  });

  it('wakes the reader only when it said it parked', () => {
    const writer = new RingWriter(4096);
    const header = new Int32Array(writer.buffers.header);
    writer.write(serialize(1));
    expect(writer.wakes).toBe(0);
    Atomics.store(header, 2, 1);
    writer.write(serialize(2));
    expect(writer.wakes).toBe(1);
    expect(Atomics.load(header, 2)).toBe(0);
    writer.write(serialize(3));
    expect(writer.wakes).toBe(1);
  });

  it('staged records stay invisible until published, then arrive in order with a record written after them; a publish wakes a parked reader', () => {
    const writer = new RingWriter(4096);
    const header = new Int32Array(writer.buffers.header);
    Atomics.store(header, 2, 1); // the reader parked
    for (const n of [1, 2, 3]) expect(writer.stage(serialize(n), 'v8')).toBe('ok');
    expect(writer.pending).toBe(true);
    expect(writer.used()).toBe(0);
    expect(readAll(writer)).toEqual([]);
    expect(writer.wakes).toBe(0);
    writer.publish();
    expect(writer.pending).toBe(false);
    expect(writer.wakes).toBe(1);
    expect(writer.stage(serialize(4), 'v8')).toBe('ok');
    expect(writer.write(serialize(5))).toBe('ok'); // publishes 4 too
    expect(readAll(writer)).toEqual([1, 2, 3, 4, 5]);
    writer.publish(); // nothing staged: no store, no wake
    expect(writer.used()).toBe(0);
  });

  it("staging counts what is staged against the free part ('full' before publishing), and sees space the reader freed since", () => {
    const writer = new RingWriter(4096);
    const payload = serialize('s'.repeat(1000));
    const results: string[] = [];
    for (let n = 0; n < 5; n++) results.push(writer.stage(payload, 'v8'));
    expect(results).toEqual(['ok', 'ok', 'ok', 'ok', 'full']);
    writer.publish();
    expect(readAll(writer)).toHaveLength(4);
    // The writer's idea of the tail is stale: it must read it again rather than refuse.
    expect(writer.stage(payload, 'v8')).toBe('ok');
    expect(writer.stage(serialize('s'.repeat(5000)), 'v8')).toBe('too-large');
  });

  it('packed samples staged a word at a time wrap around the end and read back whole (property: random inputs, random publishes)', () => {
    const writer = new RingWriter(4096);
    const views = ringViews(writer.buffers);
    const random = seeded(11);
    const sent: unknown[] = [];
    const received: unknown[] = [];
    const collect = (): void => {
      const chunk = takeRecords(views);
      if (chunk === undefined) return;
      eachRecord(chunk, (payload, encoding) => {
        expect(encoding).toBe(2);
        received.push(unpack(payload));
      });
    };
    for (let n = 0; n < 2000; n++) {
      const input = { n, text: 'w'.repeat(Math.floor(random() * 300)) };
      const control: Comparable = { text: `answer ${String(n)}`, actions: [{ tool: 't', args: { n } }] };
      const length = packPairInto(input, control);
      expect(length).toBeGreaterThan(0);
      let staged = writer.stageWords(packedWords(), length);
      if (staged === 'full') {
        writer.publish();
        collect();
        staged = writer.stageWords(packedWords(), length);
      }
      expect(staged).toBe('ok');
      sent.push([input, control]);
      if (random() < 0.2) writer.publish();
      if (random() < 0.1) collect();
    }
    writer.publish();
    collect();
    expect(received).toEqual(sent);
  });
});

describe('the packer for plain data (thread/pack.mjs)', () => {
  it('round-trips plain data as structured clone would: numbers (-0, NaN, Infinity), strings (lone surrogates, long), nesting, null and undefined', () => {
    const values: unknown[] = [
      {
        inputs: [1, -0, Number.NaN, Infinity, 2.5e-300],
        controls: [{ text: 'a', actions: [{ tool: 't', args: { x: [1, 'b', null, true] } }] }],
      },
      { text: '\ud800 lone, é, 字, 😀', nested: { deeper: { deepest: [[], {}, ''] } } },
      'z'.repeat(10_000),
      [undefined, null, false],
      JSON.parse('{"__proto__": {"polluted": true}, "ok": 1}'),
      Object.assign(Object.create(null) as object, { bare: 'yes' }),
    ];
    for (const value of values) {
      const packed = pack(value);
      expect(packed).toBeInstanceOf(Uint8Array);
      const copy = unpack(new Uint8Array(packed ?? []));
      expect(copy).toEqual(structuredClone(value));
      expect(Object.is((copy as { inputs?: number[] }).inputs?.[1], -0)).toBe(value === values[0]);
    }
    const proto = unpack(new Uint8Array(pack(values[4]) ?? [])) as Record<string, unknown>;
    expect(Object.keys(proto)).toEqual(['__proto__', 'ok']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('packs a pair exactly as the array of the two, without making it; declines a pair with what is not plain data', () => {
    for (const [first, second] of [
      ['input', { text: 'answer' }],
      [{ deep: [1, { x: null }] }, { text: 'a', actions: [{ tool: 't', args: {} }] }],
      [undefined, 'z'.repeat(70_000)],
    ] as const) {
      const length = packPairInto(first, second);
      const pairBytes = new Uint8Array(packedWords().buffer, 0, length).slice();
      expect(pairBytes).toEqual(pack([first, second]));
      expect(unpack(pairBytes)).toEqual([first, second]);
    }
    expect(packPairInto('a', new Date(0))).toBe(-1);
    expect(packPairInto(new Map(), {})).toBe(-1);
  });

  it('grows its buffer for a large value and gives it back on the next call', () => {
    const large = { inputs: ['a'.repeat(3_000_000)], controls: [{}] };
    expect(unpack(new Uint8Array(pack(large) ?? []))).toEqual(large);
    const small = { inputs: [1], controls: [{ text: 'b' }] };
    const packed = pack(small);
    expect(packed?.buffer.byteLength).toBeLessThan(1 << 20);
    expect(unpack(new Uint8Array(packed ?? []))).toEqual(small);
  });

  it('declines what is not plain data (the caller falls back to v8.serialize): Date, Map, Set, bigint, typed arrays, class instances, holes, cycles, functions', () => {
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    class Ticket {
      id = 1;
    }
    // eslint-disable-next-line no-sparse-arrays
    const holes = [1, , 3];
    for (const value of [
      new Date(0),
      new Map(),
      new Set(),
      1n,
      new Uint8Array(2),
      new Ticket(),
      holes,
      cycle,
      () => 1,
      { deep: [Symbol('s')] },
    ])
      expect(pack({ inputs: [value], controls: [{}] })).toBeUndefined();
  });
});

interface Seen {
  readonly agree: boolean;
  readonly layer: string;
  readonly extra: ReportExtra | undefined;
}

/** A lane on the fixture's `observed` candidate: its observation's `length` identifies the sample (`answer ` + input). */
function lane(options: Partial<ShadowWorkerOptions>) {
  const seen: Seen[] = [];
  const made = workerLane<string>(
    { module, export: 'observed', options: { prefix: 'answer ' }, isolation: 'thread', lowPriority: false, ...options },
    false,
    (agree, layer, _ms, extra) => seen.push({ agree, layer, extra }),
  );
  return { lane: made, seen };
}
const controlOf = (input: string): Comparable => ({ text: `answer ${input}` });
const lengthOf = (each: Seen): number => (each.extra?.observation as { length: number } | undefined)?.length ?? -1;

/**
 * 40 samples of ~70 bytes into a 4 KiB ring the worker does not collect (it polls once a minute): some are
 * dropped, each counted once; a drain then brings in the rest.
 */
async function fillsTheRing(
  hand: (made: WorkerLane<string>, input: string) => number,
  counter: 'ringSamples' | 'stagedSamples',
): Promise<void> {
  const full = lane({ ringBytes: 4096, pollMs: 60_000, parkAfterMs: 120_000 });
  try {
    let dropped = 0;
    for (let i = 0; i < 40; i++) {
      const outcome = hand(full.lane, `${i}${'r'.repeat(60)}`);
      expect([0, 1]).toContain(outcome);
      dropped += outcome;
    }
    expect(dropped).toBeGreaterThan(0);
    expect(full.lane.handoffs()).toMatchObject({ [counter]: 40 - dropped, droppedSamples: dropped });
    await full.lane.drain();
    expect(full.seen).toHaveLength(40 - dropped);
  } finally {
    await full.lane.close();
  }
}

describe('the shared handoff to the worker', () => {
  it('loses and duplicates no sample across many batches, the ring wrapping many times (property: random batch sizes and input lengths)', async () => {
    for (const seed of [1, 2, 3]) {
      const random = seeded(seed);
      const { lane: made, seen } = lane({ ringBytes: 16_384, pollMs: 1 });
      const expected = new Set<number>();
      let dropped = 0;
      let droppedBatches = 0;
      let acceptedChars = 0;
      try {
        let next = 1;
        for (let batch = 0; batch < 150; batch++) {
          const size = 1 + Math.floor(random() * 12);
          const inputs = Array.from({ length: size }, () => 'x'.repeat(next++));
          const lost = made.submit(inputs, inputs.map(controlOf));
          expect([0, size]).toContain(lost);
          dropped += lost;
          if (lost > 0) droppedBatches++;
          else
            for (const input of inputs) {
              expected.add(`answer ${input}`.length);
              acceptedChars += input.length;
            }
          if (random() < 0.3) await new Promise((resolve) => setTimeout(resolve, 1));
        }
        await made.drain();
      } finally {
        await made.close();
      }
      const lengths = seen.map(lengthOf);
      expect(seen.every((each) => each.agree && each.layer === 'exact')).toBe(true);
      expect(new Set(lengths).size).toBe(lengths.length);
      expect(new Set(lengths)).toEqual(expected);
      const stats = made.handoffs();
      expect(stats.droppedSamples).toBe(dropped);
      expect(stats.mode).toBe('shared');
      expect(stats.ringBatches + stats.postedBatches + droppedBatches).toBe(150);
      // What went through the ring is many times its size: it wrapped around again and again.
      expect(acceptedChars).toBeGreaterThan(4 * 16_384);
    }
  });

  it('drops and counts whole batches when the ring is full; the rest arrive once the worker collects', async () => {
    // The worker polls only once a minute here: the ring fills; `drain` makes it collect.
    const { lane: made, seen } = lane({ ringBytes: 4096, pollMs: 60_000, parkAfterMs: 120_000 });
    try {
      let accepted = 0;
      let dropped = 0;
      for (let batch = 0; batch < 40; batch++) {
        const inputs = Array.from({ length: 4 }, (_, index) => `${batch}-${index}-${'p'.repeat(40)}`);
        const lost = made.submit(inputs, inputs.map(controlOf));
        dropped += lost;
        accepted += inputs.length - lost;
      }
      expect(dropped).toBeGreaterThan(0);
      expect(made.handoffs()).toMatchObject({ droppedSamples: dropped, postedBatches: 0 });
      expect(made.outstanding()).toBe(accepted);
      await made.drain();
      expect(seen).toHaveLength(accepted);
      expect(seen.every((each) => each.agree)).toBe(true);
    } finally {
      await made.close();
    }
  });

  it('posts a batch larger than the whole ring instead (never dropped for its size)', async () => {
    const { lane: made, seen } = lane({ ringBytes: 4096 });
    try {
      const inputs = Array.from({ length: 20 }, (_, index) => `${index}${'q'.repeat(400)}`);
      expect(made.submit(inputs, inputs.map(controlOf))).toBe(0);
      await made.drain();
      expect(seen).toHaveLength(20);
      expect(made.handoffs()).toMatchObject({ ringBatches: 0, postedBatches: 1, droppedSamples: 0 });
    } finally {
      await made.close();
    }
  });

  it('terminating the worker with samples still in the ring reports each of them once as an error (no hang)', async () => {
    const { lane: made, seen } = lane({ pollMs: 60_000, parkAfterMs: 120_000 });
    const inputs = Array.from({ length: 30 }, (_, index) => String(index));
    expect(made.submit(inputs.slice(0, 10), inputs.slice(0, 10).map(controlOf))).toBe(0);
    expect(made.submit(inputs.slice(10), inputs.slice(10).map(controlOf))).toBe(0);
    const drained = made.drain();
    await made.close();
    await drained;
    expect(seen).toHaveLength(30);
    expect(seen.every((each) => each.layer === 'error' && each.extra?.detail === 'the shadow runner was closed')).toBe(true);
    expect(made.outstanding()).toBe(0);
  });

  it('a worker that parked after a quiet spell is woken by the next write, once', async () => {
    const { lane: made, seen } = lane({ pollMs: 1, parkAfterMs: 5 });
    try {
      made.submit(['a'], [controlOf('a')]);
      await made.drain();
      // Quiet for far longer than parkAfterMs: the worker parks. No drain below: only the wake can bring the sample in.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const arrived = new Promise<void>((resolve) => {
        const check = (): void => {
          if (seen.length === 2) resolve();
          else setTimeout(check, 5);
        };
        check();
      });
      made.submit(['b'], [controlOf('b')]);
      await arrived;
      expect(made.handoffs().wakes).toBe(1);
      expect(seen.map(lengthOf)).toEqual(['answer a'.length, 'answer b'.length]);
    } finally {
      await made.close();
    }
  });

  it('a batch that is not plain data goes through v8.serialize into the ring, with the same verdicts', async () => {
    const { lane: made, seen } = lane({});
    try {
      const control: Comparable = { text: 'answer a', actions: [{ tool: 't', args: { when: new Date(0) } }] };
      made.submit(['a'], [control]);
      made.submit(['b'], [controlOf('b')]);
      await made.drain();
      // The fixture's candidate answers `{ text: 'answer ' + input }`: the same verdicts as the in-process comparison.
      const expected = [await compareLayered(control, { text: 'answer a' }), await compareLayered(controlOf('b'), { text: 'answer b' })];
      expect(seen.map(({ agree, layer }) => ({ agree, layer }))).toEqual(expected.map(({ agree, layer }) => ({ agree, layer })));
      expect(seen[0]?.agree).toBe(false);
      expect(made.handoffs()).toMatchObject({ ringBatches: 2, serialisedBatches: 1 });
    } finally {
      await made.close();
    }
  });

  it('single samples (submitOne, one record each) mixed with batches: none lost, none twice, the ring wrapping; drops counted one by one', async () => {
    const random = seeded(7);
    const { lane: made, seen } = lane({ ringBytes: 8192, pollMs: 1 });
    const expected = new Set<number>();
    let dropped = 0;
    let singles = 0;
    let batches = 0;
    try {
      expect(made.direct).toBe(true);
      let next = 1;
      for (let step = 0; step < 400; step++) {
        if (random() < 0.8) {
          const input = 'y'.repeat(next++);
          const lost = made.submitOne(input, controlOf(input));
          expect([0, 1]).toContain(lost);
          dropped += lost;
          if (lost === 0) {
            singles++;
            expected.add(`answer ${input}`.length);
          }
        } else {
          const inputs = Array.from({ length: 1 + Math.floor(random() * 4) }, () => 'y'.repeat(next++));
          const lost = made.submit(inputs, inputs.map(controlOf));
          dropped += lost;
          if (lost === 0) {
            batches++;
            for (const input of inputs) expected.add(`answer ${input}`.length);
          }
        }
        if (random() < 0.2) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      await made.drain();
    } finally {
      await made.close();
    }
    const lengths = seen.map(lengthOf);
    expect(seen.every((each) => each.agree && each.layer === 'exact')).toBe(true);
    expect(new Set(lengths).size).toBe(lengths.length);
    expect(new Set(lengths)).toEqual(expected);
    expect(made.handoffs()).toMatchObject({ ringSamples: singles, ringBatches: batches, droppedSamples: dropped, postedBatches: 0 });
  });

  it('submitOne: a full ring drops the sample and counts it; what is not plain data goes as a batch of one through v8.serialize; the message handoff posts it', async () => {
    await fillsTheRing((made, input) => made.submitOne(input, controlOf(input)), 'ringSamples');
    const { lane: made, seen } = lane({});
    try {
      const control: Comparable = { text: 'answer a', actions: [{ tool: 't', args: { when: new Date(0) } }] };
      expect(made.submitOne('a', control)).toBe(0);
      await made.drain();
      expect(seen).toHaveLength(1);
      expect(made.handoffs()).toMatchObject({ ringSamples: 0, ringBatches: 1, serialisedBatches: 1 });
    } finally {
      await made.close();
    }
    const posted = lane({ handoff: 'message' });
    try {
      expect(posted.lane.direct).toBe(false);
      expect(posted.lane.submitOne('a', controlOf('a'))).toBe(0);
      await posted.lane.drain();
      expect(posted.seen).toHaveLength(1);
      expect(posted.lane.handoffs()).toMatchObject({ ringSamples: 0, postedBatches: 1 });
    } finally {
      await posted.lane.close();
    }
  });

  it('stageOne: the worker does not see a staged sample until publish (or a drain) hands it over; then each arrives once', async () => {
    const { lane: made, seen } = lane({ pollMs: 1 });
    try {
      for (const input of ['a', 'b', 'c']) expect(made.stageOne(input, controlOf(input))).toBe(0);
      expect(made.outstanding()).toBe(3);
      expect(made.lagging()).toBe(3);
      // The worker polls every millisecond: had the samples been visible, they would have been run by now.
      await new Promise((resolve) => setTimeout(resolve, 150));
      expect(seen).toHaveLength(0);
      made.publish();
      await made.drain();
      expect(seen.map(lengthOf)).toEqual(['answer a', 'answer b', 'answer c'].map((each) => each.length));
      expect(made.stageOne('d', controlOf('d'))).toBe(0);
      await made.drain(); // a drain publishes first
      expect(seen).toHaveLength(4);
      expect(made.handoffs()).toMatchObject({ stagedSamples: 4, publishes: 2, ringSamples: 0, ringBatches: 0, postedBatches: 0 });
    } finally {
      await made.close();
    }
  });

  it('stageOne: a full ring drops and counts the sample; what is not plain data, or the message handoff, is not staged (-1: the caller batches it)', async () => {
    await fillsTheRing((made, input) => made.stageOne(input, controlOf(input)), 'stagedSamples');
    const { lane: made } = lane({});
    const posted = lane({ handoff: 'message' });
    try {
      expect(made.stageOne('a', { text: 'answer a', actions: [{ tool: 't', args: { when: new Date(0) } }] })).toBe(-1);
      expect(made.stageOne('x'.repeat(2 << 20), controlOf('x'))).toBe(-1); // larger than the 1 MiB ring
      expect(posted.lane.stageOne('a', controlOf('a'))).toBe(-1);
      expect(made.outstanding() + posted.lane.outstanding()).toBe(0);
    } finally {
      await made.close();
      await posted.lane.close();
    }
  });

  it('staged samples are not timed out while they wait for their handoff (the watchdog counts only what the worker has)', async () => {
    // A 1.5 s timeout (short, yet long enough for the first sample on a loaded machine): the watchdog,
    // armed by the first sample, fires ~1.6 s later; by then that sample is done (asserted below: else
    // the staged one would go to a fresh worker, whose watchdog is not armed, and the test would prove
    // nothing) and only a staged one is left, which the worker cannot be blamed for.
    const { lane: made, seen } = lane({ pollMs: 1, timeoutMs: 1_500, reportIntervalMs: 10 });
    try {
      expect(made.submitOne('a', controlOf('a'))).toBe(0);
      await made.drain();
      expect(seen.map(({ agree }) => agree)).toEqual([true]);
      expect(made.stageOne('b', controlOf('b'))).toBe(0);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      made.publish();
      await made.drain();
      expect(seen.map(({ agree, layer }) => ({ agree, layer }))).toEqual([
        { agree: true, layer: 'exact' },
        { agree: true, layer: 'exact' },
      ]);
    } finally {
      await made.close();
    }
  });

  it('a worker that ends with samples staged reports each of them once as an error; the next worker does not get them', async () => {
    const { lane: made, seen } = lane({ pollMs: 1 });
    try {
      for (const input of ['a', 'b']) made.stageOne(input, controlOf(input));
      const errors = seen.length;
      await made.close();
      expect(seen.slice(errors).map((each) => each.extra?.detail)).toEqual([
        'the shadow runner was closed',
        'the shadow runner was closed',
      ]);
      made.publish(); // nothing left to publish: no error, nothing twice
      expect(seen).toHaveLength(2);
      expect(made.outstanding()).toBe(0);
    } finally {
      await made.close();
    }
  });

  it("'message' posts every batch (the previous handoff); bad ring options are refused", async () => {
    const { lane: made, seen } = lane({ handoff: 'message' });
    try {
      made.submit(['a', 'b'], [controlOf('a'), controlOf('b')]);
      await made.drain();
      expect(seen).toHaveLength(2);
      expect(made.handoffs()).toMatchObject({ mode: 'message', ringBatches: 0, postedBatches: 1 });
    } finally {
      await made.close();
    }
    expect(() => lane({ ringBytes: 5000 })).toThrow(/ringBytes must be a power of two/);
    expect(() => lane({ handoff: 'pigeon' as 'shared' })).toThrow(/handoff must be 'shared' or 'message'/);
    expect(() => lane({ pollMs: 0 })).toThrow(/pollMs must be a positive number/);
  });
});
