import { threadId } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { RolloutError } from './errors.js';
import { createShadowRunner } from './shadow.js';
import { workerCandidate } from './shadow-worker.js';

// The candidate runs in a worker thread from a module (plain JavaScript fixture) and cloneable options.
// No timing is asserted: the tests show where the candidate runs and that its failures never reach the control.
const module = new URL('./__fixtures__/shadow-candidates.mjs', import.meta.url);
interface Answer {
  text: string;
  threadId?: number;
}
const control = (input: string): Promise<Answer> => Promise.resolve({ text: `answer ${input}` });

describe('shadow candidate in a worker thread', () => {
  it('runs in another thread, from a module and options; the comparison works as in-process', async () => {
    const seen: number[] = [];
    const runner = createShadowRunner<string, Answer>({
      control: (input) => Promise.resolve({ text: `answer ${input}`, threadId }),
      candidate: { module, options: { prefix: 'answer ' } },
      comparable: (result) => ({ text: result.text }),
      noiseSampleRate: 0,
      onOutcome: (arm, outcome) => {
        if (arm === 'candidate' && outcome.result?.threadId !== undefined) seen.push(outcome.result.threadId);
      },
    });
    try {
      expect(await runner.run('1')).toEqual({ text: 'answer 1', threadId });
      expect(await runner.run('2')).toEqual({ text: 'answer 2', threadId });
      await runner.idle();
      expect(seen).toHaveLength(2);
      expect(seen.every((id) => id !== threadId && id === seen[0])).toBe(true);
      const summary = runner.summary();
      expect(summary.comparisons).toBe(2);
      expect(summary.agreements).toBe(2);
      expect(summary.candidateErrors).toBe(0);
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
