import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alertsCommand } from './alerts.js';
import { captureIo } from '../testing.js';

const packages = join(import.meta.dirname, '..', '..', '..');
const referenceAgent = join(packages, 'reference-agent');
const snapshot = join(packages, 'telemetry', 'src', '__fixtures__', 'prometheus', 'support-desk.rules.yaml');
const specFixtures = join(packages, 'spec', 'src', '__fixtures__');
const promtool = spawnSync('promtool', ['--version']).status === 0;

describe('charter alerts', () => {
  it('prints the rules of the reference agent to stdout: the committed, promtool-checked file', async () => {
    const io = captureIo(referenceAgent);
    expect(await alertsCommand.run(['agent.yaml'], io)).toBe(0);
    expect(io.out()).toBe(readFileSync(snapshot, 'utf8'));
    expect(io.err()).toBe('');
  });

  it('writes the rules to -o <file> (creating folders) and says how many', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-alerts-'));
    const io = captureIo(referenceAgent);
    const target = join(dir, 'rules', 'support-desk.rules.yaml');
    expect(await alertsCommand.run(['agent.yaml', '-o', target], io)).toBe(0);
    const written = readFileSync(target, 'utf8');
    expect(written).toBe(readFileSync(snapshot, 'utf8'));
    const count = (written.match(/^ {6}- (?:record|alert): /gm) ?? []).length;
    expect(io.out()).toMatch(new RegExp(`^wrote ${count} rules for support-desk to `));
    if (promtool) expect(spawnSync('promtool', ['check', 'rules', target]).status).toBe(0);
  });

  it('passes --runbook-url and --min-runs-per-hour to the generator', async () => {
    const io = captureIo(referenceAgent);
    expect(await alertsCommand.run(['agent.yaml', '--runbook-url', 'https://backstage.acme.dev/docs/default/component/charter/playbooks/{id}/', '--min-runs-per-hour=30'], io)).toBe(0);
    expect(io.out()).toContain('runbook_url: "https://backstage.acme.dev/docs/default/component/charter/playbooks/cost-runaway/"');
    expect(io.out()).toContain('* 3600 >= 30');
    expect(io.out()).not.toContain('* 3600 >= 10');
  });

  it('rejects an invalid manifest with file:line:column and a code frame; exit 1', async () => {
    const io = captureIo(specFixtures);
    expect(await alertsCommand.run(['invalid/three-mistakes.yaml'], io)).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toContain('invalid/three-mistakes.yaml:17:15: error: spec.budgets.maxSteps must be a number, got "twelve" [invalid-type]');
    expect(io.err()).toContain(' 17 |     maxSteps: twelve\n');
  });

  it.each([
    [[], /name the Agent manifest/],
    [['a.yaml', 'b.yaml'], /expected one manifest, got 2/],
    [['agent.yaml', '--nope'], /unknown option --nope/],
    [['agent.yaml', '-o'], /--output needs a value/],
    [['agent.yaml', '--min-runs-per-hour', 'lots'], /--min-runs-per-hour must be a positive number/],
    [['agent.yaml', '--runbook-url', 'https://docs.acme.dev/playbooks/'], /runbookUrl must contain "\{id\}"/],
    [['no-such-agent.yaml'], /no file at/],
  ])('usage error %j → exit 2, message and usage on stderr', async (args, message) => {
    const io = captureIo(referenceAgent);
    expect(await alertsCommand.run(args, io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
    if (!args.includes('no-such-agent.yaml') && !args.some((arg) => arg.startsWith('https://'))) expect(io.err()).toContain('Usage: charter alerts <manifest>');
  });
});
