import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RolloutError } from './errors.js';
import { compareLayered, createShadowRunner, type Comparable } from './shadow.js';
import { workerCandidate, type ShadowWorkerOptions, type WorkerPriority } from './shadow-worker.js';

// The candidate runs in a worker thread from a module (plain JavaScript fixture) and cloneable options.
// No timing is asserted: the tests show where the candidate runs and that its failures never reach the control.
const module = new URL('./__fixtures__/shadow-candidates.mjs', import.meta.url);
interface Answer {
  text: string;
  threadId?: number;
}
const control = (input: string): Promise<Answer> => Promise.resolve({ text: `answer ${input}` });

describe('shadow candidate in a worker thread', () => {
  it.each(['process', 'thread'] as const)(
    'runs in another %s, from a module and options; compares there; only the report comes back',
    async (isolation) => {
      const seen: unknown[] = [];
      const made: string[] = [];
      const runner = createShadowRunner<string, Answer>({
        control: (input) => Promise.resolve({ text: `answer ${input}`, threadId }),
        candidate: { module, export: 'observed', options: { prefix: 'answer ' }, isolation },
        comparable: (result) => {
          made.push(result.text);
          return { text: result.text };
        },
        noiseSampleRate: 0,
        onOutcome: (arm, outcome) => {
          if (arm === 'candidate') {
            expect(outcome.result).toBeUndefined();
            seen.push(outcome.observation);
          }
        },
      });
      try {
        expect(await runner.run('1')).toEqual({ text: 'answer 1', threadId });
        // Nothing of the shadow ran before the answer: not even the control's comparable.
        expect(made).toEqual([]);
        expect(await runner.run('2')).toEqual({ text: 'answer 2', threadId });
        await runner.idle();
        // This thread made only the control's comparables; the candidate's result (with its bulky field) stayed in the worker.
        expect(made).toEqual(['answer 1', 'answer 2']);
        expect(seen).toHaveLength(2);
        const where = seen.map((observation) => observation as { threadId: number; pid: number });
        if (isolation === 'thread') expect(where.every((each) => each.pid === process.pid && each.threadId !== threadId)).toBe(true);
        else expect(where.every((each) => each.pid !== process.pid && each.pid === runner.summary().priority?.tid)).toBe(true);
        expect(new Set(where.map((each) => `${each.pid}/${each.threadId}`)).size).toBe(1);
        expect(seen[0]).toMatchObject({ length: 'answer 1'.length });
        const summary = runner.summary();
        expect(summary.comparisons).toBe(2);
        expect(summary.agreements).toBe(2);
        expect(summary.candidateErrors).toBe(0);
      } finally {
        await runner.close();
      }
    },
  );

  it("a thread on the shared ring (its default) gets a request answered alone as its own record at once, several in flight staged and handed over together; 'message' always batches", async () => {
    for (const handoff of ['shared', 'message'] as const) {
      const runner = createShadowRunner<string, Answer>({
        control,
        candidate: { module, options: { prefix: 'answer ' }, handoff, isolation: 'thread' },
        noiseSampleRate: 0,
      });
      try {
        for (let i = 0; i < 5; i++) expect(await runner.run(String(i))).toEqual({ text: `answer ${i}` });
        await runner.idle();
        expect(runner.summary()).toMatchObject({ comparisons: 5, agreements: 5, shed: 0 });
        expect(runner.summary().handoff).toMatchObject(
          handoff === 'shared'
            ? { mode: 'shared', ringSamples: 5, ringBatches: 0, postedBatches: 0 }
            : { mode: 'message', ringSamples: 0, postedBatches: 1 },
        );
        // Several in flight at once: their samples are staged in the ring as they come and published together.
        await Promise.all(['a', 'b', 'c', 'd'].map((input) => runner.run(input)));
        await runner.idle();
        expect(runner.summary()).toMatchObject({ comparisons: 9, agreements: 9, shed: 0 });
        expect(runner.summary().handoff).toMatchObject(
          handoff === 'shared'
            ? { ringSamples: 5, stagedSamples: 4, publishes: 1, ringBatches: 0, postedBatches: 0 }
            : { ringSamples: 0, stagedSamples: 0, postedBatches: 2 },
        );
      } finally {
        await runner.close();
      }
    }
  });

  it('a control that throws instead of returning a promise leaves requests answered alone still written one by one', async () => {
    const runner = createShadowRunner<string, Answer>({
      control: (input) => {
        if (input === 'throw') throw new Error('the control failed before its promise');
        return control(input);
      },
      candidate: { module, options: { prefix: 'answer ' }, isolation: 'thread' },
      noiseSampleRate: 0,
    });
    try {
      await expect(runner.run('throw')).rejects.toThrow('the control failed before its promise');
      for (let i = 0; i < 3; i++) expect(await runner.run(String(i))).toEqual({ text: `answer ${i}` });
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 3, agreements: 3, shed: 0 });
      expect(runner.summary().handoff).toMatchObject({ mode: 'shared', ringSamples: 3, ringBatches: 0 });
    } finally {
      await runner.close();
    }
  });

  it('a disagreeing worker candidate is counted as a disagreement', async () => {
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, options: { prefix: 'something else ' } },
      comparable: (result) => ({ text: result.text }),
      noiseSampleRate: 0,
    });
    try {
      await runner.run('1');
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 1, agreements: 0, byLayer: { unresolved: 1 } });
    } finally {
      await runner.close();
    }
  });

  it.each([
    ['failing', 'fails', /the shadow candidate failed: cannot handle 1/],
    ['crashing', 'crashes its worker', /worker crashed: crash on 1/],
    ['notAFunction', 'is no factory', /no function export "notAFunction"/],
    ['malformed', 'returns a malformed result', /result is malformed: its text must be a string/],
  ])('a candidate that %s (%s) is a shadow error; the control answers', async (name, _what, detail) => {
    const comparisons: { layer: string; detail?: string | undefined }[] = [];
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: name },
      noiseSampleRate: 0,
      onComparison: (comparison) => comparisons.push(comparison),
    });
    try {
      expect(await runner.run('1')).toEqual({ text: 'answer 1' });
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 1, agreements: 0, candidateErrors: 1, byLayer: { error: 1 } });
      expect(comparisons[0]?.detail).toMatch(detail);
    } finally {
      await runner.close();
    }
  });

  it('a hanging candidate is timed out and its worker terminated; the control is unaffected and the next call gets a new worker', async () => {
    const comparisons: { layer: string; detail?: string | undefined }[] = [];
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: 'hanging', timeoutMs: 200 },
      noiseSampleRate: 0,
      onComparison: (comparison) => comparisons.push(comparison),
    });
    try {
      // The candidate spins forever in its thread: the control keeps answering meanwhile.
      expect(await runner.run('1')).toEqual({ text: 'answer 1' });
      expect(await runner.run('2')).toEqual({ text: 'answer 2' });
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 2, candidateErrors: 2, byLayer: { error: 2 } });
      expect(comparisons.some((c) => (c.detail ?? '').includes('did not answer within 200 ms: its worker was terminated'))).toBe(true);
    } finally {
      await runner.close();
    }
  });

  it('workerCandidate: a new worker after a timeout; close fails calls in flight; bad options are refused', async () => {
    const echo = workerCandidate<string, Answer>({ module: module.pathname, options: { prefix: '' } });
    expect(echo.threadId).toBeUndefined();
    const first = await echo.run('a');
    expect(first.text).toBe('a');
    expect(first.threadId).not.toBe(threadId);
    expect(echo.threadId).toBe(first.threadId);
    await echo.close();
    const second = await echo.run('b');
    expect(second.threadId).not.toBe(first.threadId);
    await echo.close();

    const hang = workerCandidate<string, Answer>({ module, export: 'hanging', timeoutMs: 60_000 });
    const call = hang.run('x').then(
      () => undefined,
      (error: unknown) => error,
    );
    await hang.close();
    const error = await call;
    expect(RolloutError.isInstance(error) && error.code === 'ROLLOUT_SHADOW_FAILED').toBe(true);

    expect(() => workerCandidate({ module: 'relative/path.mjs' })).toThrow(/absolute path or a file: URL/);
    expect(() => workerCandidate({ module, timeoutMs: 0 })).toThrow(/positive number/);
  });
});

class Args {
  constructor(
    readonly orderId: string,
    readonly amount: number,
  ) {}
}

// Pairs of (control, candidate) comparables covering every layer and the values the thread boundary
// changes (a class instance arrives as a plain object; Date, Map, Set, bigint, NaN survive).
const rows: { control: Comparable; candidate: Comparable }[] = [
  { control: { text: 'Refunded.' }, candidate: { text: 'Refunded.' } },
  { control: { text: 'Refunded.' }, candidate: { text: '  refunded ' } },
  { control: { text: 'Ｈｅｌｌｏ,   World!' }, candidate: { text: 'hello world' } },
  { control: { text: 'Refunded.' }, candidate: { text: 'Your money is on its way.' } },
  {
    control: {
      text: 'ok',
      actions: [
        { tool: 'refund', args: { orderId: 'A-1', amount: 40 } },
        { tool: 'lookup', args: { orderId: 'A-1' } },
      ],
    },
    candidate: {
      text: 'ok',
      actions: [
        { tool: 'lookup', args: { orderId: 'A-1' } },
        { tool: 'refund', args: { amount: 40, orderId: 'A-1' } },
      ],
    },
  },
  {
    control: { text: 'ok', actions: [{ tool: 'refund', args: { amount: 40 } }] },
    candidate: { text: 'ok', actions: [{ tool: 'refund', args: { amount: 41 } }] },
  },
  {
    control: { text: 'ok', actions: [{ tool: 'refund', args: new Args('A-1', 40) }] },
    candidate: { text: 'ok', actions: [{ tool: 'refund', args: { amount: 40, orderId: 'A-1' } }] },
  },
  {
    control: { actions: [{ tool: 'at', args: { when: new Date(0), tags: new Set(['a', 'b']), big: 10n, bad: Number.NaN } }] },
    candidate: { actions: [{ tool: 'at', args: { bad: Number.NaN, big: 10n, tags: new Set(['b', 'a']), when: new Date(0) } }] },
  },
  {
    control: { actions: [{ tool: 'at', args: { when: new Date(0) } }] },
    candidate: { actions: [{ tool: 'at', args: { when: new Date(1) } }] },
  },
  { control: { actions: [{ tool: 'm', args: new Map([['k', 1]]) }] }, candidate: { actions: [{ tool: 'm', args: new Map([['k', 2]]) }] } },
  { control: { text: 'a', actions: [{ tool: 'x' }, { tool: 'x' }] }, candidate: { text: 'A.', actions: [{ tool: 'x' }] } },
  { control: { text: 'a', actions: [] }, candidate: { text: 'a', actions: [{ tool: 'y', args: [1, { b: 2, a: 1 }] }] } },
];

describe('comparison in the worker, batches and backpressure', () => {
  /** Each request's verdict, one request at a time; by default the rows' controls (`count` requests). */
  const verdicts = async (
    candidate: ((input: number) => Promise<string | Comparable>) | ShadowWorkerOptions,
    judge?: (control: Comparable, candidate: Comparable) => Promise<{ agree: boolean; detail?: string }>,
    control: (input: number) => Promise<string | Comparable> = (input) => Promise.resolve(rows[input]!.control),
    count = rows.length,
  ): Promise<unknown[]> => {
    const seen: unknown[] = [];
    const runner = createShadowRunner<number, string | Comparable>({
      control,
      candidate,
      ...(judge === undefined ? {} : { judge }),
      noiseSampleRate: 0,
      maxInFlight: 1_000,
      onComparison: ({ agree, layer, detail }) => seen.push({ agree, layer, detail }),
    });
    try {
      // One request at a time, recorded before the next: each verdict belongs to its row.
      for (let input = 0; input < count; input++) {
        await runner.run(input);
        await runner.idle();
      }
    } finally {
      await runner.close();
    }
    return seen;
  };

  it('gives the same verdicts as the in-process comparison for the same inputs, with and without a judge', async () => {
    const direct = await Promise.all(rows.map(({ control, candidate }) => compareLayered(control, candidate)));
    expect(new Set(direct.map((verdict) => verdict.layer))).toEqual(new Set(['exact', 'normalised-text', 'unresolved', 'actions']));
    const inProcess = await verdicts((input) => Promise.resolve(rows[input]!.candidate));
    const inWorker = await verdicts({ module, export: 'table', options: { rows: rows.map(({ candidate }) => ({ candidate })) } });
    const expected = direct.map(({ agree, layer, detail }) => ({ agree, layer, detail }));
    expect(inProcess).toEqual(expected);
    expect(inWorker).toEqual(expected);
    // Class instance vs plain object, Set order, key order: agree; another date, map value or amount: disagree.
    expect(direct.map((verdict) => verdict.agree)).toEqual([true, true, true, false, true, false, true, true, false, false, true, false]);

    // The runner's judge lives on this thread: the worker sends back only the pairs it cannot decide.
    const judge = (control: Comparable, candidate: Comparable): Promise<{ agree: boolean; detail: string }> =>
      Promise.resolve({ agree: (control.text ?? '').length > 3, detail: `judged ${candidate.text ?? ''}` });
    const judgedDirect = await Promise.all(rows.map(({ control, candidate }) => compareLayered(control, candidate, judge)));
    const judgedInWorker = await verdicts(
      { module, export: 'table', options: { rows: rows.map(({ candidate }) => ({ candidate })) } },
      judge,
    );
    expect(judgedInWorker).toEqual(judgedDirect.map(({ agree, layer, detail }) => ({ agree, layer, detail })));
    expect(judgedInWorker[3]).toEqual({ agree: true, layer: 'judge', detail: 'judged Your money is on its way.' });
  });

  // A string result with no comparable function crosses as it is and is made `{ text }` where it is
  // compared; had the worker compared the string itself, every row would be an error or a disagreement.
  it.each([
    ['a worker process, shared ring', { isolation: 'process', handoff: 'shared' }],
    ['a worker thread, shared ring', { isolation: 'thread', handoff: 'shared' }],
    ["a worker process, 'message'", { isolation: 'process', handoff: 'message' }],
    ['in process', undefined],
  ] as const)(
    'a string result without a comparable function is compared as { text } (%s), a judge on this thread gets { text }',
    async (_where, how) => {
      const candidates: (string | Comparable)[] = [
        'Refunded.',
        { text: '  refunded ' },
        'Your money is on its way.',
        { text: 'Refunded.', actions: [{ tool: 'refund' }] },
      ];
      const judged: unknown[] = [];
      const seen = await verdicts(
        how === undefined
          ? (input) => Promise.resolve(candidates[input]!)
          : { module, export: 'table', options: { rows: candidates.map((candidate) => ({ candidate })) }, ...how },
        (control, candidate) => {
          judged.push(control);
          return Promise.resolve({ agree: false, detail: `judged ${candidate.text ?? ''}` });
        },
        () => Promise.resolve('Refunded.'),
        candidates.length,
      );
      expect(seen).toMatchObject([
        { agree: true, layer: 'exact' },
        { agree: true, layer: 'normalised-text' },
        { agree: false, layer: 'judge', detail: 'judged Your money is on its way.' },
        { agree: false, layer: 'actions' },
      ]);
      expect(judged).toEqual([{ text: 'Refunded.' }]);
    },
  );

  // Without a per-sample consumer (onComparison, a judge here, the candidate's onOutcome) the worker sends
  // counts per layer and agreement instead of each report: the summary must be the same.
  it.each(['process', 'thread'] as const)(
    'a runner that needs nothing per sample gets counts from its worker (%s): the same summary as from each report',
    async (isolation) => {
      const summaryOf = async (export_: string, perSample: boolean): Promise<unknown> => {
        const runner = createShadowRunner<number, Comparable>({
          control: (input) => Promise.resolve(rows[input % rows.length]!.control),
          candidate: { module, export: export_, options: { rows: rows.map(({ candidate }) => ({ candidate })) }, isolation },
          noiseSampleRate: 0,
          ...(perSample ? { onComparison: () => undefined } : {}),
        });
        try {
          await Promise.all(Array.from({ length: 3 * rows.length }, (_, input) => runner.run(input % rows.length)));
          await runner.idle();
          const { comparisons, agreements, candidateErrors, byLayer } = runner.summary();
          return { comparisons, agreements, candidateErrors, byLayer };
        } finally {
          await runner.close();
        }
      };
      const direct = await Promise.all(rows.map(({ control, candidate }) => compareLayered(control, candidate)));
      const expected = { exact: 0, 'normalised-text': 0, actions: 0, judge: 0, unresolved: 0, error: 0 };
      for (const { layer } of direct) expected[layer] += 3;
      const counted = await summaryOf('table', false);
      expect(counted).toEqual({
        comparisons: 3 * rows.length,
        agreements: 3 * direct.filter((verdict) => verdict.agree).length,
        candidateErrors: 0,
        byLayer: expected,
      });
      expect(await summaryOf('table', true)).toEqual(counted);
      // Failures are counted as errors the same way.
      const failed = await summaryOf('failing', false);
      expect(failed).toMatchObject({ comparisons: 3 * rows.length, agreements: 0, candidateErrors: 3 * rows.length });
      expect(await summaryOf('failing', true)).toEqual(failed);
    },
  );

  it('a string result with a comparable function is made comparable on this thread by that function, as before', async () => {
    const made: string[] = [];
    const runner = createShadowRunner<number, string>({
      control: (input) => Promise.resolve(`answer ${input}`),
      candidate: { module, options: { prefix: 'ANSWER ' } },
      comparable: (result) => {
        made.push(result);
        return { text: result.toUpperCase() };
      },
      noiseSampleRate: 0,
    });
    try {
      await runner.run(1);
      await runner.idle();
      expect(made).toEqual(['answer 1']);
      expect(runner.summary()).toMatchObject({ comparisons: 1, agreements: 1, byLayer: { exact: 1 } });
    } finally {
      await runner.close();
    }
  });

  it("a judge in the candidate's module decides in the worker", async () => {
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: 'lenient', options: { prefix: 'quite another answer to ' } },
      noiseSampleRate: 0,
    });
    try {
      await runner.run('1');
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 1, agreements: 1, byLayer: { judge: 1 } });
    } finally {
      await runner.close();
    }
  });

  it('drops and counts samples while the worker lags (bounded, never queued without bound); takes them again once it caught up', async () => {
    const gate = new SharedArrayBuffer(4);
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: 'gated', options: { gate }, isolation: 'thread' },
      noiseSampleRate: 0,
      maxInFlight: 3,
    });
    try {
      // Five answers in one turn: three samples are taken, two dropped before anything is posted.
      const answers = await Promise.all(['1', '2', '3', '4', '5'].map((input) => runner.run(input)));
      expect(answers.map((answer) => answer.text)).toEqual(['answer 1', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
      expect(runner.summary().shed).toBe(2);
      // The three are in the worker, held there: every further request is answered and its sample dropped.
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = 6; i <= 9; i++) expect(await runner.run(String(i))).toEqual({ text: `answer ${i}` });
      // The runner notes an answered request right after the caller's continuation: one microtask later.
      await Promise.resolve();
      expect(runner.summary()).toMatchObject({ comparisons: 0, shed: 6 });
      const flag = new Int32Array(gate);
      Atomics.store(flag, 0, 1);
      Atomics.notify(flag, 0);
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 3, agreements: 3, shed: 6 });
      await runner.run('10');
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 4, agreements: 4, shed: 6, candidateErrors: 0 });
    } finally {
      await runner.close();
    }
  });

  it('an input that cannot cross to the worker is a candidate error; the others of its batch are compared', async () => {
    const runner = createShadowRunner<{ id: string; callback?: () => void }, Answer>({
      control: (input) => Promise.resolve({ text: `answer ${input.id}` }),
      candidate: { module, export: 'byId', options: { prefix: 'answer ' } },
      noiseSampleRate: 0,
    });
    const answers = await Promise.all([
      runner.run({ id: '1' }),
      runner.run({
        id: '2',
        callback: () => {
          // a function cannot be cloned
        },
      }),
      runner.run({ id: '3' }),
    ]);
    try {
      expect(answers.map((answer) => answer.text)).toEqual(['answer 1', 'answer 2', 'answer 3']);
      await runner.idle();
      const summary = runner.summary();
      expect(summary).toMatchObject({ comparisons: 3, agreements: 2, candidateErrors: 1, byLayer: { error: 1 } });
    } finally {
      await runner.close();
    }
  });

  it('close() records what is in flight as errors; the control still answers after it', async () => {
    const gate = new SharedArrayBuffer(4);
    const errors: string[] = [];
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: 'gated', options: { gate }, isolation: 'thread' },
      noiseSampleRate: 0,
      onComparison: (comparison) => {
        if (comparison.layer === 'error') errors.push(comparison.detail ?? '');
      },
    });
    await runner.run('1');
    await new Promise((resolve) => setImmediate(resolve));
    await runner.close();
    expect(errors).toEqual(['the shadow runner was closed']);
    expect(await runner.run('2')).toEqual({ text: 'answer 2' });
    await runner.idle();
    expect(runner.summary()).toMatchObject({ comparisons: 2, candidateErrors: 2 });
  });
});

// The worker's CPU priority is set by the kernel's rules (Linux: /proc, util-linux chrt); the tests read
// back what the kernel applied, from outside the worker.
const hasChrt = existsSync('/proc/thread-self/stat') && spawnSync('chrt', ['--version']).status === 0;
if (!hasChrt && process.env.CI === undefined)
  console.warn('shadow-worker.test.ts: not Linux or no util-linux chrt: the worker priority tests are skipped (they fail in CI)');

/** The scheduling policy (5 = SCHED_IDLE, 0 = normal) and nice of a thread of this process, from /proc. */
function kernelPriority(tid: number | undefined): { policy: number; nice: number } {
  if (tid === undefined) throw new Error('the worker reported no thread id');
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { nice: Number(fields[19 - 3]), policy: Number(fields[41 - 3]) };
}

/** Runs one call in a worker with `lowPriority` (PATH replaced while the worker starts, when given) and returns what it reported and what /proc says. */
async function priorityOf(
  lowPriority: 'idle' | 'nice' | false | undefined,
  path?: string,
): Promise<{ reported: WorkerPriority | undefined; kernel: { policy: number; nice: number } }> {
  const candidate = workerCandidate<string, Answer>({
    module,
    options: { prefix: '' },
    ...(lowPriority === undefined ? {} : { lowPriority }),
  });
  const saved = process.env.PATH;
  try {
    if (path !== undefined) process.env.PATH = path;
    const answered = candidate.run('x');
    process.env.PATH = saved;
    await answered;
    const reported = candidate.priority;
    return { reported, kernel: kernelPriority(reported?.tid) };
  } finally {
    process.env.PATH = saved;
    await candidate.close();
  }
}

describe.skipIf(!hasChrt && process.env.CI === undefined)("the worker thread's CPU priority", () => {
  it('is SCHED_IDLE by default, as the kernel reports it for the worker thread alone', async () => {
    const { reported, kernel } = await priorityOf(undefined);
    expect(reported).toMatchObject({ wanted: 'idle', priority: 'idle' });
    expect(reported?.detail).toBeUndefined();
    expect(kernel.policy).toBe(5);
    expect(kernelPriority(Number(readFileSync('/proc/thread-self/stat', 'utf8').split(' ')[0])).policy).toBe(0);
  });

  it("'nice' is nice 19 under the normal policy; false leaves the process's priority", async () => {
    const nice = await priorityOf('nice');
    expect(nice.reported).toMatchObject({ wanted: 'nice', priority: 'nice' });
    expect(nice.kernel).toEqual({ policy: 0, nice: 19 });
    const normal = await priorityOf(false);
    expect(normal.reported).toMatchObject({ wanted: false, priority: 'normal' });
    expect(normal.kernel.policy).toBe(0);
  });

  it('when chrt is missing or fails, the worker falls back to nice 19 and the runner says so in its summary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-chrt-'));
    try {
      const missing = await priorityOf('idle', dir);
      expect(missing.reported).toMatchObject({ wanted: 'idle', priority: 'nice' });
      expect(missing.reported?.detail).toMatch(/chrt --idle failed \(.*ENOENT.*\): fell back to nice 19/);
      expect(missing.kernel).toEqual({ policy: 0, nice: 19 });

      const fake = join(dir, 'chrt');
      writeFileSync(fake, '#!/bin/sh\necho "chrt: refused by the test" >&2\nexit 1\n');
      chmodSync(fake, 0o755);
      const saved = process.env.PATH;
      // The worker starts when the runner is made, and runs chrt from the PATH it started with.
      const refused = 'chrt --idle failed (chrt: refused by the test): fell back to nice 19';
      for (const isolation of ['thread', 'process'] as const) {
        process.env.PATH = dir;
        const runner = createShadowRunner<string, Answer>({
          control,
          candidate: { module, options: { prefix: 'answer ' }, isolation },
          noiseSampleRate: 0,
        });
        try {
          expect(await runner.run('1')).toEqual({ text: 'answer 1' });
          await runner.idle();
          process.env.PATH = saved;
          const { priority, comparisons, agreements } = runner.summary();
          expect({ comparisons, agreements }).toEqual({ comparisons: 1, agreements: 1 });
          expect(priority).toMatchObject({ wanted: 'idle', priority: 'nice', detail: refused });
          if (isolation === 'thread') {
            expect(kernelPriority(priority?.tid)).toEqual({ policy: 0, nice: 19 });
            expect(priority?.relay).toBeUndefined();
          } else {
            // The process and its relay thread (which ran chrt first, from the same PATH) each say so.
            expect(processPriorities(priority?.tid ?? 0).every((each) => each.policy === 0 && each.nice === 19)).toBe(true);
            expect(priority?.relay).toMatchObject({ priority: 'nice', detail: refused });
            expect(kernelPriority(priority?.relay?.tid)).toEqual({ policy: 0, nice: 19 });
          }
        } finally {
          process.env.PATH = saved;
          await runner.close();
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an in-process candidate has no worker priority; a bad lowPriority is refused', () => {
    const runner = createShadowRunner<string, Answer>({ control, candidate: control, noiseSampleRate: 0 });
    expect(runner.summary().priority).toBeUndefined();
    expect(() => createShadowRunner<string, Answer>({ control, candidate: { module, lowPriority: true as unknown as 'idle' } })).toThrow(
      /lowPriority must be 'idle', 'nice' or false, not true/,
    );
  });
});

/** Policy and nice of every thread of process `pid` (its main thread first), from /proc. */
function processPriorities(pid: number): { policy: number; nice: number }[] {
  return readdirSync(`/proc/${pid}/task`)
    .sort((a, b) => (a === String(pid) ? -1 : b === String(pid) ? 1 : Number(a) - Number(b)))
    .map((tid) => {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return { nice: Number(fields[19 - 3]), policy: Number(fields[41 - 3]) };
    });
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('a worker process (the shadow runner’s default for a module candidate)', () => {
  it.skipIf(!hasChrt && process.env.CI === undefined)(
    'runs at SCHED_IDLE with every thread of it (V8’s own too), started by a relay thread of this process that forwards the samples staged in the shared ring',
    async () => {
      const runner = createShadowRunner<string, Answer>({
        control,
        candidate: { module, options: { prefix: 'answer ' } },
        noiseSampleRate: 0,
      });
      try {
        for (let i = 0; i < 3; i++) expect(await runner.run(String(i))).toEqual({ text: `answer ${i}` });
        await Promise.all(['a', 'b'].map((input) => runner.run(input)));
        await runner.idle();
        const { priority, handoff, comparisons, agreements } = runner.summary();
        expect({ comparisons, agreements }).toEqual({ comparisons: 5, agreements: 5 });
        // Each sample staged in the ring as it came, published in groups (no batch packed, nothing posted from this thread); the relay sends them on.
        expect(handoff).toMatchObject({
          isolation: 'process',
          mode: 'shared',
          stagedSamples: 5,
          ringSamples: 0,
          ringBatches: 0,
          postedBatches: 0,
        });
        expect(handoff?.publishes).toBeGreaterThanOrEqual(1);
        expect(priority).toMatchObject({ wanted: 'idle', priority: 'idle' });
        expect(priority?.detail).toBeUndefined();
        const pid = priority?.tid ?? 0;
        expect(pid).not.toBe(process.pid);
        // Spawned from this process (by its relay thread), not from somewhere else.
        expect(readFileSync(`/proc/${pid}/status`, 'utf8')).toMatch(new RegExp(`\\nPPid:\\s+${process.pid}\\n`));
        const threads = processPriorities(pid);
        // Node's main thread, V8's platform threads, libuv's pool: all of them.
        expect(threads.length).toBeGreaterThan(4);
        expect(threads.every((each) => each.policy === 5)).toBe(true);
        // The relay thread of this process that spawned it is at SCHED_IDLE too (it forwards the samples
        // and the reports: its work must give way to the control's threads); this process's main thread is untouched.
        expect(priority?.relay).toMatchObject({ priority: 'idle' });
        expect(priority?.relay?.detail).toBeUndefined();
        expect(priority?.relay?.tid).not.toBe(process.pid);
        expect(kernelPriority(priority?.relay?.tid).policy).toBe(5);
        expect(processPriorities(process.pid)[0]?.policy).toBe(0);
      } finally {
        await runner.close();
      }
    },
  );

  it.skipIf(!hasChrt && process.env.CI === undefined)(
    "'nice' puts every thread of the process, and its relay thread, at nice 19",
    async () => {
      const runner = createShadowRunner<string, Answer>({
        control,
        candidate: { module, options: { prefix: 'answer ' }, lowPriority: 'nice' },
        noiseSampleRate: 0,
      });
      try {
        await runner.run('1');
        await runner.idle();
        expect(runner.summary().priority).toMatchObject({ wanted: 'nice', priority: 'nice', relay: { priority: 'nice' } });
        const threads = processPriorities(runner.summary().priority?.tid ?? 0);
        expect(threads.every((each) => each.policy === 0 && each.nice === 19)).toBe(true);
        expect(kernelPriority(runner.summary().priority?.relay?.tid)).toEqual({ policy: 0, nice: 19 });
      } finally {
        await runner.close();
      }
    },
  );

  it('drops and counts samples while the process lags, from the finished count its reports carry; takes them again once it caught up', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-gate-'));
    const gate = join(dir, 'open');
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: 'fileGated', options: { gate }, reportIntervalMs: 20 },
      noiseSampleRate: 0,
      maxInFlight: 3,
    });
    try {
      const answers = await Promise.all(['1', '2', '3', '4', '5'].map((input) => runner.run(input)));
      expect(answers.map((answer) => answer.text)).toEqual(['answer 1', 'answer 2', 'answer 3', 'answer 4', 'answer 5']);
      await Promise.resolve();
      expect(runner.summary().shed).toBe(2);
      await new Promise((resolve) => setImmediate(resolve));
      for (let i = 6; i <= 8; i++) expect(await runner.run(String(i))).toEqual({ text: `answer ${i}` });
      await Promise.resolve();
      expect(runner.summary()).toMatchObject({ comparisons: 0, shed: 5 });
      writeFileSync(gate, '');
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 3, agreements: 3, shed: 5 });
      await runner.run('9');
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 4, agreements: 4, shed: 5, candidateErrors: 0 });
    } finally {
      await runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("handoff 'message': batches posted over the process's channel from this thread, no ring, no relay", async () => {
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, options: { prefix: 'answer ' }, handoff: 'message' },
      noiseSampleRate: 0,
    });
    try {
      for (let i = 0; i < 3; i++) await runner.run(String(i));
      await Promise.all(['a', 'b'].map((input) => runner.run(input)));
      await runner.idle();
      const { handoff, comparisons, agreements, priority } = runner.summary();
      expect({ comparisons, agreements }).toEqual({ comparisons: 5, agreements: 5 });
      expect(handoff).toMatchObject({ isolation: 'process', mode: 'message', ringSamples: 0, ringBatches: 0, wakes: 0 });
      expect(handoff?.postedBatches).toBeGreaterThanOrEqual(1);
      expect(priority?.tid).not.toBe(process.pid);
    } finally {
      await runner.close();
    }
  });

  it('through the relay: samples larger than the whole ring are posted to it as a batch and still reach the process with the rest', async () => {
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, options: { prefix: 'answer ' }, ringBytes: 4096 },
      noiseSampleRate: 0,
    });
    try {
      // 8 KB inputs: every batch is larger than the 4 KB ring.
      const big = 'x'.repeat(8192);
      await Promise.all([1, 2, 3].map((n) => runner.run(`${n}${big}`)));
      await runner.idle();
      await runner.run('small');
      await runner.idle();
      const { handoff, comparisons, agreements, shed } = runner.summary();
      expect({ comparisons, agreements, shed }).toEqual({ comparisons: 4, agreements: 4, shed: 0 });
      expect(handoff).toMatchObject({ mode: 'shared', droppedSamples: 0 });
      expect(handoff?.postedBatches).toBeGreaterThanOrEqual(1);
      expect(handoff?.stagedSamples).toBe(1);
    } finally {
      await runner.close();
    }
  });

  it('a process killed from outside while a sample runs: the sample is an error, the next one starts another process', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-gate-'));
    const comparisons: { layer: string; detail?: string | undefined }[] = [];
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: 'fileGated', options: { gate: join(dir, 'open') } },
      noiseSampleRate: 0,
      onComparison: (comparison) => comparisons.push(comparison),
    });
    try {
      await runner.run('1');
      // The sample waits at the gate in the process; its pid comes with its priority report.
      let pid: number | undefined;
      for (let tries = 0; tries < 200 && pid === undefined; tries++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        pid = runner.summary().priority?.tid;
      }
      expect(pid).toBeDefined();
      process.kill(pid ?? 0, 'SIGKILL');
      await runner.idle();
      expect(comparisons).toEqual([
        { kind: 'candidate', agree: false, layer: 'error', detail: "the shadow candidate's worker exited (signal SIGKILL)" },
      ]);
      writeFileSync(join(dir, 'open'), '');
      await runner.run('2');
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 2, agreements: 1, candidateErrors: 1 });
      expect(runner.summary().priority?.tid).not.toBe(pid);
    } finally {
      await runner.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a runaway candidate: the process is killed at the timeout, the next sample starts another; close() leaves no process behind', async () => {
    const comparisons: { detail?: string | undefined }[] = [];
    const runner = createShadowRunner<string, Answer>({
      control,
      candidate: { module, export: 'hanging', timeoutMs: 200 },
      noiseSampleRate: 0,
      onComparison: (comparison) => comparisons.push(comparison),
    });
    const pids = new Set<number>();
    try {
      for (const input of ['1', '2']) {
        expect(await runner.run(input)).toEqual({ text: `answer ${input}` });
        await runner.idle();
        const pid = runner.summary().priority?.tid;
        if (pid !== undefined) pids.add(pid);
      }
      expect(runner.summary()).toMatchObject({ comparisons: 2, candidateErrors: 2 });
      expect(comparisons.every((c) => (c.detail ?? '').includes('did not answer within 200 ms: its worker was terminated'))).toBe(true);
      expect(pids.size).toBe(2);
    } finally {
      await runner.close();
    }
    expect([...pids].filter(alive)).toEqual([]);
  });

  it('the process ends by itself when its channel closes (its parent exited or was killed)', async () => {
    const child = spawn(process.execPath, [fileURLToPath(new URL('../thread/shadow-thread.mjs', import.meta.url))], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const exited = new Promise<number | null>((resolve) => {
      child.once('exit', (code) => {
        resolve(code);
      });
    });
    child.send({
      type: 'init',
      data: {
        module: module.href,
        exportName: 'default',
        options: { prefix: '' },
        timeoutMs: 1000,
        reportIntervalMs: 10,
        reportBatch: 10,
        judgeOnMain: false,
        lowPriority: false,
        pollMs: 20,
        parkAfterMs: 1000,
      },
    });
    await new Promise((resolve) => child.once('message', resolve)); // its priority: it runs
    child.disconnect();
    expect(await exited).toBe(0);
  });

  it("refuses what a process cannot take: heap limits other than the old generation's, options that cannot cross, an unknown isolation", async () => {
    expect(() => createShadowRunner<string, Answer>({ control, candidate: { module, resourceLimits: { stackSizeMb: 4 } } })).toThrow(
      /takes only resourceLimits.maxOldGenerationSizeMb, not stackSizeMb/,
    );
    const limited = createShadowRunner<string, Answer>({ control, candidate: { module, resourceLimits: { maxOldGenerationSizeMb: 64 } } });
    await limited.close();
    expect(() =>
      createShadowRunner<string, Answer>({ control, candidate: { module, options: { gate: new SharedArrayBuffer(4) } } }),
    ).toThrow(/options cannot cross to a worker process \(.*SharedArrayBuffer.*\); use isolation: 'thread'/);
    expect(() => createShadowRunner<string, Answer>({ control, candidate: { module, isolation: 'fork' as unknown as 'process' } })).toThrow(
      /isolation must be 'process' or 'thread', not "fork"/,
    );
  });

  it("workerCandidate with isolation: 'process': each call's result comes back from another process; a timeout kills it; close() leaves none", async () => {
    const echo = workerCandidate<string, Answer & { pid?: number }>({
      module,
      export: 'observedRun',
      options: { prefix: 'x' },
      isolation: 'process',
      timeoutMs: 300,
    });
    const first = await echo.run('1');
    expect(first.text).toBe('x1');
    expect(echo.threadId).toBeUndefined();
    expect(echo.pid).toBe(first.pid);
    expect(first.pid).not.toBe(process.pid);
    expect((await echo.run('2')).pid).toBe(first.pid);
    await echo.close();
    expect(echo.pid).toBeUndefined();
    expect(alive(first.pid ?? 0)).toBe(false);
  });
});

describe('a worker keeps the process alive only while someone awaits it', () => {
  const source = fileURLToPath(new URL('./index.ts', import.meta.url));
  const fixture = fileURLToPath(module);
  const packageFolder = fileURLToPath(new URL('..', import.meta.url));
  // A script that awaits the worker and then does nothing more: it must print its answer and exit by itself.
  const runScript = (code: string) => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-alive-'));
    try {
      const script = join(dir, 'script.mjs');
      writeFileSync(script, code);
      return spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: packageFolder, encoding: 'utf8', timeout: 20_000 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const outcome = (done: ReturnType<typeof spawnSync>) => ({ status: done.status, signal: done.signal, out: String(done.stdout).trim() });

  it.each(['thread', 'process'] as const)(
    'workerCandidate (%s): the awaited call is answered, then the process exits without close()',
    (isolation) => {
      const done = runScript(
        `import { workerCandidate } from ${JSON.stringify(source)};
       const candidate = workerCandidate({ module: ${JSON.stringify(fixture)}, options: { prefix: 'a ' }, isolation: '${isolation}' });
       console.log((await candidate.run('x')).text);`,
      );
      expect(outcome(done)).toEqual({ status: 0, signal: null, out: 'a x' });
    },
  );

  it.each(['thread', 'process'] as const)(
    'a shadow runner (%s): idle() waits for the comparison, then the process exits without close()',
    (isolation) => {
      const done = runScript(
        `import { createShadowRunner } from ${JSON.stringify(source)};
       const runner = createShadowRunner({ control: async (input) => ({ text: 'answer ' + input }), candidate: { module: ${JSON.stringify(fixture)}, options: { prefix: 'answer ' }, isolation: '${isolation}' }, noiseSampleRate: 0 });
       await runner.run('1');
       await runner.idle();
       console.log(runner.summary().agreements);`,
      );
      expect(outcome(done)).toEqual({ status: 0, signal: null, out: '1' });
    },
  );

  it.each(['thread', 'process'] as const)(
    'a shadow runner (%s) made and never used: its worker, started at once, does not keep the process alive',
    (isolation) => {
      const done = runScript(
        `import { createShadowRunner } from ${JSON.stringify(source)};
       const runner = createShadowRunner({ control: async (input) => ({ text: input }), candidate: { module: ${JSON.stringify(fixture)}, isolation: '${isolation}' } });
       for (let i = 0; i < 200 && runner.summary().priority === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 25));
       console.log(runner.summary().priority?.priority);`,
      );
      // The worker was up (it reported its priority) and the script still ended by itself.
      expect(outcome(done)).toEqual({ status: 0, signal: null, out: 'idle' });
    },
  );

  it('a worker process of a host started with -e runs the worker script, not the host’s code again', () => {
    const done = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '-e',
        `import { workerCandidate } from ${JSON.stringify(source)};
         const candidate = workerCandidate({ module: ${JSON.stringify(fixture)}, options: { prefix: 'a ' }, isolation: 'process' });
         console.log((await candidate.run('x')).text);`,
      ],
      { cwd: packageFolder, encoding: 'utf8', timeout: 20_000, killSignal: 'SIGKILL' },
    );
    expect(outcome(done)).toEqual({ status: 0, signal: null, out: 'a x' });
  });
});
