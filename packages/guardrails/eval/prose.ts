// False positives of the injection detector on real prose it was not written against: every paragraph
// (over 40 characters) of the repository's own Markdown files, scanned as a tool result with the
// `recommended` pack (threshold 0.4). The docs talk about agents, tools and prompt injection, so this is a
// hard benign set; the figure moves as the docs change. Usage: tsx --conditions=@charter/source eval/prose.ts
// Ends with one JSON line.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compilePolicy } from '../src/index.js';

const root = join(import.meta.dirname, '..', '..', '..');
const files = execFileSync('git', ['ls-files', '*.md'], { cwd: root, encoding: 'utf8' })
  .split('\n')
  .filter((file) => file.length > 0 && !file.endsWith('CHANGELOG.md') && file !== 'packages/guardrails/README.md');
const engine = compilePolicy({ version: '1.0.0', extends: ['recommended'] });
let paragraphs = 0;
const flagged: string[] = [];
for (const file of files) {
  for (const paragraph of readFileSync(join(root, file), 'utf8').split(/\n\s*\n/)) {
    if (paragraph.trim().length <= 40) continue;
    paragraphs++;
    const decision = engine.evaluate({ hook: 'tool-result', content: paragraph });
    const rules = decision.findings.filter((f) => f.detector === 'injection').map((f) => f.ruleId);
    if (rules.length > 0)
      flagged.push(
        `${file} (${String(decision.score)}: ${[...new Set(rules)].join(', ')}): ${paragraph.replace(/\s+/g, ' ').slice(0, 110)}…`,
      );
  }
}
console.log(
  `${flagged.length} of ${paragraphs} paragraphs in ${files.length} Markdown files flagged as injection (tool-result, threshold 0.4)`,
);
for (const line of flagged) console.log(`  ${line}`);
console.log(
  JSON.stringify({
    proseParagraphs: paragraphs,
    proseFlagged: flagged.length,
    proseFalsePositiveRate: Math.round((flagged.length / Math.max(1, paragraphs)) * 1000) / 1000,
  }),
);
