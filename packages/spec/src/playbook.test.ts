import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadDocuments, loadEmbeddedDocuments } from './loader.js';
import { jsonSchemas } from './json-schema.js';
import { loadPlaybook, Playbook, PLAYBOOK_ACTIONS, ROLLOUT_CHECKS } from './playbook.js';
import { RolloutAnalysis } from './agent.js';

const here = dirname(fileURLToPath(import.meta.url));
const fixture = (name: string) => join(here, '__fixtures__', 'playbooks', name);
const repoPlaybooks = join(here, '..', '..', '..', 'playbooks');

describe('loadPlaybook', () => {
  it('reads every repository playbook by the fast path and by the CST path to the same document and line', () => {
    const names = readdirSync(repoPlaybooks).filter((name) => name.endsWith('.md') && name !== 'README.md');
    expect(names.length).toBeGreaterThan(5);
    for (const name of names) {
      const lines = readFileSync(join(repoPlaybooks, name), 'utf8').split('\n');
      const yaml = lines.slice(1, lines.indexOf('---', 1)).join('\n');
      const fast = loadEmbeddedDocuments({ text: yaml, file: name, lineOffset: 1 });
      // A comment holding "&" sends the loader down the CST path: the fast one declines anything like an anchor.
      const slow = loadEmbeddedDocuments({ text: `${yaml}\n# &\n`, file: name, lineOffset: 1 });
      expect(fast.issues, name).toEqual([]);
      expect(slow.issues, name).toEqual([]);
      expect(fast.value, name).toEqual(slow.value);
      expect(fast.value[0]?.line, name).toBe(2);
    }
  });

  it('loads the front matter of a valid playbook with defaults applied', () => {
    const { value, issues } = loadPlaybook(fixture('minimal.md'));
    expect(issues).toEqual([]);
    expect(value?.metadata.name).toBe('minimal');
    expect(value?.spec.triggers).toEqual({
      alerts: ['CharterToolTimeouts'],
      guardrailRules: [],
      errorCodes: [],
      escalations: [],
      rolloutChecks: [],
    });
    expect(value?.spec.mitigations.map((m) => m.action)).toEqual([
      { type: 'tool.disable', tool: '$tool' },
      { type: 'rollout.set-weight', weight: 10 },
    ]);
    expect(value?.spec.postmortem).toEqual({ always: false, durationMinutes: 60 });
  });

  it('reports a missing field at its line:column in the Markdown file (front matter starts at line 2)', () => {
    const { value, issues } = loadPlaybook(fixture('missing-field.md'));
    expect(value).toBeUndefined();
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'required', pointer: '/spec/communication', line: 23, column: 3 });
    expect(issues[0]?.message).toContain('missing required field "updateEvery"');
    const severity = loadPlaybook(fixture('missing-severity.md')).issues;
    expect(severity).toEqual([
      expect.objectContaining({
        code: 'required',
        pointer: '/spec',
        line: 8,
        column: 1,
        message: expect.stringContaining('missing required field "severity" in spec: add it (one of "sev1"'),
      }),
    ]);
  });

  it('rejects an unknown action with line:column, the allowed actions and a suggestion', () => {
    const { value, issues } = loadPlaybook(fixture('unknown-action.md'));
    expect(value).toBeUndefined();
    expect(issues).toHaveLength(1);
    const issue = issues[0];
    expect(issue).toMatchObject({
      code: 'invalid-value',
      pointer: '/spec/mitigations/0/action/type',
      line: 17,
      column: 23,
      suggestion: 'tool.disable',
    });
    expect(issue?.file).toBe(fixture('unknown-action.md'));
    for (const action of PLAYBOOK_ACTIONS) expect(issue?.message).toContain(action);
  });

  it('requires the arguments an action needs', () => {
    const { issues } = loadPlaybook(fixture('set-weight-without-weight.md'));
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'rule',
        pointer: '/spec/mitigations/1/action/weight',
        line: 19,
        message: expect.stringContaining('rollout.set-weight needs "weight"'),
      }),
    ]);
  });

  it('rejects a file without front matter, or with front matter never closed', () => {
    expect(loadPlaybook(fixture('no-front-matter.md')).issues).toEqual([
      expect.objectContaining({ code: 'front-matter', line: 1, message: expect.stringContaining('put "---" on the first line') }),
    ]);
    expect(loadPlaybook(fixture('unclosed.md')).issues).toEqual([
      expect.objectContaining({ code: 'front-matter', message: expect.stringContaining('never closed') }),
    ]);
  });

  it('requires the file name to be the playbook id', () => {
    const { value, issues } = loadPlaybook(fixture('misnamed.md'));
    expect(value).toBeUndefined();
    expect(issues).toEqual([
      expect.objectContaining({
        code: 'rule',
        pointer: '/metadata/name',
        line: 5,
        message: expect.stringContaining('rename the file to minimal.md'),
      }),
    ]);
  });

  it('accepts text directly (no file-name rule) and reports YAML syntax errors at their file line', () => {
    const text = readFileSync(fixture('minimal.md'), 'utf8');
    expect(loadPlaybook({ text, file: 'anything.md' }).issues).toEqual([expect.objectContaining({ code: 'rule' })]);
    expect(loadPlaybook({ text }).issues).toEqual([]);
    const broken = text.replace('  severity: sev3', '  severity: [sev3');
    const { issues } = loadPlaybook({ text: broken });
    expect(issues[0]?.code).toBe('yaml-syntax');
    expect(issues[0]?.line).toBeGreaterThanOrEqual(9);
  });

  it('rejects a playbook with no trigger, and a trigger list with an unknown rollout check', () => {
    const text = readFileSync(fixture('minimal.md'), 'utf8');
    const none = loadPlaybook({ text: text.replace('    alerts: [CharterToolTimeouts]\n', '    alerts: []\n') });
    expect(none.issues).toEqual([
      expect.objectContaining({ code: 'rule', pointer: '/spec/triggers', message: expect.stringContaining('at least one trigger') }),
    ]);
    const unknown = loadPlaybook({ text: text.replace('    alerts: [CharterToolTimeouts]\n', '    rolloutChecks: [maxDisagreement]\n') });
    expect(unknown.issues).toEqual([expect.objectContaining({ code: 'invalid-value', line: 11, suggestion: 'maxDisagreementRate' })]);
  });

  it('is a kind of its own: loadDocuments validates a Playbook document in plain YAML too', () => {
    const text = readFileSync(fixture('minimal.md'), 'utf8').split('---\n')[1] ?? '';
    const { value, issues } = loadDocuments(text);
    expect(issues).toEqual([]);
    expect(value.map((document) => document.kind)).toEqual(['Playbook']);
  });

  it('never throws, even on a missing file', () => {
    expect(loadPlaybook(fixture('does-not-exist.md')).issues[0]?.code).toBe('file-not-found');
  });
});

describe('Playbook schema', () => {
  it('names only rollout checks that exist in spec.rollout.analysis', () => {
    for (const check of ROLLOUT_CHECKS) expect(Object.keys(RolloutAnalysis.shape)).toContain(check);
  });

  it('ships a JSON Schema with the fixed action list', () => {
    const schema = JSON.stringify(jsonSchemas()['playbook.schema.json']);
    for (const action of PLAYBOOK_ACTIONS) expect(schema).toContain(`"${action}"`);
  });

  it('every playbook in the repository loads', () => {
    const files = readdirSync(repoPlaybooks).filter((file) => file.endsWith('.md') && file !== 'README.md');
    expect(files.length).toBeGreaterThanOrEqual(9);
    for (const file of files) {
      const { value, issues } = loadPlaybook(join(repoPlaybooks, file));
      expect(issues, file).toEqual([]);
      expect(Playbook.safeParse(value).success).toBe(true);
    }
  });
});
