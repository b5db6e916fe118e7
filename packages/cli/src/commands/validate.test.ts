import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES_LINE, main } from '../main.js';
import { ValidateReport } from '../report.js';
import { captureIo } from '../testing.js';
import { validateCommand } from './validate.js';

const cliRoot = join(import.meta.dirname, '..', '..');
const specFixtures = join(cliRoot, '..', 'spec', 'src', '__fixtures__');
const repoFixture = join(import.meta.dirname, '..', '__fixtures__', 'repo');

describe('charter validate', () => {
  it('reports all three mistakes with line:column, a quoted line and a caret; exit 1', async () => {
    const io = captureIo(specFixtures);
    const code = await main(['validate', 'invalid/three-mistakes.yaml'], io);
    expect(code).toBe(1);
    const out = io.out();
    expect(out).toContain('invalid/three-mistakes.yaml:6:1: error: missing required field "data" in spec');
    expect(out).toContain('invalid/three-mistakes.yaml:17:15: error: spec.budgets.maxSteps must be a number, got "twelve" [invalid-type]');
    expect(out).toContain(
      'invalid/three-mistakes.yaml:22:3: error: unknown key "escalaton" in spec: did you mean "escalation"? [unknown-key]',
    );
    expect(out).toContain(' 17 |     maxSteps: twelve\n    |               ^^^^^^\n');
    expect(out).toContain('✖ 3 problems in 1 of 1 file');
    expect(out).not.toContain('\u001b['); // no colour when not a TTY
  });

  it('prints a --json report that matches the documented shape', async () => {
    const io = captureIo(specFixtures);
    const code = await main(['validate', '--json', 'invalid/three-mistakes.yaml', 'released/v1alpha1/minimal-0.1.0.yaml'], io);
    expect(code).toBe(1);
    const report = ValidateReport.parse(JSON.parse(io.out()));
    expect(report.ok).toBe(false);
    expect(report.summary).toEqual({
      files: 3,
      filesWithErrors: 1,
      documents: { Agent: 1, GuardrailPolicy: 1 },
      documentsWithErrors: 1,
      errors: 3,
      warnings: 0,
    });
    const issues = report.files.flatMap((file) => file.issues);
    expect(issues.map((issue) => [issue.code, issue.line, issue.column, issue.pointer])).toEqual([
      ['required', 6, 1, '/spec'],
      ['invalid-type', 17, 15, '/spec/budgets/maxSteps'],
      ['unknown-key', 22, 3, '/spec/escalaton'],
    ]);
  });

  it('discovers documents in a directory, skipping fixtures, and checks policy references', async () => {
    const io = captureIo(repoFixture);
    const code = await main(['validate', 'agents'], io);
    expect(code).toBe(1);
    expect(io.out()).toContain(
      'agents/bad/agent.yaml:16:11: error: spec.policy names ./missing-policy.yaml, which is not a file next to the manifest',
    );
    const good = captureIo(repoFixture);
    expect(await main(['validate', 'agents/good'], good)).toBe(0);
    expect(good.out()).toContain('✔ 2 files valid: 1 Agent, 1 GuardrailPolicy');
  });

  it('reports an invalid policy file referenced by a manifest', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-cli-'));
    cpSync(join(repoFixture, 'agents', 'good'), dir, { recursive: true });
    writeFileSync(join(dir, 'policy.yaml'), readFileSync(join(dir, 'policy.yaml'), 'utf8').replace('mode: enforce', 'mode: enforcing'));
    const io = captureIo(dir);
    expect(await main(['validate', 'agent.yaml'], io)).toBe(1);
    expect(io.out()).toMatch(/policy\.yaml:\d+:\d+: error: spec\.mode is "enforcing"/);
  });

  it('an approval stated in both the manifest and the policy: an error at both positions, each with its code frame; exit 1', async () => {
    const io = captureIo(repoFixture);
    expect(await main(['validate', 'agents/twice'], io)).toBe(1);
    expect(io.out()).toBe(
      [
        'agents/twice/policy.yaml:13:9: error: the approval of "refund_order" (when amount > 100) is stated in both files: state it once, in the manifest\'s spec.tools[0].approval, and remove it from this rule [duplicate-statement]',
        ' 13 |         approval: when amount > 100',
        '    |         ^^^^^^^^^^^^^^^^^^^^^^^^^^^',
        'agents/twice/agent.yaml:21:7: related: the manifest grants "refund_order" with approval when amount > 100',
        ' 21 |       approval: when amount > 100',
        '    |       ^^^^^^^^^^^^^^^^^^^^^^^^^^^',
        '✖ 1 problem in 1 of 2 files: 1 document with errors; valid: 1 Agent',
        '',
      ].join('\n'),
    );
  });

  it('an approval an argument constraint makes unreachable: an error at the approval, related to the constraint; exit 1', async () => {
    const io = captureIo(repoFixture);
    expect(await main(['validate', 'agents/unreachable/agent.yaml'], io)).toBe(1);
    const out = io.out();
    expect(out).toContain(
      'agents/unreachable/agent.yaml:21:7: error: the approval of "send_email" (when to.length > 1) can never apply: the policy\'s to.maxItems: 1 denies every call',
    );
    expect(out).toContain(
      [
        "agents/unreachable/policy.yaml:14:33: related: the policy's constraint to.maxItems: 1",
        ' 14 |           to: { required: true, maxItems: 1, recipients: { context: [customerEmail] } }',
        '    |                                 ^^^^^^^^^^^',
      ].join('\n'),
    );

    const json = captureIo(repoFixture);
    expect(await main(['validate', '--json', 'agents/unreachable', 'agents/twice'], json)).toBe(1);
    const report = ValidateReport.parse(JSON.parse(json.out()));
    const issues = report.files.flatMap((file) => file.issues);
    expect(issues.map((issue) => [issue.code, `${issue.file}:${issue.line}:${issue.column}`, issue.related])).toEqual([
      [
        'unreachable-approval',
        'agents/unreachable/agent.yaml:21:7',
        [
          {
            file: 'agents/unreachable/policy.yaml',
            line: 14,
            column: 33,
            endLine: 14,
            endColumn: 44,
            message: "the policy's constraint to.maxItems: 1",
          },
        ],
      ],
      [
        'duplicate-statement',
        'agents/twice/policy.yaml:13:9',
        [
          {
            file: 'agents/twice/agent.yaml',
            line: 21,
            column: 7,
            endLine: 21,
            endColumn: 34,
            message: 'the manifest grants "refund_order" with approval when amount > 100',
          },
        ],
      ],
    ]);
  });

  it('treats usage mistakes as exit 2 with a message on stderr', async () => {
    const io = captureIo(repoFixture);
    expect(await main(['validate', '--jsn'], io)).toBe(2);
    expect(io.err()).toBe('charter validate: unknown option --jsn (options: --json)\nRun "charter validate --help" for usage.\n');
    expect(io.out()).toBe('');
    const unknown = captureIo(repoFixture);
    expect(await main(['valdate'], unknown)).toBe(2);
    expect(unknown.err()).toContain('charter: unknown command "valdate"');
    expect(unknown.err()).toContain('Run "charter --help" for usage.');
  });

  it('charter validate --help (or -h) prints the usage, exit 0; after -- it is a path', async () => {
    for (const args of [['--help'], ['-h'], ['agents', '--json', '--help']]) {
      const io = captureIo(repoFixture);
      expect(await main(['validate', ...args], io)).toBe(0);
      expect(io.out()).toBe(`${validateCommand.usage}\n\n${EXIT_CODES_LINE}\n`);
      expect(io.err()).toBe('');
    }
    const io = captureIo(repoFixture);
    expect(await main(['validate', '--', '--help'], io)).toBe(2);
    expect(io.err()).toBe('charter validate: no file or folder at --help: check the path\n');
  });

  it('a missing path is unreadable input: exit 2, one line naming it, nothing validated', async () => {
    const io = captureIo(repoFixture);
    expect(await main(['validate', 'agents/good', 'nope.yaml'], io)).toBe(2);
    expect(io.err()).toBe('charter validate: no file or folder at nope.yaml: check the path\n');
    expect(io.out()).toBe('');
  });

  it('a binary file is reported in one line (exit 2), not printed byte by byte under carets', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-cli-'));
    writeFileSync(
      join(dir, 'agent.yaml'),
      Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01'), Buffer.alloc(64), Buffer.from('apiVersion: x\n')]),
    );
    writeFileSync(join(dir, 'latin1.yaml'), Buffer.from('name: caf\xe9\n', 'latin1'));
    const io = captureIo(dir);
    expect(await main(['validate', 'agent.yaml'], io)).toBe(2);
    expect(io.err()).toBe('charter validate: agent.yaml is not a text file (a NUL byte at offset 7): check the path\n');
    expect(io.out()).toBe('');
    const latin1 = captureIo(dir);
    expect(await main(['validate', 'latin1.yaml'], latin1)).toBe(2);
    expect(latin1.err()).toContain('latin1.yaml is not a text file (not UTF-8)');
  });

  it('the summary counts only documents without errors as valid and says how many have errors', async () => {
    const io = captureIo(repoFixture);
    expect(await main(['validate', 'agents/bad/agent.yaml'], io)).toBe(1);
    expect(io.out()).toContain('✖ 1 problem in 1 of 1 file: 1 document with errors; none valid\n');
    expect(io.out()).not.toContain('valid: 1 Agent');
    const both = captureIo(repoFixture);
    expect(await main(['validate', 'agents/bad', 'agents/good', '--json'], both)).toBe(1);
    const report = ValidateReport.parse(JSON.parse(both.out()));
    expect(report.summary).toMatchObject({ documents: { Agent: 1, GuardrailPolicy: 1 }, documentsWithErrors: 1, errors: 1 });
    expect(report.files.find((file) => file.file === 'agents/bad/agent.yaml')?.documents).toEqual([
      { kind: 'Agent', name: 'faq-bot', document: 0, line: 2, ok: false },
    ]);
    const human = captureIo(repoFixture);
    await main(['validate', 'agents/bad', 'agents/good'], human);
    expect(human.out()).toContain('✖ 1 problem in 1 of 3 files: 1 document with errors; valid: 1 Agent, 1 GuardrailPolicy\n');
  });

  it('loads each Agent with loadAgent: the playbooks it names are validated in their own files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-cli-'));
    cpSync(join(repoFixture, 'agents', 'good'), join(dir, 'agent'), { recursive: true });
    mkdirSync(join(dir, '.git')); // the repository root: playbooks are looked up below it
    mkdirSync(join(dir, 'playbooks'));
    const manifest = join(dir, 'agent', 'agent.yaml');
    writeFileSync(manifest, `${readFileSync(manifest, 'utf8')}  playbooks: [tool-timeouts, not-written-yet]\n`);
    writeFileSync(
      join(dir, 'playbooks', 'tool-timeouts.md'),
      readFileSync(join(cliRoot, '..', '..', 'playbooks', 'tool-timeouts.md'), 'utf8').replace('severity: sev2', 'severity: sev9'),
    );
    const io = captureIo(dir);
    expect(await main(['validate', 'agent/agent.yaml'], io)).toBe(1);
    expect(io.out()).toMatch(/^playbooks\/tool-timeouts\.md:\d+:\d+: error: .*sev9/m);
    expect(io.out()).toMatch(/^agent\/agent\.yaml:\d+:\d+: error: playbook "not-written-yet" is not in .*\[playbook-not-found\]$/m);
  });

  it('a file with two Agents is reported as loadAgent reports it: one manifest is one agent', async () => {
    const io = captureIo(specFixtures);
    expect(await main(['validate', 'released/v1alpha1/multi-document-0.1.0.yaml'], io)).toBe(1);
    expect(io.out()).toContain('multi-document-0.1.0.yaml:24:1: error: expected one Agent document, found 2');
  });

  it('no CLI source names policy.yaml: the policy path comes from the manifest', () => {
    const sources = readdirSync(join(cliRoot, 'src'), { recursive: true, encoding: 'utf8' }).filter(
      (file) => file.endsWith('.ts') && !file.endsWith('.test.ts') && !file.includes('__fixtures__'),
    );
    expect(sources.length).toBeGreaterThan(5);
    const naming = sources.filter((file) => readFileSync(join(cliRoot, 'src', file), 'utf8').includes('policy.yaml'));
    expect(naming).toEqual([]);
  });

  it('runs as a process with the same exit codes', () => {
    const tsx = join(cliRoot, '..', '..', 'node_modules', '.bin', 'tsx');
    const run = (...args: string[]) =>
      spawnSync(tsx, ['--conditions=@charter/source', join(cliRoot, 'bin', 'charter.js'), ...args], {
        cwd: specFixtures,
        encoding: 'utf8',
      });
    expect(run('validate', 'released/v1alpha1/minimal-0.1.0.yaml').status).toBe(0);
    expect(run('validate', 'invalid').status).toBe(1);
    expect(run('validate', '--bogus').status).toBe(2);
    expect(run('validate', 'no-such-file.yaml').status).toBe(2);
    expect(run('--version').stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
  });
});
