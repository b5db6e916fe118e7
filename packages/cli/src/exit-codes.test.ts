// One exit-code table for every command (EXIT_CODES): 0 ok, 1 findings, 2 usage error or unreadable
// input, 70 only for a bug. Every command runs here with bad input of each kind, and the README's
// table and `charter --help` must say what the code says. A command added to the list without cases
// here fails the first test: add its cases.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, ExitCode } from './command.js';
import { loadCommands, main } from './main.js';
import { captureIo } from './testing.js';

const commands = await loadCommands();
const cliRoot = join(import.meta.dirname, '..');
const referenceAgent = join(cliRoot, '..', 'reference-agent');

// A scratch folder with one input of each kind: missing, folder, binary, and text that is no valid input.
const dir = mkdtempSync(join(tmpdir(), 'charter-exit-codes-'));
mkdirSync(join(dir, 'folder'));
writeFileSync(join(dir, 'binary.bin'), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 0, 0xff, 0xfe]));
writeFileSync(join(dir, 'garbage.txt'), 'this is not what the command reads\n');
writeFileSync(join(dir, 'agent.yaml'), 'apiVersion: charter.dev/v1alpha1\nkind: Agent\nmetadata: { name: x }\n');
writeFileSync(join(dir, 'blocker'), ''); // a file where an output folder should be
const agent = join(referenceAgent, 'agent.yaml');
// The reference desk's eval subject, built (the cli's tests build their workspace dependencies first).
const evalModule = join(referenceAgent, 'dist', 'eval.js');
// charter new: values with one problem each, and a folder that is not empty.
const values = {
  name: 'exit-desk',
  description: 'An agent for the exit-code table.',
  owner: 'group:default/platform-team',
  problem: 'Nothing at all: it only exists for the exit-code test of 2026.',
  kpis: [
    { name: 'tests', unit: 'count', baseline: 1, target: 2, direction: 'increase' },
    { name: 'bugs', unit: 'count', baseline: 2, target: 1, direction: 'decrease' },
  ],
  roiHypothesis: 'None: a test fixture of the exit-code table.',
  annualValueUsd: 1,
  annualCostUsd: 0,
  paybackMonths: 1,
  onCall: 'nobody',
  ownerMembers: ['ana'],
  repoUrl: 'github.com?owner=acme&repo=exit-desk',
};
writeFileSync(join(dir, 'wrong-type.json'), JSON.stringify({ ...values, annualValueUsd: 'lots' }));
writeFileSync(join(dir, 'no-owner.json'), JSON.stringify({ ...values, owner: undefined }));
writeFileSync(join(dir, 'values.json'), JSON.stringify(values));
mkdirSync(join(dir, 'not-empty'));
writeFileSync(join(dir, 'not-empty', 'file.txt'), 'taken');
// charter run: a package without a built tools module, and one whose manifest does not load.
mkdirSync(join(dir, 'unbuilt'));
writeFileSync(join(dir, 'unbuilt', 'package.json'), JSON.stringify({ name: 'unbuilt', exports: { './tools': './dist/tools.js' } }));
writeFileSync(join(dir, 'unbuilt', 'agent.yaml'), 'apiVersion: charter.dev/v1alpha1\nkind: Agent\n');
mkdirSync(join(dir, 'bad-manifest'));
writeFileSync(
  join(dir, 'bad-manifest', 'package.json'),
  JSON.stringify({ name: 'bad', type: 'module', exports: { './tools': './tools.js' } }),
);
writeFileSync(join(dir, 'bad-manifest', 'tools.js'), 'export const tools = [];\n');
writeFileSync(join(dir, 'bad-manifest', 'agent.yaml'), 'apiVersion: charter.dev/v1alpha1\nkind: Agent\nmetadata: { name: x }\n');

type Case = readonly [description: string, args: readonly string[], code: ExitCode];

/** Bad input for each command, and the code the table gives it. */
const cases: Record<string, readonly Case[]> = {
  new: [
    ['an unknown template', ['new', 'no-such-template'], ExitCode.Usage],
    ['a values file with a wrong type', ['new', 'agent-service', 'out-a', '--values', 'wrong-type.json'], ExitCode.Usage],
    ['a values file without a required field', ['new', 'agent-service', 'out-b', '--values', 'no-owner.json'], ExitCode.Usage],
    ['a missing values file', ['new', 'agent-service', 'out-c', '--values', 'missing.yaml'], ExitCode.Usage],
    ['a binary values file', ['new', 'agent-service', 'out-d', '--values', 'binary.bin'], ExitCode.Usage],
    ['a target that is not empty', ['new', 'agent-service', 'not-empty', '--values', 'values.json'], ExitCode.Usage],
    ['--set without =', ['new', 'agent-service', 'out-e', '--set', 'name'], ExitCode.Usage],
  ],
  run: [
    ['no input', ['run', 'unbuilt'], ExitCode.Usage],
    ['a folder without package.json', ['run', 'folder', '--input', 'hi'], ExitCode.Usage],
    ['a package that is not built', ['run', 'unbuilt', '--input', 'hi'], ExitCode.Usage],
    ['a missing scenario', ['run', 'bad-manifest', '--scenario', 'missing.yaml'], ExitCode.Usage],
    ['a manifest that does not load', ['run', 'bad-manifest', '--input', 'hi'], ExitCode.Failed],
    ['an unknown model', ['run', 'unbuilt', '--input', 'hi', '--model', 'gpt'], ExitCode.Usage],
  ],
  validate: [
    ['a missing path', ['validate', 'missing.yaml'], ExitCode.Usage],
    ['a binary file', ['validate', 'binary.bin'], ExitCode.Usage],
    ['an invalid manifest', ['validate', 'agent.yaml'], ExitCode.Failed],
    ['a folder without Charter documents', ['validate', 'folder'], ExitCode.Failed],
    ['an unknown option', ['validate', '--nope'], ExitCode.Usage],
  ],
  tools: [
    ['a missing export', ['tools', 'diff', 'missing.json', 'garbage.txt'], ExitCode.Usage],
    ['a folder', ['tools', 'diff', 'folder', 'garbage.txt'], ExitCode.Usage],
    ['a binary file', ['tools', 'diff', 'binary.bin', 'garbage.txt'], ExitCode.Usage],
    ['text that is not an export', ['tools', 'diff', 'garbage.txt', 'garbage.txt'], ExitCode.Failed],
    ['a missing argument', ['tools', 'diff', 'garbage.txt'], ExitCode.Usage],
    ['scan: a missing saved tool list', ['tools', 'scan', '--from', 'missing.json'], ExitCode.Usage],
    ['scan: a binary tool list', ['tools', 'scan', '--from', 'binary.bin'], ExitCode.Usage],
    ['scan: text that is not a tool list', ['tools', 'scan', '--from', 'garbage.txt'], ExitCode.Failed],
    ['scan: a missing --lock', ['tools', 'scan', '--from', 'garbage.txt', '--lock', 'missing.lock'], ExitCode.Usage],
    ['scan: a lock that is not a lock', ['tools', 'scan', '--from', 'garbage.txt', '--lock', 'garbage.txt'], ExitCode.Failed],
    ['scan: a stdio server that cannot start', ['tools', 'scan', '--', join(dir, 'no-such-server')], ExitCode.Usage],
    ['scan: no server named', ['tools', 'scan', '--json'], ExitCode.Usage],
  ],
  audit: [
    ['a missing log', ['audit', 'verify', 'missing.jsonl'], ExitCode.Usage],
    ['a folder', ['audit', 'verify', 'folder'], ExitCode.Usage],
    ['text that is no record', ['audit', 'verify', 'garbage.txt'], ExitCode.Failed],
    ['binary content (an altered log)', ['audit', 'verify', 'binary.bin'], ExitCode.Failed],
    ['a bad --expect-head', ['audit', 'verify', 'garbage.txt', '--expect-head', 'x'], ExitCode.Usage],
  ],
  replay: [
    ['a missing recording', ['replay', 'missing.json', '--against', 'garbage.txt'], ExitCode.Usage],
    ['a missing --against recording', ['replay', 'garbage.txt', '--against', 'missing.json'], ExitCode.Usage],
    ['a folder', ['replay', 'folder', '--against', 'garbage.txt'], ExitCode.Usage],
    ['text that is not a recording', ['replay', 'garbage.txt', '--against', 'garbage.txt'], ExitCode.Failed],
    ['a missing --agent module', ['replay', 'garbage.txt', '--agent', 'missing.js'], ExitCode.Usage],
  ],
  profile: [
    ['a missing event log', ['profile', 'missing.jsonl'], ExitCode.Usage],
    ['a folder', ['profile', 'folder'], ExitCode.Usage],
    ['a binary file', ['profile', 'binary.bin'], ExitCode.Usage],
    ['text that is no event (file:line)', ['profile', 'garbage.txt'], ExitCode.Usage],
    ['a bad --limit', ['profile', 'garbage.txt', '--limit', '0'], ExitCode.Usage],
  ],
  catalog: [
    ['a folder that is no repository (no package.json)', ['catalog', '--check'], ExitCode.Usage],
    ['a stray argument', ['catalog', 'agent.yaml'], ExitCode.Usage],
    ['--out naming a file', ['catalog', '--out', 'blocker'], ExitCode.Usage],
    ['--out without a value', ['catalog', '--out'], ExitCode.Usage],
    ['an unknown option', ['catalog', '--nope'], ExitCode.Usage],
  ],
  control: [
    ['no reason (changes are audited)', ['control', 'agent.kill-switch', 'support-desk'], ExitCode.Usage],
    ['an unknown action', ['control', 'agent.pause', 'support-desk', '--reason', 'x'], ExitCode.Usage],
    ['tool.disable without a tool', ['control', 'tool.disable', 'support-desk', '--reason', 'x'], ExitCode.Usage],
    ['an unknown state URL', ['control', 'list', 'support-desk', '--db', 'mysql://x'], ExitCode.Usage],
    ['an unreachable database', ['control', 'list', 'support-desk', '--db', 'postgresql://charter@127.0.0.1:1/x'], ExitCode.Usage],
    ['an unknown option', ['control', '--nope'], ExitCode.Usage],
  ],
  playbook: [
    ['a missing agent', ['playbook', 'run', 'cascading-failure', '--agent', 'missing'], ExitCode.Usage],
    ['a binary manifest', ['playbook', 'run', 'cascading-failure', '--agent', 'binary.bin'], ExitCode.Usage],
    ['an invalid manifest', ['playbook', 'run', 'cascading-failure', '--agent', 'agent.yaml'], ExitCode.Failed],
    ['a playbook the agent does not list', ['playbook', 'run', 'no-such', '--agent', referenceAgent], ExitCode.Usage],
    ['$tool without --tool', ['playbook', 'run', 'cascading-failure', '--agent', referenceAgent, '--db', 'memory:'], ExitCode.Usage],
    ['no --agent', ['playbook', 'run', 'cascading-failure'], ExitCode.Usage],
  ],
  alerts: [
    ['a missing manifest', ['alerts', 'missing.yaml'], ExitCode.Usage],
    ['a binary manifest', ['alerts', 'binary.bin'], ExitCode.Usage],
    ['an invalid manifest', ['alerts', 'agent.yaml'], ExitCode.Failed],
    ['-o naming a folder', ['alerts', agent, '-o', 'folder'], ExitCode.Usage],
    ['-o under a file', ['alerts', agent, '-o', 'blocker/rules.yaml'], ExitCode.Usage],
    ['-o under /proc', ['alerts', agent, '-o', '/proc/charter-exit-codes/rules.yaml'], ExitCode.Usage],
  ],
  check: [
    ['a missing folder', ['check', 'missing'], ExitCode.Usage],
    ['a folder without a manifest', ['check', 'folder'], ExitCode.Usage],
    ['a binary manifest', ['check', 'binary.bin', '--commit', 'abcdef0', '--no-lint'], ExitCode.Failed],
    ['an invalid manifest (held in staging)', ['check', 'agent.yaml', '--commit', 'abcdef0', '--no-lint'], ExitCode.Failed],
    ['no commit outside a git checkout', ['check', 'agent.yaml', '--no-lint'], ExitCode.Usage],
    ['a bad --format', ['check', '--format', 'pdf'], ExitCode.Usage],
  ],
  serve: [
    ['no agent folder', ['serve'], ExitCode.Usage],
    ['a missing folder', ['serve', 'missing'], ExitCode.Usage],
    ['an invalid manifest', ['serve', 'agent.yaml'], ExitCode.Usage],
    ['a serve module that does not exist', ['serve', referenceAgent, '--module', 'missing.mjs'], ExitCode.Usage],
    ['a bad --port', ['serve', referenceAgent, '--port', 'eighty'], ExitCode.Usage],
    ['a bad --workers', ['serve', referenceAgent, '--workers', '-1'], ExitCode.Usage],
  ],
  tenants: [
    ['no action', ['tenants'], ExitCode.Usage],
    ['an unknown action', ['tenants', 'delete', 'acme', '--db', 'pglite:memory'], ExitCode.Usage],
    ['add without an id', ['tenants', 'add', '--db', 'pglite:memory'], ExitCode.Usage],
    ['no state named', ['tenants', 'list'], ExitCode.Usage],
    ['a bad quota', ['tenants', 'add', 'acme', '--rpm', 'lots', '--db', 'pglite:memory'], ExitCode.Usage],
    ['an unknown state URL', ['tenants', 'list', '--db', 'mysql://x'], ExitCode.Usage],
    ['state without SQL', ['tenants', 'list', '--db', 'memory:'], ExitCode.Usage],
    ['an unknown tenant', ['tenants', 'revoke', 'nobody', '--db', 'pglite:memory'], ExitCode.Usage],
  ],
  eval: [
    ['no --agent', ['eval'], ExitCode.Usage],
    ['a missing subject module', ['eval', '--agent', 'missing.js'], ExitCode.Usage],
    ['a module without evalSubject', ['eval', '--agent', join(referenceAgent, 'dist', 'replay.js')], ExitCode.Usage],
    ['a module that does not load', ['eval', '--agent', 'garbage.txt'], ExitCode.Usage],
    ['a missing --policy', ['eval', '--agent', evalModule, '--policy', 'missing.yaml'], ExitCode.Usage],
    ['a baseline that is no report', ['eval', '--agent', evalModule, '--baseline', 'garbage.txt'], ExitCode.Usage],
    ['recordings that are not recordings', ['eval', '--agent', evalModule, '--recordings', 'garbage.txt'], ExitCode.Usage],
    ['a bad --alpha', ['eval', '--agent', evalModule, '--alpha', '5'], ExitCode.Usage],
    ['a bad --correction', ['eval', '--agent', evalModule, '--correction', 'bonferroni'], ExitCode.Usage],
  ],
  rollout: [
    ['a missing manifest', ['rollout', 'plan', 'missing.yaml'], ExitCode.Usage],
    ['a folder without agent.yaml', ['rollout', 'status', 'folder'], ExitCode.Usage],
    ['a binary manifest', ['rollout', 'plan', 'binary.bin'], ExitCode.Usage],
    ['an invalid manifest', ['rollout', 'plan', 'agent.yaml'], ExitCode.Failed],
    ['--state-dir under a file', ['rollout', 'status', agent, '--state-dir', 'blocker/rollouts'], ExitCode.Usage],
    ['-o naming a folder', ['rollout', 'export', agent, '--argo', '-o', 'folder'], ExitCode.Usage],
    [
      '--html under /proc',
      ['rollout', 'simulate', agent, '--skip-shadow', '--html', '/proc/charter-exit-codes/chart.html'],
      ExitCode.Usage,
    ],
  ],
};

describe('every command follows the exit-code table', () => {
  it('every command has bad-input cases here, and every case names a command', () => {
    expect(Object.keys(cases).sort()).toEqual(commands.map((command) => command.name).sort());
  });

  const all = Object.values(cases)
    .flat()
    .map(([description, args, code]) => ({ description, args, code, line: args.join(' ').replace(referenceAgent, '<reference-agent>') }));
  it.each(all)('charter $line ($description) → exit $code', async ({ args, code }) => {
    const io = captureIo(dir);
    const exit = await main(args, io);
    expect({ exit, stderr: io.err() }).toMatchObject({ exit: code });
    if (code === ExitCode.Usage) {
      // One clear line (plus the --help hint for usage mistakes), never a stack trace.
      expect(io.err()).toMatch(new RegExp(`^charter ${args[0] ?? ''}: `));
      expect(io.err()).not.toContain('\n    at ');
      expect(io.err().split('\n').filter(Boolean).length).toBeLessThanOrEqual(2);
    }
  });

  it('the table has the four codes, and nothing else maps to 70 but an unexpected error', async () => {
    expect(EXIT_CODES.map(({ code }) => code)).toEqual([0, 1, 2, 70]);
    const command = commands[0];
    if (command === undefined) throw new Error('no commands');
    const broken = { ...command, run: () => Promise.reject(new TypeError('a bug')) };
    const io = captureIo(dir);
    expect(await main([command.name], io, { commands: [broken, ...commands.slice(1)] })).toBe(70);
    expect(io.err()).toMatch(/^charter: internal error: TypeError: a bug\n\s+at /);
  });

  it('charter --help and the README state the same table', async () => {
    const io = captureIo(dir);
    expect(await main(['--help'], io)).toBe(0);
    for (const { code, name, meaning } of EXIT_CODES) expect(io.out()).toContain(`${String(code).padStart(4)}  ${name}: ${meaning}\n`);
    const readme = readFileSync(join(cliRoot, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Exit codes'));
    const rows = [...section.matchAll(/^\| (\d+) \| ([^|]+) \| ([^|]+) \|$/gm)].map((match) => ({
      code: Number(match[1]),
      name: match[2]?.trim(),
      meaning: match[3]?.trim(),
    }));
    expect(rows).toEqual(EXIT_CODES.map(({ code, name, meaning }) => ({ code, name, meaning })));
  });
});
