import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDocuments, loadManifest, loadPolicy } from './loader.js';

const fixture = (name: string) => join(import.meta.dirname, '__fixtures__', name);
const minimal = fixture('released/v1alpha1/minimal-0.1.0.yaml');

describe('loadManifest', () => {
  it('loads a valid manifest and fills defaults', () => {
    const { value, issues } = loadManifest(minimal);
    expect(issues).toEqual([]);
    expect(value?.metadata.name).toBe('faq-bot');
    expect(value?.metadata.lifecycle).toBe('experimental');
    expect(value?.spec.tools).toEqual([]);
    expect(value?.spec.slos.window).toBe('30d');
    expect(value?.spec.escalation.transcript).toBe(true);
  });

  it('reports a wrong type, an unknown key and a missing field with line:column', () => {
    const file = fixture('invalid/three-mistakes.yaml');
    const { value, issues } = loadManifest(file);
    expect(value).toBeUndefined();
    const summary = issues.map((issue) => ({
      code: issue.code,
      line: issue.line,
      column: issue.column,
      pointer: issue.pointer,
      file: issue.file,
    }));
    expect(summary).toEqual([
      { code: 'required', line: 6, column: 1, pointer: '/spec', file },
      { code: 'invalid-type', line: 17, column: 15, pointer: '/spec/budgets/maxSteps', file },
      { code: 'unknown-key', line: 22, column: 3, pointer: '/spec/escalaton', file },
    ]);
    expect(issues[0]?.message).toContain('missing required field "data"');
    expect(issues[1]?.message).toBe('spec.budgets.maxSteps must be a number, got "twelve"');
    expect(issues[2]?.message).toContain('did you mean "escalation"?');
    expect(issues[2]?.suggestion).toBe('escalation');
  });

  it('points an unknown key at the key, with its end column', () => {
    const text = 'apiVersion: charter.dev/v1alpha1\nkind: Agent\nmetadata:\n  name: x\n  ownr: group:a\n';
    const { issues } = loadManifest({ text, file: 'inline.yaml' });
    const unknown = issues.find((issue) => issue.code === 'unknown-key');
    expect(unknown).toMatchObject({
      file: 'inline.yaml',
      line: 5,
      column: 3,
      endLine: 5,
      endColumn: 7,
      pointer: '/metadata/ownr',
      suggestion: 'owner',
    });
  });

  it('reports YAML syntax errors with their position and keeps going with other documents', () => {
    const text = 'apiVersion: charter.dev/v1alpha1\nkind: Agent\nmetadata: { name: x\n---\nkind: Nope\n';
    const { issues } = loadDocuments(text);
    expect(issues.map((issue) => [issue.code, issue.document])).toEqual([
      ['yaml-syntax', 0],
      ['unknown-kind', 1],
    ]);
    expect(issues[0]?.line).toBeGreaterThanOrEqual(3);
  });

  it('suggests the kind and the apiVersion', () => {
    expect(loadDocuments('kind: Agnet\napiVersion: x\n').issues[0]).toMatchObject({
      code: 'unknown-kind',
      suggestion: 'Agent',
      line: 1,
      column: 7,
    });
    expect(loadDocuments('kind: Agent\napiVersion: charter.dev/v1\n').issues[0]).toMatchObject({
      code: 'wrong-api-version',
      line: 2,
      column: 13,
    });
    expect(loadDocuments('apiVersion: charter.dev/v1alpha1\nmetadata: {}\n').issues[0]?.code).toBe('missing-kind');
  });

  it('rejects enum values with the allowed list and a suggestion', () => {
    const text = loadText(minimal).replace('classification: internal', 'classification: internel');
    const { issues } = loadManifest({ text });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: 'invalid-value', pointer: '/spec/data/classification', suggestion: 'internal' });
    expect(issues[0]?.message).toContain('"public", "internal", "confidential", "restricted"');
  });

  it('enforces cross-field rules once the structure is valid', () => {
    const text = loadText(minimal)
      .replace('costPerRequestUsd: 0.01', 'costPerRequestUsd: 0.5')
      .replace('target: 50, direction: increase', 'target: 50, direction: decrease');
    const { issues } = loadManifest({ text });
    expect(issues.map((issue) => [issue.code, issue.pointer])).toEqual([
      ['rule', '/spec/businessCase/kpis/0/target'],
      ['rule', '/spec/slos/costPerRequestUsd'],
    ]);
    expect(issues[1]?.message).toContain('exceeds the per-run budget');
  });

  it('requires an approval policy for irreversible tools and scopes for side effects', () => {
    const text = loadText(minimal).replace(
      '  policy: ./policy.yaml',
      '  tools:\n    - { name: wipe_disk, version: ^1.0.0, sideEffects: irreversible, scopes: [] }\n  policy: ./policy.yaml',
    );
    const { issues } = loadManifest({ text });
    expect(issues.map((issue) => issue.pointer)).toEqual(['/spec/tools/0/approval', '/spec/tools/0/scopes']);
    expect(issues[0]?.message).toContain('"wipe_disk" is irreversible');
  });

  it('checks rollout stage order and weights', () => {
    const text = loadText(minimal).replace(
      /stages:\n[\s\S]*?\n {2}data:/,
      'stages:\n      - { name: canary, kind: canary, weight: 20, stabilization: 1h }\n      - { name: shadow, kind: shadow, weight: 0, stabilization: 1h }\n      - { name: half, kind: progressive, weight: 50, stabilization: 1h }\n  data:',
    );
    const { issues } = loadManifest({ text });
    expect(issues.map((issue) => issue.pointer)).toEqual([
      '/spec/rollout/stages/0/weight',
      '/spec/rollout/stages/1/kind',
      '/spec/rollout/stages/2/weight',
    ]);
  });

  it('reads a file path and reports a missing file without throwing', () => {
    expect(loadManifest('/nonexistent/agent.yaml').issues[0]).toMatchObject({ code: 'file-not-found', file: '/nonexistent/agent.yaml' });
    const dir = mkdtempSync(join(tmpdir(), 'charter-spec-'));
    const big = join(dir, 'big.yaml');
    writeFileSync(big, 'a: 1\n'.repeat(10));
    expect(loadManifest(big, { maxBytes: 10 }).issues[0]?.code).toBe('file-too-large');
    const empty = join(dir, 'empty.yaml');
    writeFileSync(empty, '# nothing here\n');
    expect(loadManifest(empty).issues[0]?.code).toBe('empty');
  });

  it('loads multi-document files and tells loadManifest apart from loadDocuments', () => {
    const file = fixture('released/v1alpha1/multi-document-0.1.0.yaml');
    const { value, issues } = loadDocuments(file);
    expect(issues).toEqual([]);
    expect(value.map((document) => [document.kind, document.document, document.line])).toEqual([
      ['Agent', 0, 2],
      ['Agent', 1, 24],
    ]);
    expect(loadManifest(file).issues[0]).toMatchObject({ code: 'multiple-documents', line: 24, document: 1 });
    expect(loadPolicy(file).issues[0]?.code).toBe('wrong-kind');
  });

  it('refuses alias bombs instead of expanding them', () => {
    const lines = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}, *${String.fromCharCode(97 + i)}]`,
      );
    const { issues } = loadDocuments(lines.join('\n'));
    expect(issues[0]?.code).toBe('yaml-alias');
  });
});

function loadText(path: string): string {
  return readFileSync(path, 'utf8');
}
