import { inspect } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  createExecutor,
  createRegistry,
  defineTool,
  MemoryLedger,
  PermanentToolError,
  ToolErrorCode,
  TransientToolError,
  type BreakerState,
  type LedgerRecord,
  type ToolContext,
  type ToolResult,
} from './index.js';

const orderInput = z.object({ orderId: z.string().regex(/^A-\d{1,8}$/), amount: z.number().positive().max(10_000) });

function lookup(execute: (input: { orderId: string }, ctx: ToolContext) => unknown, extra: Record<string, unknown> = {}) {
  return defineTool({
    name: 'lookup_order',
    version: '1.2.0',
    description: 'Looks up an order.',
    input: z.object({ orderId: z.string() }),
    output: z.object({ status: z.string() }),
    sideEffects: 'none',
    retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 4 },
    ...extra,
    execute: execute as never,
  });
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const ctx = { runId: 'run-1' };

function failure(result: ToolResult) {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

describe('executor: contracts', () => {
  it('runs a valid call and returns the validated value with meta', async () => {
    const executor = createExecutor([lookup(() => ({ status: 'shipped', extra: 1 }))]);
    const result = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value).toEqual({ status: 'shipped' });
    expect(result.meta).toMatchObject({
      tool: 'lookup_order',
      version: '1.2.0',
      attempts: 1,
      replayed: false,
      simulated: false,
      breaker: 'closed',
    });
    expect(result.meta.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('rejects bad input with every zod issue and its path, without running the tool', async () => {
    const execute = vi.fn();
    const tool = defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refunds.',
      input: orderInput,
      output: z.object({}),
      sideEffects: 'irreversible',
      execute,
    });
    const executor = createExecutor([tool], { ledger: new MemoryLedger() });
    const error = failure(await executor.execute('refund_order', { orderId: 'nope', amount: -3 }, ctx));
    expect(error.code).toBe(ToolErrorCode.Input);
    expect(error.retriable).toBe(false);
    expect(error.issues?.map((i) => i.path)).toEqual([['orderId'], ['amount']]);
    expect(error.message).toContain('orderId');
    expect(error.message).toContain('amount');
    expect(execute).not.toHaveBeenCalled();
  });

  it('reports a tool that breaks its output contract as TOOL_OUTPUT, not retried', async () => {
    const execute = vi.fn(() => ({ status: 42 }));
    const executor = createExecutor([lookup(execute)]);
    const error = failure(await executor.execute('lookup_order', { orderId: 'A-1' }, ctx));
    expect(error.code).toBe(ToolErrorCode.Output);
    expect(error.issues?.[0]?.path).toEqual(['status']);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('runs an input the caller validated (inputValidated) as given, and validates it otherwise', async () => {
    let parses = 0;
    const received: unknown[] = [];
    const tool = defineTool({
      name: 'lookup_order',
      version: '1.2.0',
      description: 'Looks up an order.',
      input: z
        .object({ orderId: z.string() })
        .refine(() => ++parses > 0)
        .transform(({ orderId }) => ({ orderId: orderId.toUpperCase() })),
      output: z.object({ status: z.string() }),
      sideEffects: 'none',
      execute: (input) => {
        received.push(input);
        return { status: 'shipped' };
      },
    });
    const executor = createExecutor([tool]);
    // The schema's output, passed by a caller that parsed it: not parsed (nor transformed) again.
    expect((await executor.execute('lookup_order', { orderId: 'A-1' }, { ...ctx, inputValidated: true })).ok).toBe(true);
    expect(parses).toBe(0);
    // Without the flag the contract runs, on valid and invalid input alike.
    expect((await executor.execute('lookup_order', { orderId: 'a-2' }, ctx)).ok).toBe(true);
    expect(failure(await executor.execute('lookup_order', { orderId: 3 }, ctx)).code).toBe(ToolErrorCode.Input);
    expect(parses).toBe(1);
    expect(received).toEqual([{ orderId: 'A-1' }, { orderId: 'A-2' }]);
  });

  it('reports an unknown tool as TOOL_NOT_FOUND naming the known tools', async () => {
    const executor = createExecutor([lookup(() => ({ status: 'x' }))]);
    const error = failure(await executor.execute('lookup_ordr', {}, ctx));
    expect(error.code).toBe(ToolErrorCode.NotFound);
    expect(error.message).toContain('lookup_order');
  });
});

describe('executor: timeouts and retries', () => {
  it('aborts the signal and fails with TOOL_TIMEOUT after timeoutMs', async () => {
    let seen: AbortSignal | undefined;
    const tool = lookup(
      (_input, c) => {
        seen = c.signal;
        return new Promise(() => undefined);
      },
      { timeoutMs: 20, retry: false },
    );
    const executor = createExecutor([tool]);
    const started = performance.now();
    const error = failure(await executor.execute('lookup_order', { orderId: 'A-1' }, ctx));
    expect(error.code).toBe(ToolErrorCode.Timeout);
    expect(error.retriable).toBe(true);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(seen?.aborted).toBe(true);
  });

  it('retries a transient failure and succeeds, with jittered backoff under the cap', async () => {
    let calls = 0;
    const retries: { attempt: number; delayMs: number; code: string }[] = [];
    const tool = lookup(
      (_input, c) => {
        calls += 1;
        if (c.attempt < 3) throw new TransientToolError('rate limited');
        return { status: 'ok' };
      },
      { retry: { attempts: 5, baseDelayMs: 8, maxDelayMs: 100 } },
    );
    const executor = createExecutor([tool], {
      random: () => 0.5,
      hooks: { onRetry: (_call, info) => retries.push({ attempt: info.attempt, delayMs: info.delayMs, code: info.error.code }) },
    });
    const result = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(result.ok).toBe(true);
    expect(calls).toBe(3);
    expect(result.meta.attempts).toBe(3);
    // full jitter: floor(random · min(max, base · 2^(n-1)))
    expect(retries).toEqual([
      { attempt: 1, delayMs: 4, code: 'TOOL_TRANSIENT' },
      { attempt: 2, delayMs: 8, code: 'TOOL_TRANSIENT' },
    ]);
  });

  it('classifies network codes and HTTP statuses: ECONNRESET and 503 are retried, 404 is not', async () => {
    const thrown: Error[] = [
      Object.assign(new Error('reset'), { code: 'ECONNRESET' }),
      Object.assign(new Error('unavailable'), { status: 503 }),
    ];
    let calls = 0;
    const executor = createExecutor([
      lookup(() => {
        const error = thrown[calls];
        calls += 1;
        if (error !== undefined) throw error;
        return { status: 'ok' };
      }),
    ]);
    expect((await executor.execute('lookup_order', { orderId: 'A-1' }, ctx)).ok).toBe(true);
    expect(calls).toBe(3);

    let notFoundCalls = 0;
    const permanent = createExecutor([
      lookup(() => {
        notFoundCalls += 1;
        throw Object.assign(new Error('order not found'), { status: 404 });
      }),
    ]);
    const error = failure(await permanent.execute('lookup_order', { orderId: 'A-1' }, ctx));
    expect(error).toMatchObject({ code: ToolErrorCode.Failed, retriable: false });
    expect(error.message).toContain('order not found');
    expect(notFoundCalls).toBe(1);
  });

  it('does not retry a permanent failure', async () => {
    const execute = vi.fn(() => {
      throw new PermanentToolError('order is archived');
    });
    const executor = createExecutor([lookup(execute)]);
    const result = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(failure(result)).toMatchObject({ code: ToolErrorCode.Failed, retriable: false, message: 'order is archived' });
    expect(execute).toHaveBeenCalledTimes(1);
    expect(result.meta.attempts).toBe(1);
  });

  it('gives up when the next retry would exceed maxTotalMs', async () => {
    let now = 0;
    const execute = vi.fn(() => {
      now += 40;
      throw new TransientToolError('slow and failing');
    });
    const tool = lookup(execute, { retry: { attempts: 10, baseDelayMs: 1, maxDelayMs: 1, maxTotalMs: 100 } });
    const executor = createExecutor([tool], { now: () => now, random: () => 0 });
    const result = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(failure(result).code).toBe(ToolErrorCode.Transient);
    expect(execute).toHaveBeenCalledTimes(3);
  });

  it('never retries a side-effecting tool without an idempotency key, and says the timeout is in doubt', async () => {
    const execute = vi.fn(() => {
      throw new TransientToolError('gateway hiccup');
    });
    const send = defineTool({
      name: 'send_email',
      version: '1.0.0',
      description: 'Sends.',
      input: z.object({ to: z.string() }),
      output: z.object({}),
      sideEffects: 'irreversible',
      execute,
    });
    const executor = createExecutor([send]);
    const error = failure(await executor.execute('send_email', { to: 'a@b.c' }, ctx));
    expect(error).toMatchObject({ code: ToolErrorCode.Transient, retriable: false });
    expect(execute).toHaveBeenCalledTimes(1);

    const hang = defineTool({
      name: 'send_email',
      version: '1.0.0',
      description: 'Sends.',
      input: z.object({}),
      output: z.object({}),
      sideEffects: 'irreversible',
      timeoutMs: 10,
      execute: () => new Promise<Record<string, never>>(() => undefined),
    });
    const timeout = failure(await createExecutor([hang]).execute('send_email', {}, ctx));
    expect(timeout).toMatchObject({ code: ToolErrorCode.Timeout, retriable: false });
    expect(timeout.message).toContain('in doubt');
  });

  it('stops at once when the caller aborts: before, during a call and during backoff', async () => {
    const execute = vi.fn();
    const executor = createExecutor([lookup(execute)]);
    const aborted = AbortSignal.abort();
    expect(failure(await executor.execute('lookup_order', { orderId: 'A-1' }, { runId: 'r', signal: aborted })).code).toBe(
      ToolErrorCode.Aborted,
    );
    expect(execute).not.toHaveBeenCalled();

    const during = new AbortController();
    let toolSignal: AbortSignal | undefined;
    const slow = createExecutor([
      lookup((_i, c) => {
        toolSignal = c.signal;
        setTimeout(() => {
          during.abort();
        }, 5);
        return new Promise(() => undefined);
      }),
    ]);
    expect(failure(await slow.execute('lookup_order', { orderId: 'A-1' }, { runId: 'r', signal: during.signal })).code).toBe(
      ToolErrorCode.Aborted,
    );
    expect(toolSignal?.aborted).toBe(true);

    const backoff = new AbortController();
    const flaky = vi.fn(() => {
      setTimeout(() => {
        backoff.abort();
      }, 5);
      throw new TransientToolError('again');
    });
    const slowRetry = createExecutor([lookup(flaky, { retry: { attempts: 5, baseDelayMs: 10_000, maxDelayMs: 10_000 } })], {
      random: () => 0.99,
    });
    const started = performance.now();
    expect(failure(await slowRetry.execute('lookup_order', { orderId: 'A-1' }, { runId: 'r', signal: backoff.signal })).code).toBe(
      ToolErrorCode.Aborted,
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(flaky).toHaveBeenCalledTimes(1);
  });
});

describe('executor: circuit breaker and bulkhead', () => {
  const breakerTool = (execute: () => unknown) =>
    lookup(execute, { retry: false, breaker: { windowSize: 4, minimumCalls: 4, failureRateThreshold: 0.5, openMs: 1000 } });

  it('opens on the failure rate, fails fast while open, probes half-open and closes on success', async () => {
    let now = 0;
    let healthy = false;
    const execute = vi.fn(() => {
      if (!healthy) throw new TransientToolError('down');
      return { status: 'ok' };
    });
    const changes: [BreakerState, BreakerState][] = [];
    const executor = createExecutor([breakerTool(execute)], {
      now: () => now,
      hooks: { onBreakerStateChange: (c) => changes.push([c.from, c.to]) },
    });
    for (let i = 0; i < 4; i += 1) await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(executor.breakerState('lookup_order')).toBe('open');
    expect(execute).toHaveBeenCalledTimes(4);

    const fast = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(failure(fast)).toMatchObject({ code: ToolErrorCode.Unavailable, retriable: true });
    expect(fast.meta.breaker).toBe('open');
    expect(execute).toHaveBeenCalledTimes(4);

    now = 1500;
    healthy = true;
    const probe = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(probe.ok).toBe(true);
    expect(executor.breakerState('lookup_order')).toBe('closed');
    expect(changes).toEqual([
      ['closed', 'open'],
      ['open', 'half-open'],
      ['half-open', 'closed'],
    ]);
  });

  it('re-opens when the half-open probe fails, and refuses other calls while the probe runs', async () => {
    let now = 0;
    const gate = deferred<undefined>();
    let mode: 'fail' | 'hold' = 'fail';
    const execute = vi.fn(async () => {
      if (mode === 'fail') throw new TransientToolError('down');
      await gate.promise;
      throw new TransientToolError('still down');
    });
    const executor = createExecutor([breakerTool(execute)], { now: () => now });
    for (let i = 0; i < 4; i += 1) await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    now = 2000;
    mode = 'hold';
    const probe = executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    await Promise.resolve();
    expect(executor.breakerState('lookup_order')).toBe('half-open');
    const other = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(failure(other).code).toBe(ToolErrorCode.Unavailable);
    gate.resolve(undefined);
    expect(failure(await probe).code).toBe(ToolErrorCode.Transient);
    expect(executor.breakerState('lookup_order')).toBe('open');
  });

  it('does not count permanent failures against the breaker', async () => {
    const executor = createExecutor([
      breakerTool(() => {
        throw new PermanentToolError('no such order');
      }),
    ]);
    for (let i = 0; i < 8; i += 1) await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(executor.breakerState('lookup_order')).toBe('closed');
  });

  it('fails fast with TOOL_BUSY when maxConcurrent calls are in flight, and recovers after', async () => {
    const gates = [deferred<undefined>(), deferred<undefined>()];
    let index = 0;
    const execute = vi.fn(async () => {
      const gate = gates[index];
      index += 1;
      if (gate) await gate.promise;
      return { status: 'ok' };
    });
    const executor = createExecutor([lookup(execute, { maxConcurrent: 2 })]);
    const first = executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    const second = executor.execute('lookup_order', { orderId: 'A-2' }, ctx);
    await new Promise((r) => setTimeout(r, 0));
    const third = await executor.execute('lookup_order', { orderId: 'A-3' }, ctx);
    expect(failure(third)).toMatchObject({ code: ToolErrorCode.Busy, retriable: true });
    expect(execute).toHaveBeenCalledTimes(2);
    for (const gate of gates) gate.resolve(undefined);
    expect((await first).ok && (await second).ok).toBe(true);
    expect((await executor.execute('lookup_order', { orderId: 'A-4' }, ctx)).ok).toBe(true);
  });
});

describe('executor: hooks', () => {
  it('lets a before hook refuse a call (execute never runs) and see side effects and grants', async () => {
    const execute = vi.fn(() => ({ status: 'ok' }));
    const seen: unknown[] = [];
    const executor = createExecutor([lookup(execute)], {
      hooks: {
        before: (call) => {
          seen.push({ tool: call.tool, sideEffects: call.sideEffects, input: call.input });
          return { action: 'refuse', reason: 'tool not allowed by policy' };
        },
      },
    });
    const error = failure(await executor.execute('lookup_order', { orderId: 'A-1' }, ctx));
    expect(error.code).toBe(ToolErrorCode.Refused);
    expect(error.message).toContain('tool not allowed by policy');
    expect(execute).not.toHaveBeenCalled();
    expect(seen).toEqual([{ tool: 'lookup_order', sideEffects: 'none', input: { orderId: 'A-1' } }]);
  });

  it('pauses on an async before hook (approval) and fails closed when it throws', async () => {
    const approval = deferred<undefined>();
    const execute = vi.fn(() => ({ status: 'ok' }));
    const executor = createExecutor([lookup(execute)], { hooks: { before: () => approval.promise } });
    const pending = executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    await new Promise((r) => setTimeout(r, 5));
    expect(execute).not.toHaveBeenCalled();
    approval.resolve(undefined);
    expect((await pending).ok).toBe(true);

    const broken = createExecutor([lookup(execute)], {
      hooks: {
        before: () => {
          throw new Error('policy engine down');
        },
      },
    });
    expect(failure(await broken.execute('lookup_order', { orderId: 'A-1' }, ctx)).code).toBe(ToolErrorCode.Refused);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('calls after once per call with the result; a throwing after hook never changes it', async () => {
    const results: ToolResult[] = [];
    const hookErrors: string[] = [];
    const executor = createExecutor([lookup(() => ({ status: 'ok' }))], {
      hooks: {
        after: (_call, result) => {
          results.push(result);
          throw new Error('telemetry sink down');
        },
        onHookError: (hook) => hookErrors.push(hook),
      },
    });
    const result = await executor.execute('lookup_order', { orderId: 'A-1' }, ctx);
    expect(result.ok).toBe(true);
    expect(results).toEqual([result]);
    expect(hookErrors).toEqual(['after']);
  });
});

describe('executor: simulate mode', () => {
  const base = {
    version: '1.0.0',
    description: 'Refunds.',
    input: orderInput,
    output: z.object({ refundId: z.string() }),
    sideEffects: 'irreversible' as const,
  };

  it('runs simulate instead of execute for a side-effecting tool', async () => {
    const execute = vi.fn(() => ({ refundId: 'real' }));
    const tool = defineTool({ ...base, name: 'refund_order', simulate: () => ({ refundId: 'simulated' }), execute });
    const result = await createExecutor([tool]).execute('refund_order', { orderId: 'A-1', amount: 5 }, { runId: 'r', mode: 'simulate' });
    expect(result.ok && result.value).toEqual({ refundId: 'simulated' });
    expect(result.meta.simulated).toBe(true);
    expect(execute).not.toHaveBeenCalled();
  });

  it('refuses a side-effecting tool without simulate, and runs read-only tools normally', async () => {
    const execute = vi.fn(() => ({ refundId: 'real' }));
    const tool = defineTool({ ...base, name: 'refund_order', execute });
    const error = failure(
      await createExecutor([tool]).execute('refund_order', { orderId: 'A-1', amount: 5 }, { runId: 'r', mode: 'simulate' }),
    );
    expect(error.code).toBe(ToolErrorCode.SimulationUnavailable);
    expect(execute).not.toHaveBeenCalled();
    const read = await createExecutor([lookup(() => ({ status: 'ok' }))]).execute(
      'lookup_order',
      { orderId: 'A-1' },
      { runId: 'r', mode: 'simulate' },
    );
    expect(read.ok).toBe(true);
    expect(read.meta.simulated).toBe(false);
  });
});

describe('executor: idempotency', () => {
  function refundTool(execute: (input: { orderId: string; amount: number }) => unknown, extra: Record<string, unknown> = {}) {
    return defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refunds.',
      input: orderInput,
      output: z.object({ refundId: z.string() }),
      sideEffects: 'irreversible',
      retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 },
      idempotencyKey: (input) => input.orderId,
      ...extra,
      execute: execute as never,
    });
  }

  it('executes one key once: a second call replays the recorded value', async () => {
    const execute = vi.fn((input: { orderId: string }) => ({ refundId: `R-${input.orderId}` }));
    const ledger = new MemoryLedger();
    const executor = createExecutor([refundTool(execute)], { ledger });
    const first = await executor.execute('refund_order', { orderId: 'A-1', amount: 5 }, ctx);
    const second = await executor.execute('refund_order', { orderId: 'A-1', amount: 5 }, { runId: 'run-2' });
    expect(first.ok && second.ok).toBe(true);
    expect(second.ok && second.value).toEqual({ refundId: 'R-A-1' });
    expect(second.meta.replayed).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
    expect((await ledger.get('refund_order:A-1'))?.state).toBe('completed');
  });

  it('stamps each ledger record with the ISO time of its write, across milliseconds and seconds', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const ledger = new MemoryLedger();
      const stamps: string[] = [];
      const appended = ledger.append.bind(ledger);
      ledger.append = (record: LedgerRecord) => {
        stamps.push(record.at);
        return appended(record);
      };
      const executor = createExecutor([refundTool((input) => ({ refundId: `R-${input.orderId}` }))], { ledger });
      const instants = [
        Date.UTC(2026, 11, 6, 11, 59, 59, 998),
        Date.UTC(2026, 11, 6, 11, 59, 59, 999),
        Date.UTC(2026, 11, 6, 12),
        Date.UTC(2026, 11, 6, 12, 0, 0, 7),
        Date.UTC(2026, 11, 6, 12, 0, 0, 42),
        Date.UTC(2026, 11, 6, 12, 0, 1, 500),
      ];
      const expected: string[] = [];
      for (const [i, instant] of instants.entries()) {
        vi.setSystemTime(instant);
        expect((await executor.execute('refund_order', { orderId: `A-${i + 1}`, amount: 5 }, ctx)).ok).toBe(true);
        expected.push(new Date(instant).toISOString(), new Date(instant).toISOString());
      }
      expect(stamps).toEqual(expected);
    } finally {
      vi.useRealTimers();
    }
  });

  it('suppresses concurrent duplicates in flight', async () => {
    const gate = deferred<undefined>();
    const execute = vi.fn(async () => {
      await gate.promise;
      return { refundId: 'R' };
    });
    const executor = createExecutor([refundTool(execute)], { ledger: new MemoryLedger() });
    const calls = [1, 2, 3].map(() => executor.execute('refund_order', { orderId: 'A-7', amount: 5 }, ctx));
    await new Promise((r) => setTimeout(r, 5));
    gate.resolve(undefined);
    const results = await Promise.all(calls);
    expect(execute).toHaveBeenCalledTimes(1);
    expect(results.map((r) => r.meta.replayed)).toEqual([false, true, true]);
  });

  it('retries a transient failure of a keyed tool with the same key passed downstream', async () => {
    const keys: (string | undefined)[] = [];
    const execute = vi.fn((_input: unknown, c?: ToolContext) => {
      keys.push(c?.idempotencyKey);
      if (keys.length === 1) throw new TransientToolError('gateway 502');
      return { refundId: 'R' };
    });
    const tool = defineTool({ ...refundTool(() => null), execute });
    const result = await createExecutor([tool], { ledger: new MemoryLedger() }).execute('refund_order', { orderId: 'A-2', amount: 5 }, ctx);
    expect(result.ok).toBe(true);
    expect(keys).toEqual(['refund_order:A-2', 'refund_order:A-2']);
  });

  it('records a reported failure so a later call may run again, and honours a key from the context', async () => {
    let fail = true;
    const execute = vi.fn(() => {
      if (fail) throw new PermanentToolError('card declined');
      return { refundId: 'R' };
    });
    const ledger = new MemoryLedger();
    const executor = createExecutor([refundTool(execute)], { ledger });
    expect(failure(await executor.execute('refund_order', { orderId: 'A-3', amount: 5 }, ctx)).code).toBe(ToolErrorCode.Failed);
    expect((await ledger.get('refund_order:A-3'))?.state).toBe('failed');
    fail = false;
    expect((await executor.execute('refund_order', { orderId: 'A-3', amount: 5 }, ctx)).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(2);
    await executor.execute('refund_order', { orderId: 'A-3', amount: 5 }, { runId: 'r', idempotencyKey: 'run-r-step-4' });
    expect((await ledger.get('refund_order:run-r-step-4'))?.state).toBe('completed');
    expect(execute).toHaveBeenCalledTimes(3);
  });

  it('refuses to re-run a started-but-unacknowledged key (TOOL_IN_DOUBT) unless reconcile settles it', async () => {
    const started: LedgerRecord = {
      key: 'refund_order:A-9',
      state: 'started',
      tool: 'refund_order',
      version: '1.0.0',
      runId: 'crashed',
      at: '2026-01-01T00:00:00.000Z',
    };
    const execute = vi.fn(() => ({ refundId: 'new' }));
    const ledger = new MemoryLedger();
    await ledger.append(started);
    const error = failure(
      await createExecutor([refundTool(execute)], { ledger }).execute('refund_order', { orderId: 'A-9', amount: 5 }, ctx),
    );
    expect(error).toMatchObject({ code: ToolErrorCode.InDoubt, retriable: false });
    expect(execute).not.toHaveBeenCalled();

    const reconciled = createExecutor([refundTool(execute, { reconcile: () => ({ done: true, value: { refundId: 'R-A-9' } }) })], {
      ledger,
    });
    const result = await reconciled.execute('refund_order', { orderId: 'A-9', amount: 5 }, ctx);
    expect(result.ok && result.value).toEqual({ refundId: 'R-A-9' });
    expect(result.meta.replayed).toBe(true);
    expect(execute).not.toHaveBeenCalled();
    expect((await ledger.get('refund_order:A-9'))?.state).toBe('completed');

    await ledger.append({ ...started, key: 'refund_order:A-10' });
    const notDone = createExecutor([refundTool(execute, { reconcile: () => ({ done: false }) })], { ledger });
    expect((await notDone.execute('refund_order', { orderId: 'A-10', amount: 5 }, ctx)).ok).toBe(true);
    expect(execute).toHaveBeenCalledTimes(1);
  });

  it('leaves a timed-out keyed call in doubt instead of marking it failed', async () => {
    const ledger = new MemoryLedger();
    const tool = refundTool(() => new Promise(() => undefined), { timeoutMs: 5, retry: false });
    await createExecutor([tool], { ledger }).execute('refund_order', { orderId: 'A-11', amount: 5 }, ctx);
    expect((await ledger.get('refund_order:A-11'))?.state).toBe('started');
  });
});

describe('executor: identical calls in flight on several executors sharing one ledger', () => {
  /** A refund whose effect is applied at the end of a slow call; `reconcile` asks the downstream system. */
  function slowRefund(world: { applied: string[]; executions: number; reconciles: number }, gate: Promise<unknown>, entered?: () => void) {
    return defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refunds (irreversible), slowly.',
      input: orderInput,
      output: z.object({ refundId: z.string() }),
      sideEffects: 'irreversible',
      timeoutMs: 60_000,
      idempotencyKey: (input) => input.orderId,
      reconcile: ({ orderId }) => {
        world.reconciles += 1;
        return world.applied.includes(orderId) ? { done: true, value: { refundId: `R-${orderId}` } } : { done: false };
      },
      async execute({ orderId }) {
        world.executions += 1;
        entered?.();
        await gate;
        world.applied.push(orderId);
        return { refundId: `R-${orderId}` };
      },
    });
  }

  it("a second executor waits for the first one's call in flight and replays its result: one effect, no reconcile", async () => {
    const world = { applied: [] as string[], executions: 0, reconciles: 0 };
    const gate = deferred<undefined>();
    const entered = deferred<undefined>();
    const ledger = new MemoryLedger();
    const first = createExecutor(
      [
        slowRefund(world, gate.promise, () => {
          entered.resolve(undefined);
        }),
      ],
      { ledger },
    );
    const second = createExecutor([slowRefund(world, gate.promise)], { ledger });
    const a = first.execute('refund_order', { orderId: 'A-1', amount: 5 }, { runId: 'run-a' });
    await entered.promise;
    // The first call is inside the tool: its key is `started` and not applied downstream yet. Taking that
    // record for one in doubt would reconcile ("not done") and refund a second time.
    expect((await ledger.get('refund_order:A-1'))?.state).toBe('started');
    const b = second.execute('refund_order', { orderId: 'A-1', amount: 5 }, { runId: 'run-b' });
    gate.resolve(undefined);
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toMatchObject({ ok: true, value: { refundId: 'R-A-1' }, meta: { replayed: false, attempts: 1 } });
    expect(rb).toMatchObject({ ok: true, value: { refundId: 'R-A-1' }, meta: { replayed: true, attempts: 0 } });
    expect(world).toEqual({ applied: ['A-1'], executions: 1, reconciles: 0 });
  });

  it('four executors racing one key: one execution, three replays', async () => {
    const world = { applied: [] as string[], executions: 0, reconciles: 0 };
    const ledger = new MemoryLedger();
    const executors = [1, 2, 3, 4].map(() => createExecutor([slowRefund(world, new Promise((r) => setTimeout(r, 20)))], { ledger }));
    const results = await Promise.all(
      executors.map((e, n) => e.execute('refund_order', { orderId: 'A-2', amount: 5 }, { runId: `r${n}` })),
    );
    expect(results.filter((r) => r.ok && !r.meta.replayed)).toHaveLength(1);
    expect(results.filter((r) => r.ok && r.meta.replayed)).toHaveLength(3);
    expect(world).toEqual({ applied: ['A-2'], executions: 1, reconciles: 0 });
  });

  it('gives up after the call budget with a retriable TOOL_IN_FLIGHT, and replays once the first call finished', async () => {
    const world = { applied: [] as string[], executions: 0, reconciles: 0 };
    const gate = deferred<undefined>();
    const entered = deferred<undefined>();
    const ledger = new MemoryLedger();
    const owner = createExecutor(
      [
        slowRefund(world, gate.promise, () => {
          entered.resolve(undefined);
        }),
      ],
      { ledger },
    );
    // The waiter's own budget for a call is 2 × 10 ms: the owner is still in the tool after it.
    const impatient = createExecutor([defineTool({ ...slowRefund(world, gate.promise), timeoutMs: 10, retry: false })], { ledger });
    const a = owner.execute('refund_order', { orderId: 'A-3', amount: 5 }, ctx);
    await entered.promise;
    const busy = await impatient.execute('refund_order', { orderId: 'A-3', amount: 5 }, ctx);
    expect(failure(busy)).toMatchObject({
      code: ToolErrorCode.InFlight,
      retriable: true,
      message: expect.stringContaining('refund_order:A-3') as unknown,
    });
    expect(busy.meta.attempts).toBe(0);
    gate.resolve(undefined);
    expect(await a).toMatchObject({ ok: true, meta: { replayed: false } });
    expect(await impatient.execute('refund_order', { orderId: 'A-3', amount: 5 }, ctx)).toMatchObject({
      ok: true,
      value: { refundId: 'R-A-3' },
      meta: { replayed: true },
    });
    expect(world).toEqual({ applied: ['A-3'], executions: 1, reconciles: 0 });
  });

  it('stops waiting when the caller aborts (TOOL_ABORTED), and nothing runs', async () => {
    const world = { applied: [] as string[], executions: 0, reconciles: 0 };
    const gate = deferred<undefined>();
    const entered = deferred<undefined>();
    const ledger = new MemoryLedger();
    const owner = createExecutor(
      [
        slowRefund(world, gate.promise, () => {
          entered.resolve(undefined);
        }),
      ],
      { ledger },
    );
    const other = createExecutor([slowRefund(world, gate.promise)], { ledger });
    const a = owner.execute('refund_order', { orderId: 'A-4', amount: 5 }, ctx);
    await entered.promise;
    const controller = new AbortController();
    const b = other.execute('refund_order', { orderId: 'A-4', amount: 5 }, { runId: 'run-b', signal: controller.signal });
    controller.abort();
    expect(failure(await b).code).toBe(ToolErrorCode.Aborted);
    gate.resolve(undefined);
    await a;
    expect(world).toEqual({ applied: ['A-4'], executions: 1, reconciles: 0 });
  });

  it('a started record whose owner gave up (timed out) is in doubt for the next caller: reconcile decides', async () => {
    const world = { applied: [] as string[], executions: 0, reconciles: 0 };
    const ledger = new MemoryLedger();
    const hung = defineTool({ ...slowRefund(world, new Promise(() => undefined)), timeoutMs: 5, retry: false });
    expect(failure(await createExecutor([hung], { ledger }).execute('refund_order', { orderId: 'A-5', amount: 5 }, ctx)).code).toBe(
      ToolErrorCode.Timeout,
    );
    expect((await ledger.get('refund_order:A-5'))?.state).toBe('started');
    // The owner's call ended, so its lease is free: nothing waits, the record is in doubt.
    world.applied.push('A-5');
    const next = await createExecutor([slowRefund(world, Promise.resolve())], { ledger }).execute(
      'refund_order',
      { orderId: 'A-5', amount: 5 },
      ctx,
    );
    expect(next).toMatchObject({ ok: true, value: { refundId: 'R-A-5' }, meta: { replayed: true, attempts: 0 } });
    expect(world).toMatchObject({ executions: 1, reconciles: 1 });
  });
});

describe('executor: least privilege', () => {
  const registry = (execute: (input: unknown, c: ToolContext) => unknown) =>
    createRegistry([
      defineTool({
        name: 'refund_order',
        version: '1.0.0',
        description: 'Refunds.',
        input: z.object({}),
        output: z.object({ note: z.string() }),
        sideEffects: 'irreversible',
        scopes: ['payments:refund', 'orders:write'],
        execute: execute as never,
      }),
    ]);
  const grant = [
    {
      name: 'refund_order',
      version: '^1.0.0',
      sideEffects: 'irreversible' as const,
      scopes: ['payments:refund', 'kb:read'],
      approval: 'always',
    },
  ];
  const env = { CHARTER_CREDENTIAL_PAYMENTS_REFUND: 'sk_live_refund_123456', CHARTER_CREDENTIAL_ORDERS_WRITE: 'orders-secret-999' };

  it('hands out only scopes declared by the tool and granted by the manifest', async () => {
    const seen: Record<string, string> = {};
    const toolset = registry(async (_i, c) => {
      seen.scopes = c.credentials.scopes.join(',');
      seen.token = (await c.credentials.get('payments:refund')).slice(0, 7);
      seen.printed = `${JSON.stringify(c.credentials)} ${inspect(c.credentials)} ${String(c.credentials)}`;
      try {
        await c.credentials.get('orders:write');
      } catch (error) {
        seen.ungranted = (error as { code: string }).code;
      }
      return { note: 'done' };
    }).resolve(grant);
    const { envCredentials } = await import('./index.js');
    const result = await createExecutor(toolset, { credentials: envCredentials(env) }).execute('refund_order', {}, ctx);
    expect(result.ok).toBe(true);
    expect(seen.scopes).toBe('payments:refund');
    expect(seen.token).toBe('sk_live');
    expect(seen.ungranted).toBe(ToolErrorCode.ScopeNotGranted);
    expect(seen.printed).not.toContain('sk_live_refund_123456');
  });

  it('fails a call that asks for an ungranted scope or lacks a credential, naming the scope but no secret', async () => {
    const { envCredentials } = await import('./index.js');
    const ungranted = createExecutor(registry(async (_i, c) => ({ note: await c.credentials.get('orders:write') })).resolve(grant), {
      credentials: envCredentials(env),
    });
    const error = failure(await ungranted.execute('refund_order', {}, ctx));
    expect(error.code).toBe(ToolErrorCode.ScopeNotGranted);
    expect(error.message).toContain('orders:write');
    expect(error.message).not.toContain('orders-secret-999');
    const missing = createExecutor(registry(async (_i, c) => ({ note: await c.credentials.get('payments:refund') })).resolve(grant), {
      credentials: envCredentials({}),
    });
    expect(failure(await missing.execute('refund_order', {}, ctx)).code).toBe(ToolErrorCode.CredentialMissing);
  });

  it('withholds a result that contains a credential and redacts credentials from error messages', async () => {
    const { envCredentials } = await import('./index.js');
    const leaky = createExecutor(
      registry(async (_i, c) => ({ note: `token=${await c.credentials.get('payments:refund')}` })).resolve(grant),
      { credentials: envCredentials(env) },
    );
    const leak = failure(await leaky.execute('refund_order', {}, ctx));
    expect(leak.code).toBe(ToolErrorCode.CredentialLeak);
    expect(JSON.stringify(leak)).not.toContain('sk_live_refund_123456');
    const thrower = createExecutor(
      registry(async (_i, c) => {
        throw new PermanentToolError(`gateway rejected key ${await c.credentials.get('payments:refund')}`);
      }).resolve(grant),
      { credentials: envCredentials(env) },
    );
    const error = failure(await thrower.execute('refund_order', {}, ctx));
    expect(error.message).toBe('gateway rejected key [REDACTED]');
  });
});

describe('executor: properties', () => {
  const knownCodes = new Set<string>(Object.values(ToolErrorCode));

  it('turns arbitrary inputs into a value or a typed TOOL_INPUT error, never a throw', async () => {
    const tool = defineTool({
      name: 'refund_order',
      version: '1.0.0',
      description: 'Refunds.',
      input: orderInput,
      output: z.object({ ok: z.boolean() }),
      sideEffects: 'none',
      execute: () => ({ ok: true }),
    });
    const executor = createExecutor([tool]);
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.anything(), fc.record({ orderId: fc.string(), amount: fc.double() })), async (input) => {
        const result = await executor.execute('refund_order', input, ctx);
        if (!result.ok) {
          expect(result.error.code).toBe(ToolErrorCode.Input);
          expect(result.error.issues?.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('turns anything a tool throws or returns into a typed failure with a known code', async () => {
    await fc.assert(
      fc.asyncProperty(fc.anything(), fc.boolean(), async (value, throwIt) => {
        const tool = lookup(
          () => {
            if (throwIt) throw value;
            return value;
          },
          { retry: false, breaker: false },
        );
        const result = await createExecutor([tool]).execute('lookup_order', { orderId: 'A-1' }, ctx);
        if (!result.ok) {
          expect(knownCodes.has(result.error.code)).toBe(true);
          expect(typeof result.error.message).toBe('string');
        } else expect(throwIt).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
