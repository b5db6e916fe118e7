import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LintErrorCode } from '../src/errors.js';
import { checkManifestFileName, findManifestFile, hasApproval, manifestFor } from '../src/util/manifest.js';
import { fixture } from './rule-tester.js';

const root = mkdtempSync(join(tmpdir(), 'charter-eslint-manifest-'));
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

const manifest = (tools: string): string =>
  `apiVersion: charter.dev/v1alpha1\nkind: Agent\nspec:\n  tools:\n${tools}  budgets:\n    maxSteps: 3\n`;

describe('manifestFor', () => {
  it('reads a valid manifest through @charter/spec (defaults applied)', () => {
    const found = manifestFor(fixture('manifest', 'file.ts'), 'agent.yaml');
    expect(found.kind).toBe('found');
    if (found.kind !== 'found') return;
    expect(found.facts.schemaIssues).toBe(0);
    expect([...found.facts.tools.keys()]).toEqual(['lookup_order', 'refund_order']);
    expect(found.facts.tools.get('lookup_order')?.approval).toBe('never');
    expect(found.facts.budgets).toMatchObject({ maxSteps: 12, maxCostUsd: 0.25 });
  });

  it('reads an invalid manifest leniently and counts its schema issues', () => {
    const found = manifestFor(fixture('manifest-gaps', 'file.ts'), 'agent.yaml');
    if (found.kind !== 'found') throw new Error(found.kind);
    expect(found.facts.schemaIssues).toBeGreaterThan(0);
    expect(found.facts.tools.get('send_email')).toMatchObject({ sideEffects: 'irreversible', approval: 'never', line: 8 });
    expect(found.facts.tools.get('delete_account')?.approval).toBeUndefined();
    expect(found.facts.budgets).toEqual({ maxSteps: 8 });
  });

  it('reports unreadable YAML with a LINT_MANIFEST_UNREADABLE error', () => {
    const found = manifestFor(fixture('manifest-broken', 'file.ts'), 'agent.yaml');
    expect(found.kind).toBe('unreadable');
    if (found.kind === 'unreadable') expect(found.error.code).toBe(LintErrorCode.ManifestUnreadable);
  });

  it('caches per path and re-reads when the file changes', () => {
    const dir = join(root, 'agent');
    mkdirSync(join(dir, 'src'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), '{"name":"x"}');
    const file = join(dir, 'agent.yaml');
    writeFileSync(file, manifest('    - { name: a, version: ^1.0.0, sideEffects: none }\n'));
    const first = manifestFor(join(dir, 'src', 'x.ts'), 'agent.yaml');
    expect(manifestFor(join(dir, 'src', 'y.ts'), 'agent.yaml')).toBe(first);
    writeFileSync(
      file,
      manifest('    - { name: a, version: ^1.0.0, sideEffects: none }\n    - { name: b, version: ^1.0.0, sideEffects: none }\n'),
    );
    utimesSync(file, new Date(), new Date(Date.now() + 5_000));
    const second = manifestFor(join(dir, 'src', 'x.ts'), 'agent.yaml');
    expect(second).not.toBe(first);
    if (second.kind !== 'found') throw new Error(second.kind);
    expect([...second.facts.tools.keys()]).toEqual(['a', 'b']);
  });
});

describe('findManifestFile', () => {
  it('stops at the package root', () => {
    const outer = join(root, 'outer');
    mkdirSync(join(outer, 'pkg', 'src'), { recursive: true });
    writeFileSync(join(outer, 'agent.yaml'), manifest(''));
    writeFileSync(join(outer, 'pkg', 'package.json'), '{"name":"pkg"}');
    expect(findManifestFile(join(outer, 'pkg', 'src', 'a.ts'), 'agent.yaml')).toBeUndefined();
    expect(findManifestFile(join(outer, 'b.ts'), 'agent.yaml')).toBe(join(outer, 'agent.yaml'));
  });
});

describe('options and policies', () => {
  it('accepts only plain manifest file names', () => {
    expect(checkManifestFileName('charter.yaml')).toBe('charter.yaml');
    for (const bad of ['', '../agent.yaml', 'a/b.yaml', 'x'.repeat(200)])
      expect(() => checkManifestFileName(bad)).toThrow(expect.objectContaining({ code: LintErrorCode.BadOption }));
  });

  it('treats never, blank and missing policies as no approval', () => {
    expect(hasApproval('when amount > 100')).toBe(true);
    expect(hasApproval('always')).toBe(true);
    expect(hasApproval(' never ')).toBe(false);
    expect(hasApproval('')).toBe(false);
    expect(hasApproval(undefined)).toBe(false);
  });
});
