// Real child processes sharing one PostgreSQL database: what several instances of an agent on
// several machines do. Effects are lines in a file, counted across processes.
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshSchema, PG_SKIP, PG_SKIP_MESSAGE, pgUrl } from './__fixtures__/pg.js';
import { readEffects } from './__fixtures__/world.js';
import { openState, type StateStores } from './open.js';

const node = process.execPath;
// node with the tsx loader in-process (not the tsx CLI, which forks): SIGKILL hits the worker itself.
const loader = ['--import', 'tsx', '--conditions=@charter/source'];
const worker = join(import.meta.dirname, '__fixtures__', 'worker.ts');

interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly lines: Record<string, unknown>[];
  readonly stderr: string;
}

function runWorker(args: string[]): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(node, [...loader, worker, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const lines = stdout
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, signal, lines, stderr });
    });
  });
}

describe.skipIf(PG_SKIP)(`several processes on one PostgreSQL${PG_SKIP ? ` (skipped: ${PG_SKIP_MESSAGE})` : ''}`, () => {
  let url: string;
  let schema: string;
  let dir: string;
  let stores: StateStores;
  const schemas: StateStores[] = [];

  beforeAll(() => {
    url = pgUrl();
    dir = mkdtempSync(join(tmpdir(), 'charter-state-mp-'));
  });
  // Each test gets its own schema: the same order ids and keys never carry over between tests.
  beforeEach(async () => {
    schema = freshSchema('multiproc');
    stores = await openState({ url, schema });
    schemas.push(stores);
  });
  afterAll(async () => {
    for (const opened of schemas) {
      await opened.sql?.exec(`DROP SCHEMA ${opened.sql.schema} CASCADE`);
      await opened.close();
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** Starts `n` race workers, releases them at once when all have loaded, connected and warmed up. */
  async function race(name: string, n: number, holdMs: number, reconcile: boolean): Promise<{ effects: string; exits: Exit[] }> {
    const effects = join(dir, `${name}-effects.jsonl`);
    const barrier = join(dir, `${name}-go`);
    const workers = Array.from({ length: n }, () =>
      runWorker(['race', url, schema, effects, barrier, String(holdMs), ...(reconcile ? [] : ['no-reconcile'])]),
    );
    while (readdirSync(dir).filter((file) => file.startsWith(`${name}-go.ready.`)).length < n)
      await new Promise((resolve) => setTimeout(resolve, 20));
    writeFileSync(barrier, 'go');
    return { effects, exits: await Promise.all(workers) };
  }

  // Each worker reads the key slowly (100 ms before it may write 'started'): without the ledger lock all
  // four would see no record and run the effect (checked with RACE_WITHOUT_LOCK=1: two or more effects).
  it('four workers race the same irreversible call: exactly one effect, the others wait for it and replay its result', async () => {
    const { effects, exits } = await race('race', 4, 300, false);
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);
    const results = exits.map((exit) => exit.lines[0]);
    expect(readEffects(effects)).toHaveLength(1);
    expect(results.filter((r) => r?.ok === true && r.replayed === false)).toHaveLength(1);
    // Never told the call is in doubt while its owner runs it (this tool cannot reconcile, so that would
    // be TOOL_IN_DOUBT): every one gets the one result.
    for (const r of results) expect(r).toMatchObject({ ok: true, value: { refundId: 'R-A-7', amount: 10 } });
  });

  it('two processes, one slow call that can reconcile: the second waits for the first instead of reconciling and refunding again', async () => {
    // The refund is applied 1.5 s into the call: a second process that took the first's `started` record
    // for one in doubt would reconcile, hear "not applied" from downstream, and refund a second time.
    const { effects, exits } = await race('slow', 2, 1_500, true);
    for (const exit of exits) expect(exit.code, exit.stderr).toBe(0);
    const results = exits.map((exit) => exit.lines[0]);
    expect(readEffects(effects)).toEqual([{ tool: 'refund_order', key: 'A-7', pid: expect.any(Number) as unknown }]);
    expect(results.map((r) => r?.replayed).sort()).toEqual([false, true]);
    for (const r of results) expect(r).toMatchObject({ ok: true, value: { refundId: 'R-A-7', amount: 10 } });
  });

  it('a run paused for approval in one process is resumed by another', async () => {
    const effects = join(dir, 'resume-effects.jsonl');
    const started = await runWorker(['start', url, schema, effects, 'mp-resume']);
    expect(started.lines[0]).toMatchObject({ status: 'paused', approval: { tool: 'refund_order' } });
    expect(stores.approvals && (await stores.approvals.pending('state-shop')).map((a) => a.runId)).toContain('mp-resume');
    const resumed = await runWorker(['resume', url, schema, effects, 'mp-resume']);
    expect(resumed.lines[0]).toMatchObject({ status: 'completed', output: 'Refunded.' });
    expect(readEffects(effects)).toHaveLength(1);
    expect(await stores.approvals?.get('mp-resume:call_0_0')).toMatchObject({ status: 'granted', decidedBy: 'lead@example.com' });
    const again = await runWorker(['resume', url, schema, effects, 'mp-resume']);
    expect(again.lines[0]).toEqual({ error: 'AGENT_NOT_PAUSED' });
  });

  it('a process SIGKILLed while holding a run claim: another takes the run over once the lease expires, no second effect', async () => {
    const effects = join(dir, 'crash-effects.jsonl');
    expect((await runWorker(['start', url, schema, effects, 'mp-crash'])).lines[0]).toMatchObject({ status: 'paused' });
    const crashed = await runWorker(['resume', url, schema, effects, 'mp-crash', 'crash']);
    expect(crashed.signal).toBe('SIGKILL');
    expect(readEffects(effects)).toHaveLength(1);
    // The claim is still held by the dead process: a resume is refused until its lease (1.5 s) expires.
    let outcome: Record<string, unknown> | undefined;
    const refusals: unknown[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      outcome = (await runWorker(['resume', url, schema, effects, 'mp-crash'])).lines[0];
      if (outcome?.error !== 'AGENT_NOT_PAUSED') break;
      refusals.push(outcome.error);
    }
    expect(outcome).toMatchObject({ status: 'completed', output: 'Refunded.' });
    // The takeover reconciled the started refund against the downstream system instead of repeating it.
    expect(outcome?.actions).toContainEqual(expect.objectContaining({ tool: 'refund_order', outcome: 'ok', replayed: true }));
    expect(readEffects(effects)).toHaveLength(1);
  });

  it('a process SIGKILLed while holding a ledger lock: another executes after the lease expires, exactly once', async () => {
    const effects = join(dir, 'lock-effects.jsonl');
    const held = await runWorker(['hold-lock', url, schema, 'refund_order:refund:A-7']);
    expect(held.signal).toBe('SIGKILL');
    expect(held.lines[0]).toEqual({ locked: 'refund_order:refund:A-7' });
    const barrier = join(dir, 'lock-go');
    writeFileSync(barrier, 'go');
    const exit = await runWorker(['race', url, schema, effects, barrier, '0']);
    expect(exit.lines[0]).toMatchObject({ ok: true, replayed: false });
    expect(readEffects(effects)).toHaveLength(1);
  });
});

describe.skipIf(PG_SKIP)(`controls reach a running instance in another process${PG_SKIP ? ` (skipped: ${PG_SKIP_MESSAGE})` : ''}`, () => {
  let url: string;
  let schema: string;
  let dir: string;
  let stores: StateStores;
  let child: ChildProcessWithoutNullStreams;
  let results: AsyncIterator<string>;
  const actor = { by: 'oncall@example.com', reason: 'incident 42' };

  beforeAll(async () => {
    url = pgUrl();
    schema = freshSchema('controls');
    dir = mkdtempSync(join(tmpdir(), 'charter-state-controls-'));
    stores = await openState({ url, schema });
    child = spawn(node, [...loader, worker, 'serve', url, schema, join(dir, 'effects.jsonl')], { stdio: ['pipe', 'pipe', 'pipe'] });
    results = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
    expect(JSON.parse((await results.next()).value as string)).toEqual({ ready: true });
  });
  afterAll(async () => {
    child.stdin.end('quit\n');
    await new Promise((resolve) => child.on('close', resolve));
    await stores.sql?.exec(`DROP SCHEMA ${schema} CASCADE`);
    await stores.close();
    rmSync(dir, { recursive: true, force: true });
  });

  let n = 0;
  async function run(scenario: 'refund' | 'slow'): Promise<Record<string, unknown>> {
    child.stdin.write(`run ctl-${n++} ${scenario}\n`);
    const next = await results.next();
    return JSON.parse(next.value as string) as Record<string, unknown>;
  }

  /**
   * Runs `scenario` in the other process until a run started at least `withinMs` after `since` has
   * finished (or `give up` passes); returns every run with the time it was sent, relative to `since`.
   */
  async function observe(since: number, scenario: 'refund' | 'slow', withinMs = 1000, giveUpMs = 15_000) {
    const seen: { sentMs: number; result: Record<string, unknown> }[] = [];
    for (;;) {
      const sentMs = Date.now() - since;
      seen.push({ sentMs, result: await run(scenario) });
      if (sentMs >= withinMs || sentMs > giveUpMs) return seen;
    }
  }

  it('FAL-5: the kill switch stops new runs in a running second process within 1 s, without calling the model', async () => {
    expect(await run('refund')).toMatchObject({ status: 'completed' });
    const since = Date.now();
    await stores.controls.set('state-shop', { action: 'agent.kill-switch' }, actor);
    const seen = await observe(since, 'refund');
    // Every run sent 1 s or more after the switch was set is escalated by it, before any model call.
    const late = seen.filter((s) => s.sentMs >= 1000);
    expect(late.length).toBeGreaterThan(0);
    for (const { result } of late) expect(result).toMatchObject({ status: 'escalated', reason: 'kill_switch', steps: 0 });
    await stores.controls.clear('state-shop', 'agent.kill-switch', undefined, { by: 'oncall@example.com', reason: 'resolved' });
    const after = await observe(Date.now(), 'refund');
    expect(after.at(-1)?.result).toMatchObject({ status: 'completed' });
  });

  it('the kill switch escalates a run that is already running in the other process', async () => {
    child.stdin.write(`run ctl-slow slow\n`);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await stores.controls.set('state-shop', { action: 'agent.kill-switch' }, actor);
    const result = JSON.parse((await results.next()).value as string) as { status: string; reason: string; steps: number };
    await stores.controls.clear('state-shop', 'agent.kill-switch', undefined, actor);
    expect(result).toMatchObject({ status: 'escalated', reason: 'kill_switch' });
    expect(result.steps).toBeGreaterThan(0);
    expect(result.steps).toBeLessThan(13);
  });

  it('a disabled tool is refused in a running second process within 1 s, with a decision naming the control', async () => {
    const since = Date.now();
    await stores.controls.set('state-shop', { action: 'tool.disable', target: 'refund_order' }, actor);
    const seen = await observe(since, 'refund');
    const late = seen.filter((s) => s.sentMs >= 1000);
    expect(late.length).toBeGreaterThan(0);
    for (const { result } of late) {
      expect(result.actions).toContainEqual(
        expect.objectContaining({ tool: 'refund_order', outcome: 'refused', ruleIds: ['control:tool.disable'] }),
      );
      expect(result.decisions).toContainEqual(expect.objectContaining({ action: 'deny', ruleIds: ['control:tool.disable'] }));
    }
    const history = await stores.controls.history('state-shop');
    expect(history.at(-1)).toMatchObject({
      op: 'set',
      action: 'tool.disable',
      target: 'refund_order',
      by: 'oncall@example.com',
      reason: 'incident 42',
    });
  });
});
