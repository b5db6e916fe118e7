import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_LINE, main } from '../main.js';
import { captureIo } from '../testing.js';
import { alertsCommand } from './alerts.js';

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
    expect(
      await alertsCommand.run(
        ['agent.yaml', '--runbook-url', 'https://backstage.acme.dev/docs/default/system/charter/playbooks/{id}/', '--min-runs-per-hour=30'],
        io,
      ),
    ).toBe(0);
    expect(io.out()).toContain('runbook_url: "https://backstage.acme.dev/docs/default/system/charter/playbooks/cost-runaway/"');
    expect(io.out()).toContain('* 3600 >= 30');
    expect(io.out()).not.toContain('* 3600 >= 10');
  });

  it('rejects an invalid manifest with file:line:column and a code frame; exit 1', async () => {
    const io = captureIo(specFixtures);
    expect(await alertsCommand.run(['invalid/three-mistakes.yaml'], io)).toBe(1);
    expect(io.out()).toBe('');
    expect(io.err()).toContain(
      'invalid/three-mistakes.yaml:17:15: error: spec.budgets.maxSteps must be a number, got "twelve" [invalid-type]',
    );
    expect(io.err()).toContain(' 17 |     maxSteps: twelve\n');
  });

  it.each([
    [[], /name the Agent manifest/],
    [['a.yaml', 'b.yaml'], /expected one manifest, got 2/],
    [['agent.yaml', '--nope'], /unknown option --nope/],
    [['agent.yaml', '-o'], /--output needs a value/],
    [['agent.yaml', '--runbook-url'], /--runbook-url needs a value/],
    [['agent.yaml', '--min-runs-per-hour', 'lots'], /--min-runs-per-hour must be a positive number/],
    [['agent.yaml', '--runbook-url', 'https://docs.acme.dev/playbooks/'], /--runbook-url: runbookUrl must contain "\{id\}"/],
  ])('usage error %j → exit 2, message and the --help hint on stderr (via main)', async (args, message) => {
    const io = captureIo(referenceAgent);
    expect(await main(['alerts', ...args], io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.err()).toMatch(/^charter alerts: /);
    expect(io.err()).toContain('Run "charter alerts --help" for usage.');
    expect(io.out()).toBe('');
  });

  it('a missing manifest is an I/O error: exit 2 with the path, no --help hint', async () => {
    const io = captureIo(referenceAgent);
    expect(await main(['alerts', 'no-such-agent.yaml'], io)).toBe(2);
    expect(io.err()).toBe('charter alerts: no Agent manifest at no-such-agent.yaml: check the path\n');
    expect(io.out()).toBe('');
    await expect(alertsCommand.run(['no-such-agent.yaml'], captureIo(referenceAgent))).rejects.toMatchObject({ code: 'CLI_IO' });
  });

  it('-o naming a folder is a clear error (exit 2), not a stack trace', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-alerts-'));
    const io = captureIo(referenceAgent);
    expect(await main(['alerts', 'agent.yaml', '-o', dir], io)).toBe(2);
    expect(io.err()).toBe(`charter alerts: ${dir} is a folder: name the file to write, e.g. ${join(dir, 'rules.yaml')}\n`);
    expect(io.out()).toBe('');
  });

  it('-o under a folder that cannot be created fails fast (exit 2): /proc, and a path through a file', async () => {
    const io = captureIo(referenceAgent);
    expect(await main(['alerts', 'agent.yaml', '-o', '/proc/charter-test/support-desk.rules.yaml'], io)).toBe(2);
    expect(io.err()).toMatch(/^charter alerts: cannot create the folder \/proc\/charter-test \((ENOENT|EACCES|EPERM)\)\n$/);
    const file = join(mkdtempSync(join(tmpdir(), 'charter-alerts-')), 'a-file');
    writeFileSync(file, '');
    const through = captureIo(referenceAgent);
    expect(await main(['alerts', 'agent.yaml', '-o', join(file, 'rules.yaml')], through)).toBe(2);
    expect(through.err()).toBe(`charter alerts: cannot write ${join(file, 'rules.yaml')}: ${file} is a file, not a folder\n`);
  });

  it('takes the agent folder, and refuses an agent whose policy does not load (exit 1, file:line:column)', async () => {
    const folder = captureIo(packages);
    expect(await alertsCommand.run(['reference-agent'], folder)).toBe(0);
    expect(folder.out()).toBe(readFileSync(snapshot, 'utf8'));
    const empty = captureIo(packages);
    await expect(alertsCommand.run(['cli'], empty)).rejects.toMatchObject({
      code: 'CLI_IO',
      message: 'no Agent manifest at cli/agent.yaml: check the path',
    });
    const io = captureIo(join(import.meta.dirname, '..', '__fixtures__', 'repo'));
    expect(await alertsCommand.run(['agents/bad/agent.yaml'], io)).toBe(1);
    expect(io.err()).toContain('agents/bad/agent.yaml:16:11: error: spec.policy names ./missing-policy.yaml');
    expect(io.err()).toContain(' 16 |   policy: ./missing-policy.yaml\n');
    expect(io.out()).toBe('');
  });

  it('an unknown flag is a usage error naming the flag, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-alerts-'));
    const target = join(dir, 'rules.yaml');
    const io = captureIo(referenceAgent);
    expect(await main(['alerts', 'agent.yaml', '-o', target, '--min-runs=5'], io)).toBe(2);
    expect(io.err()).toContain('unknown option --min-runs (options: --output, --runbook-url, --min-runs-per-hour)');
    expect(io.err()).toContain('Run "charter alerts --help"');
    expect(existsSync(target)).toBe(false);
  });

  it('charter alerts --help (or -h) prints the usage, exit 0', async () => {
    for (const args of [['--help'], ['-h'], ['agent.yaml', '--help']]) {
      const io = captureIo(referenceAgent);
      expect(await main(['alerts', ...args], io)).toBe(0);
      expect(io.out()).toBe(`${alertsCommand.usage}\n\n${EXIT_CODES_LINE}\n`);
      expect(io.out()).toContain('Usage: charter alerts <manifest>');
      expect(io.err()).toBe('');
    }
  });
});
