// The templates depend on @charter/* by a version range the current packages satisfy (after
// `changeset version`, `npm run version-packages` moves them), never by path.
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkTemplateVersions } from './template-versions.mjs';

const root = join(import.meta.dirname, '..');

describe('the agent-service playbooks', () => {
  it("are the repository's playbooks, unchanged (copy playbooks/*.md again after changing one)", () => {
    const skeleton = join(root, 'templates', 'agent-service', 'skeleton', 'playbooks');
    const own = readdirSync(join(root, 'playbooks'))
      .filter((file) => file.endsWith('.md') && file !== 'README.md')
      .sort();
    expect(readdirSync(skeleton).sort()).toEqual(own);
    for (const file of own)
      expect(readFileSync(join(skeleton, file), 'utf8'), file).toBe(readFileSync(join(root, 'playbooks', file), 'utf8'));
  });
});

describe('template versions', () => {
  it('every @charter dependency of every template is a range the current version satisfies', () => {
    expect(checkTemplateVersions(root)).toEqual([]);
  });

  it('reports a stale range and a path, and --write moves ranges to the current versions', () => {
    const copy = mkdtempSync(join(tmpdir(), 'charter-template-versions-'));
    cpSync(join(root, 'package.json'), join(copy, 'package.json'));
    cpSync(join(root, 'packages'), join(copy, 'packages'), {
      recursive: true,
      filter: (path) => !path.includes('node_modules') && !path.includes('/dist'),
    });
    cpSync(join(root, 'templates', 'agent-tool'), join(copy, 'templates', 'agent-tool'), { recursive: true });
    const manifest = join(copy, 'templates', 'agent-tool', 'skeleton', 'package.json');
    writeFileSync(
      manifest,
      readFileSync(manifest, 'utf8')
        .replace('"@charter/tools": "^0.1.0"', '"@charter/tools": "^9.0.0"')
        .replace('"@charter/cli": "^0.1.0"', '"@charter/cli": "file:../../packages/cli"'),
    );
    expect(checkTemplateVersions(copy).map((p) => p.message)).toEqual([
      expect.stringMatching(/^@charter\/tools is at \d+\.\d+\.\d+, outside "\^9\.0\.0"$/) as unknown as string,
      '@charter/cli must be a version range, not "file:../../packages/cli"',
    ]);
    checkTemplateVersions(copy, { write: true });
    expect(checkTemplateVersions(copy)).toEqual([]);
  });
});
