import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { loadAgent, requireAgent } from './load-agent.js';

const REFERENCE = join(import.meta.dirname, '..', '..', 'reference-agent');
const manifestText = readFileSync(join(REFERENCE, 'agent.yaml'), 'utf8');
const policyText = readFileSync(join(REFERENCE, 'policy.yaml'), 'utf8');

const made: string[] = [];
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/** A repository in a temporary folder: `.git`, the agent in `agents/desk/`, optional playbooks at the root. */
function repo(options: { manifest?: string; policy?: string | undefined; playbooks?: readonly string[] } = {}): {
  root: string;
  agent: string;
} {
  const root = mkdtempSync(join(tmpdir(), 'charter-load-agent-'));
  made.push(root);
  mkdirSync(join(root, '.git'));
  const agent = join(root, 'agents', 'desk');
  mkdirSync(agent, { recursive: true });
  writeFileSync(join(agent, 'agent.yaml'), options.manifest ?? manifestText);
  if (options.policy !== undefined) writeFileSync(join(agent, 'policy.yaml'), options.policy);
  if (options.playbooks !== undefined) {
    mkdirSync(join(root, 'playbooks'));
    const source = join(REFERENCE, '..', '..', 'playbooks');
    for (const id of options.playbooks) writeFileSync(join(root, 'playbooks', `${id}.md`), readFileSync(join(source, `${id}.md`), 'utf8'));
  }
  return { root, agent };
}

const ALL_PLAYBOOKS = [
  'hallucination-quality-drop',
  'tool-timeouts',
  'cascading-failure',
  'prompt-injection',
  'pii-secret-leak',
  'cost-runaway',
  'model-provider-outage',
  'shadow-disagreement-spike',
  'approval-queue-overload',
];

describe('loadAgent', () => {
  it('loads the reference agent from its manifest path alone: manifest, policy, playbooks, resolved paths', () => {
    const agent = loadAgent(join(REFERENCE, 'agent.yaml'));
    expect(agent.issues).toEqual([]);
    expect(agent.ok).toBe(true);
    expect(agent.manifest?.metadata.name).toBe('support-desk');
    expect(agent.policy?.metadata.name).toBe('support-desk-policy');
    expect(agent.policyFile).toBe(join(REFERENCE, 'policy.yaml'));
    expect([...agent.playbooks.keys()]).toEqual(ALL_PLAYBOOKS);
    expect(agent.dir).toBe(REFERENCE);
    expect(agent.resolve('.charter/escalations.jsonl')).toBe(join(REFERENCE, '.charter', 'escalations.jsonl'));
    expect(agent.resolve('/abs/x')).toBe('/abs/x');
  });

  it('takes a folder and reads its agent.yaml', () => {
    const agent = loadAgent(REFERENCE);
    expect(agent.ok).toBe(true);
    expect(agent.manifestFile).toBe(join(REFERENCE, 'agent.yaml'));
  });

  it('resolves spec.policy against the manifest folder, not the working folder', () => {
    const { agent } = repo({ policy: policyText, playbooks: ALL_PLAYBOOKS });
    const cwd = process.cwd();
    try {
      process.chdir(tmpdir());
      const loaded = loadAgent(join(agent, 'agent.yaml'));
      expect(loaded.issues).toEqual([]);
      expect(loaded.policyFile).toBe(join(agent, 'policy.yaml'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('reports a missing policy file at the manifest line of spec.policy', () => {
    const { agent } = repo({ playbooks: ALL_PLAYBOOKS });
    const loaded = loadAgent(agent);
    expect(loaded.ok).toBe(false);
    expect(loaded.policy).toBeUndefined();
    const issue = loaded.issues.find((i) => i.code === 'policy-not-found');
    const line = manifestText.split('\n').findIndex((l) => l.startsWith('  policy:')) + 1;
    expect(issue).toMatchObject({ file: join(agent, 'agent.yaml'), line, pointer: '/spec/policy', severity: 'error' });
  });

  it('reports the policy file’s own problems in the policy file', () => {
    const { agent } = repo({ policy: policyText.replace('mode: enforce', 'mode: enforced'), playbooks: ALL_PLAYBOOKS });
    const loaded = loadAgent(agent);
    expect(loaded.ok).toBe(false);
    const issue = loaded.issues.find((i) => i.file.endsWith('policy.yaml'));
    expect(issue?.code).toBe('invalid-value');
    expect(issue?.line).toBe(policyText.split('\n').findIndex((l) => l.includes('mode: enforce')) + 1);
  });

  it('reports an unknown playbook id at its line in spec.playbooks', () => {
    const { agent } = repo({ policy: policyText, playbooks: ALL_PLAYBOOKS.filter((id) => id !== 'cost-runaway') });
    const loaded = loadAgent(agent);
    const issues = loaded.issues.filter((i) => i.code === 'playbook-not-found');
    expect(issues).toHaveLength(1);
    expect(issues[0]?.line).toBe(manifestText.split('\n').findIndex((l) => l.trim() === '- cost-runaway') + 1);
    expect(loaded.playbooks.has('cost-runaway')).toBe(false);
    expect(loaded.playbooks.size).toBe(ALL_PLAYBOOKS.length - 1);
  });

  it('does not skip the playbook check when there is no playbooks/ folder: that is an error', () => {
    const { agent } = repo({ policy: policyText });
    const loaded = loadAgent(agent);
    expect(loaded.ok).toBe(false);
    const issue = loaded.issues.find((i) => i.code === 'playbook-not-found');
    expect(issue?.message).toMatch(/no playbooks\/ folder/);
    expect(issue?.pointer).toBe('/spec/playbooks');
  });

  it('takes playbook folders from the options', () => {
    const { agent } = repo({ policy: policyText });
    const loaded = loadAgent(agent, { playbookDirs: [join(REFERENCE, '..', '..', 'playbooks')] });
    expect(loaded.issues).toEqual([]);
  });

  it('reports a missing manifest as file-not-found and loads nothing else', () => {
    const loaded = loadAgent(join(tmpdir(), 'no-such-agent-dir', 'agent.yaml'));
    expect(loaded.ok).toBe(false);
    expect(loaded.issues.map((i) => i.code)).toEqual(['file-not-found']);
    expect(loaded.policyFile).toBeUndefined();
  });

  it('reports, with both positions, what the policy restates from the manifest and the approval a constraint makes unreachable', () => {
    // The reference agent as it was: the allow-list and refund approval in both files, and send_email's
    // approval `when to.length > 1` behind the policy's `maxItems: 1`.
    const before = policyText
      .replace('  tools:\n', '  tools:\n    allow: [lookup_order, refund_order, search_kb, send_email, escalate_to_human]\n')
      .replace(
        '        maxCallsPerRun: 1\n        args:\n          orderId',
        '        maxCallsPerRun: 1\n        approval: when amount > 100\n        args:\n          orderId',
      )
      .replace('maxItems: 3', 'maxItems: 1');
    const { agent } = repo({ policy: before, playbooks: ALL_PLAYBOOKS });
    const loaded = loadAgent(agent);
    expect(loaded.ok).toBe(false);
    const policyFile = join(agent, 'policy.yaml');
    const manifestFile = join(agent, 'agent.yaml');
    const line = (text: string, needle: string) => text.split('\n').findIndex((l) => l.includes(needle)) + 1;
    expect(
      loaded.issues.map((issue) => [issue.code, issue.file, issue.line, ...(issue.related ?? []).map((r) => `${r.file}:${r.line}`)]),
    ).toEqual([
      ['duplicate-statement', policyFile, line(before, 'allow: ['), `${manifestFile}:${line(manifestText, '  tools:')}`],
      [
        'duplicate-statement',
        policyFile,
        line(before, 'approval: when amount > 100'),
        `${manifestFile}:${line(manifestText, 'approval: when amount > 100')}`,
      ],
      [
        'unreachable-approval',
        manifestFile,
        line(manifestText, 'approval: when to.length > 1'),
        `${policyFile}:${line(before, 'maxItems: 1')}`,
      ],
    ]);
    expect(() => requireAgent(agent)).toThrow(/policy\.yaml:\d+:\d+ .*\[duplicate-statement\]/);
  });

  it('requireAgent throws SPEC_INVALID listing every error with file:line:column', () => {
    const { agent } = repo({ policy: policyText });
    let thrown: unknown;
    try {
      requireAgent(agent);
    } catch (error) {
      thrown = error;
    }
    expect(SpecError.isInstance(thrown)).toBe(true);
    expect((thrown as SpecError).code).toBe('SPEC_INVALID');
    expect((thrown as SpecError).message).toMatch(/agent\.yaml:\d+:\d+ .*\[playbook-not-found\]/);
    expect(requireAgent(REFERENCE).manifest.metadata.name).toBe('support-desk');
  });
});
