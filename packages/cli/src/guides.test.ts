// The generated pages of docs/guides stay equal to what their sources generate (the playbooks' front
// matter, the readiness rule registry, the lint rules and their docs), and the site links every lint rule doc.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rules } from '@charter/eslint-plugin';
import { describe, expect, it } from 'vitest';
import {
  ANTI_PATTERNS_PAGE,
  FAILURE_MODES_PAGE,
  loadPlaybooks,
  REPO_ROOT,
  renderAntiPatterns,
  renderFailureModes,
} from '../scripts/guides.js';

const HINT = 'run `npm run generate:guides -w @charter/cli` after changing a playbook, a readiness rule or a lint rule';

describe('docs/guides generated pages', () => {
  it(`failure-modes.md is generated from the playbooks and the rule registry (${HINT})`, () => {
    expect(readFileSync(FAILURE_MODES_PAGE, 'utf8')).toBe(renderFailureModes());
  });

  it(`anti-patterns.md is generated from the lint rules and their docs (${HINT})`, () => {
    expect(readFileSync(ANTI_PATTERNS_PAGE, 'utf8')).toBe(renderAntiPatterns());
  });

  it('routes each escalation reason to the playbooks that list it, and marks a reason none lists', () => {
    const playbooks = loadPlaybooks();
    const page = renderFailureModes(playbooks);
    expect(page).toMatch(/\| `budget_time` \| \[tool-timeouts\]\(\.\.\/playbooks\/tool-timeouts\.md\) \|/);
    const without = renderFailureModes(playbooks.filter((playbook) => playbook.metadata.name !== 'tool-timeouts'));
    expect(without).toContain('| `budget_time` | **none** |');
    expect(without).not.toContain('CharterToolTimeouts');
  });

  it('has one anti-pattern per lint rule, each linking its rule doc, which the site builds (docs/lint-rules, mkdocs nav)', () => {
    const page = renderAntiPatterns();
    const mkdocs = readFileSync(join(REPO_ROOT, 'mkdocs.yml'), 'utf8');
    const names = Object.keys(rules).sort();
    expect(readdirSync(join(REPO_ROOT, 'docs', 'lint-rules')).sort()).toEqual(names.map((name) => `${name}.md`));
    for (const name of names) {
      expect(page).toContain(`[\`@charter/${name}\`](../lint-rules/${name}.md)`);
      expect(existsSync(join(REPO_ROOT, 'docs', 'lint-rules', `${name}.md`)), name).toBe(true);
      expect(mkdocs, `mkdocs.yml nav lists lint-rules/${name}.md`).toContain(`- lint-rules/${name}.md`);
    }
    expect(page.match(/^The anti-pattern:\n\n```ts\n/gm)?.length).toBe(names.length);
  });
});
