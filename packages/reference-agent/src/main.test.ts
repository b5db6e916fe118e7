// The reference agent's command line: --help prints the usage, an unknown flag or a stray word is a
// usage error (exit 2), and neither runs the suite. Runs main.ts as a process, from the sources.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openState } from '@charter/state';
import { describe, expect, it } from 'vitest';

const packageRoot = join(import.meta.dirname, '..');
const tsx = join(packageRoot, '..', '..', 'node_modules', '.bin', 'tsx');
const run = (...args: string[]) =>
  spawnSync(tsx, ['--conditions=@charter/source', join(packageRoot, 'src', 'main.ts'), ...args], {
    cwd: packageRoot,
    encoding: 'utf8',
    env: { ...process.env, CHARTER_DATABASE_URL: '' },
  });

describe('reference agent main: flags', () => {
  it('--help and -h print the usage and exit 0 without running the suite', () => {
    for (const flag of ['--help', '-h']) {
      const result = run(flag);
      expect(result.status).toBe(0);
      expect(result.stdout).toMatch(/^Usage: node packages\/reference-agent\/dist\/main\.js \[--no-guardrails \| --provenance-only\]/);
      expect(result.stdout).toContain('--record <dir>');
      expect(result.stdout).not.toContain('pass rate');
      expect(result.stderr).toBe('');
    }
  });

  it.each([
    [['--no-guardrail'], "Unknown option '--no-guardrail'"],
    [['--scenarios'], "Option '--scenarios <value>' argument missing"],
    [['--record', '--no-guardrails'], "Option '--record' argument is ambiguous"],
    [['--record='], '--record needs a directory'],
    [['--record', 'out', '--no-guardrails'], '--record records governed runs: drop --no-guardrails'],
    [['scenarios'], "Unexpected argument 'scenarios'"],
    [['--provenance-only', '--no-guardrails'], '--provenance-only keeps governance on: drop --no-guardrails'],
  ])('%j is a usage error: the message and a --help hint, exit 2, nothing run', (args, message) => {
    const result = run(...args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^reference agent: /);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain('Run "node packages/reference-agent/dist/main.js --help" for usage.');
    expect(result.stderr).not.toContain('    at ');
    expect(result.stdout).toBe('');
  });
});

describe('reference agent main: --db', () => {
  it("runs on @charter/state's stores: a kill switch set there escalates the run before the model is called; cleared, the scenario passes", async () => {
    const work = mkdtempSync(join(tmpdir(), 'charter-reference-db-'));
    try {
      const scenarios = join(work, 'scenarios');
      mkdirSync(scenarios);
      copyFileSync(join(packageRoot, 'scenarios', 'happy-order-status.yaml'), join(scenarios, 'happy-order-status.yaml'));
      const url = `file:${join(work, 'state')}`;
      const state = await openState({ url });
      await state.controls.set('support-desk', { action: 'agent.kill-switch' }, { by: 'ana', reason: 'test: the desk leaks' });

      const killed = run('--db', url, '--scenarios', scenarios);
      expect(killed.stderr).toBe('');
      expect(killed.stdout).toMatch(/happy-order-status +escalated \(kill_switch\) +0 /);
      expect(killed.stdout).toContain(`state: file (${url})`);
      expect(killed.status).toBe(1);
      // The run and its checkpoint are in the shared run store, not in memory.
      expect(readdirSync(join(work, 'state'), { recursive: true }).length).toBeGreaterThan(1);

      expect(await state.controls.clear('support-desk', 'agent.kill-switch', undefined, { by: 'ana', reason: 'fixed' })).toBe(true);
      await state.close();
      const passed = run('--db', url, '--scenarios', scenarios);
      expect(passed.stdout).toMatch(/happy-order-status +completed +2 /);
      expect(passed.stdout).toContain('pass rate: 1/1');
      expect(passed.status).toBe(0);
      // Both runs' telemetry is in the state's event store (what `charter profile --db` reads).
      const stored = await openState({ url });
      const events = await stored.events.read({ agent: 'support-desk' });
      await stored.close();
      const ends = events.filter((event) => event.type === 'run.completed' || event.type === 'run.escalated').map((event) => event.type);
      expect(ends).toEqual(['run.escalated', 'run.completed']);
      expect(events.some((event) => event.type === 'tool.call' && event.name === 'lookup_order')).toBe(true);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('an unknown database URL scheme is exit 2 with the state error, nothing run', () => {
    const result = run('--db', 'mysql://localhost/x');
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/^reference agent: .*\[STATE_BAD_CONFIG\]\n$/);
    expect(result.stdout).toBe('');
  });
});
