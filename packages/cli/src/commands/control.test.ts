import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '@charter/state';
import { testPostgres } from '@charter/state/testing';
import { describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIo } from '../testing.js';

const repo = join(import.meta.dirname, '..', '..', '..', '..');
const referenceAgent = join(repo, 'packages', 'reference-agent');
const pg = testPostgres('@charter/cli control');
const skipPg = pg.skip;

describe('charter control (file state, the one-machine default)', () => {
  it('sets a control with who and why, lists it, clears it; every change is in the history', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-cli-control-'));
    const set = captureIo(cwd, { USER: 'ana' });
    expect(await main(['control', 'tool.disable', 'customer-support', '--tool', 'refund_order', '--reason', 'double refunds'], set)).toBe(
      0,
    );
    expect(set.out()).toBe('✔ tool.disable refund_order set for customer-support by ana (double refunds) in file state\n');
    expect(readFileSync(join(cwd, '.charter', 'controls', 'controls.json'), 'utf8')).toContain('"refund_order"');

    const list = captureIo(cwd);
    expect(await main(['control', 'list', 'customer-support', '--json'], list)).toBe(0);
    expect(JSON.parse(list.out())).toMatchObject({
      agent: 'customer-support',
      store: 'file',
      controls: [{ action: 'tool.disable', target: 'refund_order', by: 'ana', reason: 'double refunds' }],
    });

    const clear = captureIo(cwd);
    expect(await main(['control', 'tool.disable', 'customer-support', '--clear', '--by', 'bo', '--reason', 'fixed'], clear)).toBe(0);
    expect(clear.out()).toContain('tool.disable cleared for customer-support by bo (fixed)');
    const again = captureIo(cwd);
    expect(await main(['control', 'tool.disable', 'customer-support', '--clear', '--by', 'bo', '--reason', 'fixed'], again)).toBe(0);
    expect(again.out()).toContain('was not set for customer-support: nothing to clear');

    const history = captureIo(cwd);
    expect(await main(['control', 'list', 'customer-support'], history)).toBe(0);
    expect(history.out()).toContain('none: the agent runs normally');
    expect(history.out()).toMatch(
      /set tool\.disable refund_order {2}by ana: double refunds\n.*clear tool\.disable refund_order {2}by bo: fixed/s,
    );
  });

  it.each([
    [['agent.kill-switch', 'a'], '--reason is required'],
    [['agent.pause', 'a', '--reason', 'x'], 'unknown action "agent.pause"'],
    [['tool.disable', 'a', '--reason', 'x'], 'tool.disable needs the tool to disable'],
    [['rollout.set-weight', 'a', '--weight', '150', '--reason', 'x'], 'rollout.set-weight needs a weight from 0 to 100'],
    [['rollout.set-weight', 'a', '--weight', 'half', '--reason', 'x'], '--weight needs a number'],
    [['agent.kill-switch'], 'missing <agent>'],
    [['agent.kill-switch', 'a', '--reason', 'x', '--db', 'mysql://x'], 'cannot open state at "mysql://x"'],
  ])('usage error for %j, exit 2', async (args, message) => {
    const io = captureIo(mkdtempSync(join(tmpdir(), 'charter-cli-control-')));
    expect(await main(['control', ...args], io)).toBe(2);
    expect(io.err()).toContain(message);
  });

  it('an unreachable database is exit 2 with the reason', async () => {
    const io = captureIo(tmpdir());
    expect(
      await main(['control', 'agent.kill-switch', 'a', '--reason', 'x', '--db', 'postgresql://charter@127.0.0.1:1/postgres'], io),
    ).toBe(2);
    expect(io.err()).toContain('cannot reach the database');
  });
});

describe('charter playbook run', () => {
  it("executes the playbook's machine actions in order as controls, $tool from --tool, each recorded", async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-cli-playbook-'));
    const io = captureIo(cwd, { USER: 'oncall' });
    expect(await main(['playbook', 'run', 'cascading-failure', '--agent', referenceAgent, '--tool', 'lookup_order'], io)).toBe(0);
    expect(io.out()).toContain('1. rollout.abort');
    expect(io.out()).toContain('2. tool.disable lookup_order');
    expect(io.out()).toContain('3. agent.kill-switch');
    const stores = await openState({ url: `file:${join(cwd, '.charter')}` });
    const history = await stores.controls.history('support-desk');
    expect(history.map((e) => `${e.action}${e.target === undefined ? '' : ` ${e.target}`}`)).toEqual([
      'rollout.abort',
      'tool.disable lookup_order',
      'agent.kill-switch',
    ]);
    expect(history[1]).toMatchObject({
      by: 'oncall',
      reason: expect.stringContaining('playbook cascading-failure, mitigation 2') as unknown,
    });
  });

  it('a $tool action without --tool changes nothing and is a usage error', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-cli-playbook-'));
    const io = captureIo(cwd);
    expect(await main(['playbook', 'run', 'cascading-failure', '--agent', referenceAgent], io)).toBe(2);
    expect(io.err()).toContain('name the tool with --tool');
    const stores = await openState({ url: `file:${join(cwd, '.charter')}` });
    expect(await stores.controls.history('support-desk')).toEqual([]);
  });

  it.each([
    [['run', 'no-such-playbook', '--agent', referenceAgent], 'does not list playbook "no-such-playbook"'],
    [['run', 'cascading-failure'], '--agent <dir> is required'],
    [['start', 'x'], 'unknown sub-command "start"'],
    [['run', 'cascading-failure', '--agent', '/nonexistent-agent-dir'], 'no agent manifest at /nonexistent-agent-dir: check the path'],
  ])('usage or input error for %j, exit 2', async (args, message) => {
    const io = captureIo(tmpdir());
    expect(await main(['playbook', ...args], io)).toBe(2);
    expect(io.err()).toContain(message);
  });
});

describe.skipIf(skipPg)(`charter control against PostgreSQL${skipPg ? ' (skipped: CHARTER_TEST_DATABASE_URL is not set)' : ''}`, () => {
  it('--db and CHARTER_DATABASE_URL name the database; the control is there for every instance', async () => {
    const pgUrl = pg.url();
    const agent = `cli-${process.pid}-${Date.now()}`;
    const io = captureIo(tmpdir(), { CHARTER_DATABASE_URL: pgUrl, USER: 'ana' });
    expect(await main(['control', 'agent.kill-switch', agent, '--reason', 'leak'], io)).toBe(0);
    expect(io.out()).toContain('in postgres state');
    const stores = await openState({ url: pgUrl });
    try {
      expect(await stores.controls.controls(agent)).toEqual([{ action: 'agent.kill-switch', by: 'ana', reason: 'leak' }]);
    } finally {
      await stores.close();
    }
    const cleared = captureIo(tmpdir(), { USER: 'ana' });
    expect(await main(['control', 'agent.kill-switch', agent, '--clear', '--reason', 'ok', '--db', pgUrl], cleared)).toBe(0);
    expect(cleared.out()).toContain('cleared');
  });
});
