import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import parser from '@typescript-eslint/parser';
import { Linter } from 'eslint';
import { defineConfig } from 'eslint/config';
import { describe, expect, it } from 'vitest';
import plugin, { configs, LintError, LintErrorCode, rules, VERSION } from '../src/index.js';
import { docsUrl } from '../src/util/create-rule.js';
import { fixture } from './rule-tester.js';
import { readRulesTable, renderRulesTable, writeRulesTable } from './rules-table.js';

const ROOT = join(import.meta.dirname, '..');
const ruleFiles = readdirSync(join(ROOT, 'src', 'rules'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3))
  .sort();

describe('every rule', () => {
  it('is exported under its file name', () => {
    expect(Object.keys(rules).sort()).toEqual(ruleFiles);
    expect(ruleFiles).toHaveLength(10);
  });

  for (const name of ruleFiles) {
    describe(name, () => {
      const rule = rules[name as keyof typeof rules];
      it('has a test file and a doc', () => {
        expect(existsSync(join(ROOT, 'tests', 'rules', `${name}.test.ts`))).toBe(true);
        expect(existsSync(join(ROOT, 'docs', 'rules', `${name}.md`))).toBe(true);
      });
      it('has a description starting with Enforce/Require/Disallow that the doc repeats first', () => {
        const description = rule.meta.docs?.description ?? '';
        expect(description).toMatch(/^(?:Enforce|Require|Disallow) /);
        const lines = readFileSync(join(ROOT, 'docs', 'rules', `${name}.md`), 'utf8').split('\n');
        expect(lines[0]).toBe(`# @charter/${name}`);
        expect(lines.slice(1).find((l) => l.trim() !== '')).toBe(description);
      });
      it('links its doc and is in both configs', () => {
        expect(rule.meta.docs?.url).toBe(docsUrl(name));
        expect(configs.recommended.rules[`@charter/${name}`]).toBeDefined();
        expect(configs.strict.rules[`@charter/${name}`]).toBeDefined();
      });
      it('has messages for every message id and a schema', () => {
        expect(Object.keys(rule.meta.messages).length).toBeGreaterThan(0);
        expect(rule.meta.schema).toBeDefined();
      });
    });
  }
});

describe('the plugin', () => {
  it('has flat configs that carry the plugin itself', () => {
    expect(configs.recommended.plugins['@charter']).toBe(plugin);
    expect(configs.strict.plugins['@charter']).toBe(plugin);
    expect(plugin.configs).toBe(configs);
    expect(Object.keys(configs.strict.rules)).toEqual(Object.keys(configs.recommended.rules));
  });

  it('is accepted, with its types, by ESLint defineConfig', () => {
    const config = defineConfig({ files: ['**/*.ts'], ...configs.recommended }, { files: ['**/*.ts'], ...configs.strict });
    expect(config[0]?.plugins?.['@charter']).toBe(plugin);
    expect(config[1]?.rules?.['@charter/require-run-budget']).toEqual(['error', { maxSteps: 25, maxTurns: 25 }]);
  });

  it('reports the version of its package.json', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(VERSION).toBe(pkg.version);
    expect(plugin.meta.version).toBe(pkg.version);
  });

  it('keeps docs/rules.md equal to the table generated from the rules', () => {
    if (process.env.UPDATE_DOCS === '1') writeRulesTable();
    expect(readRulesTable()).toBe(renderRulesTable());
  });
});

describe('errors', () => {
  const linter = new Linter({ configType: 'flat' });

  it('a type-aware rule without type information throws LINT_NO_TYPE_INFORMATION', () => {
    const config = [
      {
        files: ['**/*.ts'],
        languageOptions: { parser },
        plugins: { '@charter': plugin as never },
        rules: { '@charter/require-tool-timeout': 'error' as const },
      },
    ];
    let caught: unknown;
    try {
      linter.verify('export const x = 1;', config, { filename: fixture('file.ts') });
    } catch (error) {
      caught = error;
    }
    expect(LintError.isInstance(caught)).toBe(true);
    expect((caught as LintError).code).toBe(LintErrorCode.NoTypeInformation);
    expect((caught as Error).message).toContain('projectService');
  });

  it('a manifestFile that is a path throws LINT_BAD_OPTION', () => {
    const config = [
      {
        files: ['**/*.ts'],
        languageOptions: { parser, parserOptions: { projectService: true, tsconfigRootDir: join(ROOT, 'tests', 'fixtures') } },
        plugins: { '@charter': plugin as never },
        rules: { '@charter/tools-declared-in-manifest': ['error', { manifestFile: '../agent.yaml' }] as ['error', object] },
      },
    ];
    let caught: unknown;
    try {
      linter.verify("import '@charter/tools';\nexport const x = 1;", config, { filename: fixture('file.ts') });
    } catch (error) {
      caught = error;
    }
    expect(LintError.isInstance(caught)).toBe(true);
    expect((caught as LintError).code).toBe(LintErrorCode.BadOption);
  });

  it('isInstance recognises only LintErrors', () => {
    expect(LintError.isInstance(new LintError(LintErrorCode.ManifestUnreadable, 'x'))).toBe(true);
    expect(LintError.isInstance(new Error('x'))).toBe(false);
    expect(LintError.isInstance(null)).toBe(false);
  });
});
