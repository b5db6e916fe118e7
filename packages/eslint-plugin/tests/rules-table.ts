import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import plugin, { rules } from '../src/index.js';

export const RULES_TABLE = join(import.meta.dirname, '..', 'docs', 'rules.md');

function level(entry: unknown): string {
  const value = Array.isArray(entry) ? (entry[0] as unknown) : entry;
  const options = Array.isArray(entry) && entry.length > 1 ? ' (options)' : '';
  return typeof value === 'string' || typeof value === 'number' ? `${String(value)}${options}` : '';
}

/** The rules table of docs/rules.md, generated from the rules' meta and the configs. */
export function renderRulesTable(): string {
  const rows = Object.entries(rules)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, rule]) => {
      const id = `@charter/${name}`;
      const types = rule.meta.docs?.requiresTypeChecking === true ? 'yes' : 'no';
      return `| [\`${id}\`](rules/${name}.md) | ${rule.meta.docs?.description ?? ''} | ${level(plugin.configs.recommended.rules[id])} | ${level(plugin.configs.strict.rules[id])} | ${types} |`;
    });
  return [
    '# @charter/eslint-plugin rules',
    '',
    "<!-- Generated from the rules' meta by tests/rules-table.ts: run `UPDATE_DOCS=1 npx vitest run --project eslint-plugin tests/meta.test.ts`. -->",
    '',
    '| rule | description | recommended | strict | type information |',
    '|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}

export function readRulesTable(): string {
  return readFileSync(RULES_TABLE, 'utf8');
}

export function writeRulesTable(): void {
  writeFileSync(RULES_TABLE, renderRulesTable());
}
