import { MemoryStore, memoryEscalation, type AgentOptions } from '@charter/agent';
import { scripted } from '@charter/agent/models';
import type { ScriptInput } from '@charter/agent/models';
import { MemoryLedger } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { deskPolicy, deskTools } from './__fixtures__/desk.js';
import { referenceManifest } from './__fixtures__/reference.js';
import { agentArm, simulatedTools } from './agent-arms.js';
import { compareLayered, createShadowRunner, normaliseText, type Comparable } from './shadow.js';

const manifest = referenceManifest();
const context = { customerOrders: ['A-1'], customerEmail: 'ana@example.com' };
const refund = (text: string): ScriptInput => ({
  turns: [{ toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-1', amount: 40, reason: 'damaged' } }] }, { text }],
});

function options(script: ScriptInput, tools: AgentOptions['tools']): AgentOptions {
  return {
    manifest,
    policy: deskPolicy(),
    model: scripted(script),
    tools,
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
    escalation: memoryEscalation(),
  };
}

describe('comparators', () => {
  it('layers: exact, normalised text, actions, judge', async () => {
    const refundA = { tool: 'refund_order', args: { orderId: 'A-1', amount: 40 } };
    const lookup = { tool: 'lookup_order', args: { orderId: 'A-1' } };
    const base: Comparable = { text: 'Refunded.', actions: [refundA, lookup] };
    expect(
      await compareLayered(base, { text: 'Refunded.', actions: [lookup, { tool: 'refund_order', args: { amount: 40, orderId: 'A-1' } }] }),
    ).toEqual({ agree: true, layer: 'exact' });
    expect(await compareLayered(base, { text: '  refunded ', actions: [refundA, lookup, lookup] })).toEqual({
      agree: true,
      layer: 'normalised-text',
    });
    expect(await compareLayered(base, { text: 'Refunded.', actions: [lookup] })).toMatchObject({ agree: false, layer: 'actions' });
    expect(await compareLayered(base, { text: 'Your money is on its way.', actions: [refundA, lookup] })).toMatchObject({
      agree: false,
      layer: 'unresolved',
    });
    const judged = await compareLayered(base, { text: 'Your money is on its way.', actions: [refundA, lookup] }, () =>
      Promise.resolve({ agree: true, detail: 'same meaning' }),
    );
    expect(judged).toEqual({ agree: true, layer: 'judge', detail: 'same meaning' });
    expect(normaliseText('Ｈｅｌｌｏ,   World!')).toBe('hello world');
  });
});

describe('shadow runner with real agents', () => {
  it('the user gets the control; the candidate runs after it with simulated tools: one real refund, one simulated', async () => {
    const { tools, effects } = deskTools();
    const control = agentArm(options(refund('Refunded 40 USD for A-1.'), tools), 'live');
    const candidate = agentArm(options(refund('Refunded 40 USD for A-1.'), tools), 'shadow');
    const outcomes: string[] = [];
    let candidateStarted = false;
    const runner = createShadowRunner<string, Awaited<ReturnType<typeof control.run>>>({
      control: (input) => control.run(input, { context }),
      candidate: (input) => {
        candidateStarted = true;
        return candidate.run(input, { context });
      },
      comparable: (run) => run.comparable,
      onOutcome: (arm, outcome) => outcomes.push(`${arm}:${outcome.result?.result.status ?? 'error'}`),
    });
    const answer = await runner.run('My order A-1 arrived broken: please refund the 40 USD.');
    expect(candidateStarted).toBe(false);
    expect(answer.result.output).toBe('Refunded 40 USD for A-1.');
    await runner.idle();
    expect(effects.refunds).toEqual(['A-1']);
    expect(effects.simulatedRefunds).toEqual(['A-1']);
    expect(outcomes).toEqual(['control:completed', 'candidate:completed']);
    expect(runner.summary()).toMatchObject({ comparisons: 1, agreements: 1, byLayer: { exact: 1 } });
  });

  it('guardrails in monitor mode: a candidate leaking a phone number is not redacted, and is a critical pii-leak', async () => {
    const { tools } = deskTools();
    const candidate = agentArm(options({ turns: [{ text: 'Call our manager on +1 415 555 0100.' }] }, tools), 'shadow');
    const run = await candidate.run('Who can I call?', { context });
    expect(run.result.output).toContain('+1 415 555 0100');
    expect(run.result.decisions.some((d) => d.hook === 'output' && !d.enforced && d.action === 'redact')).toBe(true);
    expect(run.observation).toMatchObject({ success: true, critical: 'pii-leak' });
    const live = agentArm(options({ turns: [{ text: 'Call our manager on +1 415 555 0100.' }] }, tools), 'live');
    expect((await live.run('Who can I call?', { context })).result.output).not.toContain('555 0100');
  });

  it('a side-effecting tool without simulate is refused in the shadow, never executed', async () => {
    const { tools, effects } = deskTools();
    const script: ScriptInput = {
      turns: [
        { toolCalls: [{ tool: 'send_email', args: { to: ['ana@example.com'], subject: 'Hi', body: 'Refund done' } }] },
        { text: 'Mailed you.' },
      ],
    };
    const candidate = agentArm(options(script, tools), 'shadow');
    const run = await candidate.run('Mail me', { context });
    expect(effects.emails).toEqual([]);
    expect(run.result.actions[0]).toMatchObject({ tool: 'send_email', outcome: 'error', errorCode: 'TOOL_FAILED' });
    expect(simulatedTools(tools).find((tool) => tool.name === 'refund_order')).not.toHaveProperty('idempotencyKey');
  });

  it('agreement with a confidence interval and a noise floor from running the control twice', async () => {
    let n = 0;
    const runner = createShadowRunner<number, Comparable>({
      control: (i) => Promise.resolve({ text: `answer ${i}` }),
      candidate: (i) => Promise.resolve({ text: i % 5 === 0 ? 'something else' : `answer ${i}` }),
      controlReplica: (i) => Promise.resolve({ text: i % 20 === 0 ? 'noise' : `answer ${i}` }),
      noiseSampleRate: 1,
      maxInFlight: 1_000,
      onComparison: () => n++,
    });
    for (let i = 1; i <= 100; i++) await runner.run(i);
    await runner.idle();
    const summary = runner.summary();
    expect(summary).toMatchObject({ comparisons: 100, agreements: 80, agreement: 0.8, noise: { comparisons: 100, agreements: 95 } });
    expect(summary.agreementInterval.lower).toBeCloseTo(0.711, 2);
    expect(summary.agreementInterval.upper).toBeCloseTo(0.867, 2);
    expect(n).toBe(200);
  });

  it('sheds shadow work beyond maxInFlight instead of piling it up', async () => {
    // The candidate lags: it answers only once the gate opens, after every request was served.
    let open = (): void => undefined;
    const gate = new Promise<void>((resolve) => {
      open = resolve;
    });
    const runner = createShadowRunner<number, string>({
      control: (i) => Promise.resolve(`a${i}`),
      candidate: async (i) => {
        await gate;
        return `a${i}`;
      },
      maxInFlight: 10,
    });
    for (let i = 0; i < 25; i++) expect(await runner.run(i)).toBe(`a${i}`);
    // The runner notes an answered request right after the caller's continuation: one microtask later.
    await Promise.resolve();
    expect(runner.summary()).toMatchObject({ comparisons: 0, shed: 15 });
    open();
    await runner.idle();
    expect(runner.summary()).toMatchObject({ comparisons: 10, agreements: 10, shed: 15 });
  });

  it("the caller's continuation runs before the runner notes the answer; the caller gets the control's own promise", async () => {
    const order: string[] = [];
    const runner = createShadowRunner<number, string>({
      control: (i) =>
        i === 0
          ? Promise.resolve('a')
          : new Promise((resolve) => {
              setImmediate(() => {
                resolve('a');
              });
            }),
      candidate: () => Promise.resolve('a'),
      onOutcome: (arm) => order.push(arm),
    });
    const settled = Promise.resolve('a');
    const direct = createShadowRunner<number, string>({ control: () => settled, candidate: () => Promise.resolve('a') });
    expect(direct.run(0)).toBe(settled);
    // A control already settled when run returns, and one that settles later: the caller first, both times.
    for (const input of [0, 1]) {
      await runner.run(input);
      order.push('caller');
      expect(order.at(-1)).toBe('caller');
      expect(order.filter((each) => each === 'control')).toHaveLength(input);
      await Promise.resolve();
      expect(order.at(-1)).toBe('control');
    }
    await runner.idle();
    expect(order).toEqual(['caller', 'control', 'caller', 'control', 'candidate', 'candidate']);
    expect(runner.summary()).toMatchObject({ comparisons: 2, agreements: 2 });
  });

  it("a rejecting control: the caller gets the control's own rejection, awaited at once or later; the runner records it; no unhandled rejection", async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', listener);
    try {
      const error = new Error('model down');
      const errors: unknown[] = [];
      const runner = createShadowRunner<string, string>({
        control: () =>
          new Promise((_, reject) => {
            setImmediate(() => {
              reject(error);
            });
          }),
        candidate: () => Promise.resolve('x'),
        onOutcome: (arm, outcome) => errors.push(arm === 'control' ? outcome.error : arm),
      });
      await expect(runner.run('now')).rejects.toBe(error);
      // A caller who attaches only after the control failed still gets the same rejection.
      const late = runner.run('later');
      await new Promise((resolve) => setTimeout(resolve, 5));
      await expect(late).rejects.toBe(error);
      await runner.idle();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect(errors).toEqual([error, error]);
      expect(runner.summary()).toMatchObject({ comparisons: 0, shed: 0 });
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('a failing control fails the request as it would without shadowing; the candidate is not run', async () => {
    let ran = false;
    const runner = createShadowRunner<string, string>({
      control: () => Promise.reject(new Error('model down')),
      candidate: () => {
        ran = true;
        return Promise.resolve('x');
      },
    });
    await expect(runner.run('x')).rejects.toThrow('model down');
    await runner.idle();
    expect(ran).toBe(false);
  });
});

/** Resolves once `done()` holds, polling every 5 ms; rejects after `ms`. */
async function within(ms: number, done: () => boolean): Promise<void> {
  const deadline = performance.now() + ms;
  while (!done()) {
    if (performance.now() > deadline) throw new Error(`not within ${String(ms)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A runner whose control and in-process candidate answer `answer <input>` at once. */
const echoRunner = (handoffMs: number): ReturnType<typeof createShadowRunner<string, string>> =>
  createShadowRunner<string, string>({
    control: (input) => Promise.resolve(`answer ${input}`),
    candidate: (input) => Promise.resolve(`answer ${input}`),
    noiseSampleRate: 0,
    handoffMs,
  });

describe('the batch handoff timer', () => {
  it('with no request in flight, the timer hands the samples over once the first waited handoffMs (not ten times that)', async () => {
    const runner = echoRunner(200);
    try {
      const started = performance.now();
      await runner.run('1');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(runner.summary().comparisons).toBe(0); // held for the handoff
      // Ten times handoffMs (the old fallback) would be 2 s.
      await within(1500, () => runner.summary().comparisons === 1);
      expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    } finally {
      await runner.close();
    }
  });

  it("with a request in flight, the timer marks the handoff due and that request's reaction hands over; if it does not come, the timer does", async () => {
    const answers = new Map<string, (value: string) => void>();
    const runner = createShadowRunner<string, string>({
      control: (input) =>
        input.startsWith('slow')
          ? new Promise((resolve) => {
              answers.set(input, resolve);
            })
          : Promise.resolve(`answer ${input}`),
      candidate: (input) => Promise.resolve(`answer ${input}`),
      noiseSampleRate: 0,
      handoffMs: 100,
    });
    try {
      // Due: 'slow-1' is in flight when the timer fires; its own reaction then hands both samples over at once.
      const slow = runner.run('slow-1');
      await runner.run('1');
      await new Promise((resolve) => setTimeout(resolve, 130));
      expect(runner.summary().comparisons).toBe(0);
      answers.get('slow-1')?.('answer slow-1');
      await slow;
      await new Promise((resolve) => setImmediate(resolve));
      expect(runner.summary().comparisons).toBe(2);
      // Not coming: 'slow-2' never answers; after another handoffMs the timer hands the waiting sample over itself.
      void runner.run('slow-2');
      const started = performance.now();
      await runner.run('2');
      await within(900, () => runner.summary().comparisons === 3); // not ten times handoffMs (1 s)
      expect(performance.now() - started).toBeGreaterThanOrEqual(180);
      answers.get('slow-2')?.('answer slow-2');
    } finally {
      await runner.close();
    }
  });

  it('a handoffMs too long for a timer waits as long as a timer can (not 1 ms): nothing is handed over until idle()', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => {
      warnings.push(warning.name);
    };
    process.on('warning', onWarning);
    const runner = echoRunner(1e9);
    try {
      expect(await runner.run('1')).toBe('answer 1');
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(runner.summary().comparisons).toBe(0);
      await runner.idle();
      expect(runner.summary()).toMatchObject({ comparisons: 1, agreements: 1 });
      expect(warnings).not.toContain('TimeoutOverflowWarning');
    } finally {
      process.off('warning', onWarning);
      await runner.close();
    }
  });
});
