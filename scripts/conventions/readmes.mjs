// Every package README opens with its one job: the title (`# name`), then a paragraph of prose of at
// most ten lines that says what the package is for, and somewhere an example in a fenced code block.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const JOB_MAX_LINES = 10;

// A line that starts something other than prose: heading, fence, table, list, quote, HTML, image, rule.
const NOT_PROSE = /^(?:#|```|~~~|\||[-*+]\s|\d{1,3}[.)]\s|>|<|!\[|---|\*\*\*)/;
const FENCE = /^(?:```|~~~)/;

/**
 * README violations of every workspace.
 * @param {import('./workspace.mjs').Workspace[]} workspaces
 */
export function checkReadmes(workspaces) {
  /** @type {import('./dependencies.mjs').Violation[]} */
  const violations = [];
  for (const workspace of workspaces) {
    const path = join(workspace.dir, 'README.md');
    const file = `${workspace.rel}/README.md`;
    if (!existsSync(path)) {
      violations.push({
        file: `${workspace.rel}/package.json`,
        line: 1,
        rule: 'readme-missing',
        message: `${workspace.name} has no README.md: write its one job, an example, its errors and its benchmark figure`,
      });
      continue;
    }
    const lines = readFileSync(path, 'utf8').split('\n');
    violations.push(...readmeViolations(file, lines));
  }
  return violations;
}

/** Violations of one README given as lines. */
export function readmeViolations(file, lines) {
  const violations = [];
  let index = lines.findIndex((line) => line.trim() !== '');
  if (index === -1 || !/^#\s/.test(lines[index] ?? '')) {
    violations.push({
      file,
      line: Math.max(index, 0) + 1,
      rule: 'readme-job',
      message: 'a README opens with its title (`# <package name>`), then the package’s one job in a paragraph',
    });
  } else {
    const title = index + 1;
    index += 1;
    while (index < lines.length && (lines[index] ?? '').trim() === '') index += 1;
    const start = index;
    while (index < lines.length && (lines[index] ?? '').trim() !== '') index += 1;
    const paragraph = lines.slice(start, index);
    if (paragraph.length === 0 || NOT_PROSE.test((paragraph[0] ?? '').trim())) {
      violations.push({
        file,
        line: paragraph.length === 0 ? title : start + 1,
        rule: 'readme-job',
        message:
          'the first paragraph after the title must say the package’s one job in prose (found no paragraph, or a heading, list, table or code block)',
      });
    } else if (paragraph.length > JOB_MAX_LINES) {
      violations.push({
        file,
        line: start + 1,
        rule: 'readme-job',
        message: `the opening paragraph (its one job) is ${paragraph.length} lines: say the job in at most ${JOB_MAX_LINES} and move the detail to a later paragraph`,
      });
    }
  }
  let example = false;
  for (let at = 0; at < lines.length && !example; at += 1) {
    if (!FENCE.test((lines[at] ?? '').trim())) continue;
    const fence = (lines[at] ?? '').trim().slice(0, 3);
    let end = at + 1;
    while (end < lines.length && !(lines[end] ?? '').trim().startsWith(fence)) end += 1;
    if (lines.slice(at + 1, end).some((line) => line.trim() !== '')) example = true;
    at = end;
  }
  if (!example)
    violations.push({
      file,
      line: 1,
      rule: 'readme-example',
      message: 'the README has no example: add a fenced code block that shows the package in use',
    });
  return violations;
}
