// The conventions check fails on planted violations, each reported with file:line, and the real
// repository passes it.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkConventions, formatViolation } from './check.mjs';
import { readLayers } from './dependencies.mjs';
import { readImports } from './imports.mjs';
import { readmeViolations } from './readmes.mjs';

const repo = join(import.meta.dirname, '..', '..');

/** A temporary folder holding `files` (path → text; objects are written as JSON). */
function tree(files: Record<string, string | object>): string {
  const root = mkdtempSync(join(tmpdir(), 'charter-conventions-'));
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
  return root;
}

const readme = (name: string) => `# ${name}\n\n${name} does one job.\n\n\`\`\`ts\nimport '${name}';\n\`\`\`\n`;
const manifest = (name: string, sections: Record<string, Record<string, string>> = {}) => ({
  name,
  version: '0.1.0',
  type: 'module',
  exports: { '.': { types: './dist/index.d.ts', '@charter/source': './src/index.ts', default: './dist/index.js' } },
  ...sections,
});
const component = (name: string, title: string) =>
  `apiVersion: backstage.io/v1alpha1\nkind: Component\nmetadata:\n  name: ${name}\n  title: ${title}\nspec:\n  type: library\n  lifecycle: experimental\n  owner: group:default/platform-team\n`;

/** A small repository that follows every convention: spec (layer 0) and tools (layer 1, importing spec). */
function cleanRepository(): Record<string, string | object> {
  return {
    'package.json': { name: 'fixture', private: true, workspaces: ['packages/*'], devDependencies: { vitest: '4.1.12' } },
    'mkdocs.yml': 'site_name: fixture\n',
    'catalog-info.yaml':
      'apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\nspec:\n  targets:\n    - ./catalog/group.yaml\n    - ./packages/spec/catalog-info.yaml\n',
    'catalog/group.yaml':
      'apiVersion: backstage.io/v1alpha1\nkind: Group\nmetadata:\n  name: platform-team\nspec:\n  type: team\n  children: []\n',
    'packages/spec/package.json': manifest('@charter/spec', { dependencies: { zod: '4.6.7' } }),
    'packages/spec/README.md': `${readme('@charter/spec')}\n## Errors\n\n| \`SPEC_INVALID\` | bad input |\n`,
    'packages/spec/catalog-info.yaml': component('charter-spec', '"@charter/spec"'),
    'packages/spec/src/index.ts':
      "import { z } from 'zod';\nexport { SpecError, SpecErrorCode } from './errors.js';\nexport const Id = z.string();\n",
    'packages/spec/src/errors.ts':
      "export const SpecErrorCode = { Invalid: 'SPEC_INVALID' } as const;\nexport class SpecError extends Error {}\nexport const fail = () => new SpecError(SpecErrorCode.Invalid);\n",
    'packages/spec/src/index.test.ts':
      "import { expect, it } from 'vitest';\nimport { Id } from '@charter/spec';\nit('x', () => expect(Id).toBeDefined());\n",
    'packages/tools/package.json': manifest('@charter/tools', { dependencies: { '@charter/spec': '0.1.0' } }),
    'packages/tools/README.md': readme('@charter/tools'),
    'packages/tools/src/index.ts': "import { Id } from '@charter/spec';\nexport const tool = Id;\n",
  };
}

async function violationsOf(files: Record<string, string | object>) {
  const { violations } = await checkConventions(tree(files));
  return violations.map((violation: { file: string; line: number; rule: string; message: string }) => ({
    at: `${violation.file}:${violation.line} ${violation.rule}`,
    message: violation.message,
  }));
}

describe('checkConventions on a fixture repository', () => {
  it('passes a repository that follows the conventions', async () => {
    expect(await violationsOf(cleanRepository())).toEqual([]);
  });

  it('reports every planted violation with file:line', async () => {
    const files = cleanRepository();
    // spec (layer 0) imports tools (layer 1): upward, and undeclared too.
    files['packages/spec/src/index.ts'] =
      "import { z } from 'zod';\nexport { SpecError, SpecErrorCode } from './errors.js';\n\nimport { tool } from '@charter/tools';\nexport const Id = z.string().default(String(tool));\n";
    // telemetry (layer 1) imports tools (layer 1): a sibling; declares lodash and never imports it;
    // imports left-pad without declaring it; its README has no job paragraph.
    files['packages/telemetry/package.json'] = manifest('@charter/telemetry', {
      dependencies: { '@charter/tools': '0.1.0', lodash: '^4.17.21' },
    });
    files['packages/telemetry/README.md'] = '# @charter/telemetry\n\n## Usage\n\n```ts\nimport "@charter/telemetry";\n```\n';
    files['packages/telemetry/src/index.ts'] =
      "// import 'not-an-import' (a comment)\nimport { tool } from '@charter/tools';\nconst pad = await import(\n  'left-pad'\n);\nexport const t = [tool, pad];\n";
    // a package the layer table does not know
    files['packages/newthing/package.json'] = manifest('@charter/newthing');
    files['packages/newthing/README.md'] = readme('@charter/newthing');
    files['packages/newthing/src/index.ts'] = 'export const x = 1;\n';
    // an invalid catalog file (unquoted @ title), listed by the root Location
    files['catalog-info.yaml'] = `${String(files['catalog-info.yaml'])}    - ./packages/tools/catalog-info.yaml\n`;
    files['packages/tools/catalog-info.yaml'] = component('charter-tools', '@charter/tools');
    // an error code never thrown, one not in the README, and a README code no map defines
    files['packages/tools/src/errors.ts'] =
      "export const ToolErrorCode = {\n  Used: 'TOOL_USED',\n  Unthrown: 'TOOL_UNTHROWN',\n  Unlisted: 'TOOL_UNLISTED',\n} as const;\nexport const e = [ToolErrorCode.Used, ToolErrorCode.Unlisted];\n";
    files['packages/tools/README.md'] =
      `${readme('@charter/tools')}\n## Errors\n\n| \`TOOL_USED\` | a |\n| \`TOOL_UNTHROWN\` | b |\n| \`TOOL_GHOST\` | c |\n`;

    const found = await violationsOf(files);
    expect(found.map(({ at }) => at)).toEqual([
      'packages/newthing/package.json:2 layer-unknown',
      'packages/spec/src/index.ts:4 dep-undeclared',
      'packages/spec/src/index.ts:4 layer-upward',
      'packages/telemetry/package.json:13 layer-sibling',
      'packages/telemetry/package.json:14 dep-unused',
      'packages/telemetry/README.md:3 readme-job',
      'packages/telemetry/src/index.ts:2 layer-sibling',
      'packages/telemetry/src/index.ts:4 dep-undeclared',
      'packages/tools/catalog-info.yaml:5 catalog-yaml',
      'packages/tools/README.md:13 error-code-unknown',
      'packages/tools/src/errors.ts:3 error-code-unthrown',
      'packages/tools/src/errors.ts:4 error-code-unlisted',
    ]);
    const message = (at: string) => found.find((violation) => violation.at === at)?.message ?? '';
    expect(message('packages/spec/src/index.ts:4 layer-upward')).toMatch(
      /@charter\/tools \(layer 1.*higher layer than @charter\/spec \(layer 0/,
    );
    expect(message('packages/telemetry/src/index.ts:2 layer-sibling')).toContain('a sibling in its own layer');
    expect(message('packages/telemetry/src/index.ts:4 dep-undeclared')).toContain(
      'imports left-pad, which packages/telemetry/package.json does not declare',
    );
    expect(message('packages/telemetry/package.json:14 dep-unused')).toContain('lodash is never imported');
    expect(message('packages/newthing/package.json:2 layer-unknown')).toContain('place it in scripts/conventions/layers.json');
    expect(message('packages/tools/src/errors.ts:3 error-code-unthrown')).toContain(
      'TOOL_UNTHROWN (ToolErrorCode.Unthrown), listed at packages/tools/README.md:12',
    );
  });

  it('holds dependency kinds to what src does with them', async () => {
    const files = cleanRepository();
    files['packages/tools/package.json'] = manifest('@charter/tools', {
      dependencies: { '@charter/spec': '0.1.0', semver: '^7.7.3', 'js-yaml': '^4.1.0', typed: '1.0.0', '@types/ms': '1.0.0' },
      peerDependencies: { mcp: '^1.0.0', unused: '^1.0.0' },
      peerDependenciesMeta: { mcp: { optional: true } },
      devDependencies: { vitest: '4.1.12', dev: '1.0.0' },
    });
    files['packages/tools/src/index.ts'] = [
      "import { Id } from '@charter/spec';",
      "import type { Typed } from 'typed';", // types used inside only: not a run-time dependency
      "import type { Api } from 'js-yaml';", // types of an exported signature: the .d.ts needs it
      "import { createRequire } from 'node:module';",
      "import { client } from './client.js';",
      "import { helper } from 'dev';", // a devDependency loaded at run time
      'const require = createRequire(import.meta.url);',
      'const load = (path: string): unknown => require(path);',
      "export const valid = () => load('semver/functions/valid.js');", // loaded through a helper
      'export function parse(text: string): Api { const t: Typed | undefined = undefined; return [text, t, Id, client, helper] as unknown as Api; }',
      '',
    ].join('\n');
    files['packages/tools/src/client.ts'] = "import { Client } from 'mcp';\nexport const client = Client;\n";
    files['packages/tools/src/lazy.ts'] = "export const ms = async (): Promise<typeof import('ms')> => import('ms');\n";
    const found = (await violationsOf(files)).map(({ at }) => at);
    expect(found).toEqual([
      'packages/tools/package.json:16 dep-type-only',
      'packages/tools/package.json:21 dep-unused',
      'packages/tools/src/client.ts:1 dep-optional-eager',
      'packages/tools/src/index.ts:6 dep-undeclared',
      'packages/tools/src/lazy.ts:1 dep-undeclared',
    ]);
  });

  it('lets test-only files use devDependencies and reach their own layer, never a higher one', async () => {
    const files = cleanRepository();
    files['packages/telemetry/package.json'] = manifest('@charter/telemetry', { devDependencies: { '@charter/tools': '0.1.0' } });
    files['packages/telemetry/README.md'] = readme('@charter/telemetry');
    files['packages/telemetry/src/index.ts'] = 'export const t = 1;\n';
    files['packages/telemetry/src/index.test.ts'] =
      "import { tool } from '@charter/tools';\nimport { it } from 'vitest';\nit('t', () => void tool);\n";
    files['packages/spec/src/__fixtures__/up.ts'] = "import { tool } from '@charter/tools';\nexport const up = tool;\n";
    expect((await violationsOf(files)).map(({ at }) => at)).toEqual([
      'packages/spec/src/__fixtures__/up.ts:1 dep-undeclared',
      'packages/spec/src/__fixtures__/up.ts:1 layer-upward',
    ]);
  });
});

describe('readImports', () => {
  it('tells run-time imports from type-only ones, with their lines, and ignores comments and strings', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-imports-'));
    const file = join(dir, 'x.ts');
    writeFileSync(
      file,
      [
        "import a from 'a';",
        "import type { B } from 'b';",
        "import { type C } from 'c';", // the statement stays under verbatimModuleSyntax: run time
        "export * from 'd';",
        "export type { E } from 'e';",
        "const f = await import('f');",
        "type G = typeof import('g');",
        "// import 'h';",
        'const text = "import \'i\'";',
        'import {',
        '  J,',
        "} from 'j';",
        'export { a, f, text, J };',
        'export type { B, G };',
      ].join('\n'),
    );
    expect(readImports(file).map(({ specifier, line, typeOnly, how }) => `${specifier}:${line}:${how}:${typeOnly}`)).toEqual([
      'a:1:static:false',
      'b:2:type:true',
      'c:3:static:false',
      'd:4:static:false',
      'e:5:type:true',
      'f:6:dynamic:false',
      'g:7:type:true',
      'j:12:static:false',
    ]);
  });
});

describe('readmeViolations', () => {
  it('wants a title, a prose paragraph of at most ten lines, and an example', () => {
    const example = ['', '```ts', 'x();', '```'];
    expect(readmeViolations('R.md', ['# x', '', 'It does one job.', ...example])).toEqual([]);
    expect(
      readmeViolations('R.md', ['# x', '', ...Array.from({ length: 11 }, () => 'line'), ...example]).map((v) => `${v.line} ${v.rule}`),
    ).toEqual(['3 readme-job']);
    expect(readmeViolations('R.md', ['# x', '', '- a list', ...example]).map((v) => `${v.line} ${v.rule}`)).toEqual(['3 readme-job']);
    expect(readmeViolations('R.md', ['x', '', 'text', ...example]).map((v) => `${v.line} ${v.rule}`)).toEqual(['1 readme-job']);
    expect(readmeViolations('R.md', ['# x', '', 'text', '', '```ts', '```']).map((v) => `${v.line} ${v.rule}`)).toEqual([
      '1 readme-example',
    ]);
  });
});

describe('the repository', () => {
  it('docs/architecture shows the layer table of scripts/conventions/layers.json', () => {
    const rows = readFileSync(join(repo, 'docs', 'architecture', 'index.md'), 'utf8')
      .split('\n')
      .filter((line) => /^\| \d \|/.test(line))
      .map((line) => {
        const [, layer = '', name = '', members = ''] = line.split('|').map((cell) => cell.trim());
        return {
          layer: Number(layer),
          name,
          members: members.split(',').map((member) =>
            member
              .replaceAll('`', '')
              .replace(/ \(.{1,80}\)$/, '')
              .trim(),
          ),
        };
      });
    expect(rows).toEqual(
      readLayers().map(({ layer, name, members }: { layer: number; name: string; members: string[] }) => ({ layer, name, members })),
    );
  });

  it('follows its conventions', async () => {
    const { violations, packages } = await checkConventions(repo);
    expect(violations.map(formatViolation)).toEqual([]);
    expect(packages).toBeGreaterThanOrEqual(8);
  });

  it('node scripts/conventions.mjs exits 0 here and 1 with file:line lines on a violation', () => {
    const ok = spawnSync(process.execPath, [join(repo, 'scripts', 'conventions.mjs')], { encoding: 'utf8' });
    expect(ok.stdout).toMatch(/^conventions: \d+ packages follow the conventions/);
    expect(ok.status).toBe(0);
    const files = cleanRepository();
    files['packages/spec/README.md'] = '# @charter/spec\n';
    const root = tree(files);
    const bad = spawnSync(process.execPath, [join(repo, 'scripts', 'conventions.mjs'), root], { encoding: 'utf8' });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toContain('packages/spec/README.md:1: the README has no example');
    expect(bad.stderr).toContain('packages/spec/README.md:1: the first paragraph after the title must say');
    expect(readFileSync(join(root, 'packages/spec/README.md'), 'utf8')).toBe('# @charter/spec\n');
  });
});
