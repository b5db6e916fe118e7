// The generated pages of docs/guides: failure-modes.md (from the playbooks' front matter and the readiness
// rule registry) and anti-patterns.md (from @charter/eslint-plugin's rules and their docs). The CLI is the
// top layer and may read every package; this is a script of the CLI's package, not part of the shipped CLI.
// `npm run generate:guides -w @charter/cli` writes them; src/guides.test.ts fails when a committed page differs.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { rules as lintRules } from '@charter/eslint-plugin';
import { DIMENSIONS, RULES } from '@charter/readiness';
import { ESCALATION_REASONS, loadPlaybook, type Playbook, playbookRoutes } from '@charter/spec';

export const REPO_ROOT = join(import.meta.dirname, '..', '..', '..');
export const FAILURE_MODES_PAGE = join(REPO_ROOT, 'docs', 'guides', 'failure-modes.md');
export const ANTI_PATTERNS_PAGE = join(REPO_ROOT, 'docs', 'guides', 'anti-patterns.md');
const RULE_DOCS = join(REPO_ROOT, 'packages', 'eslint-plugin', 'docs', 'rules');

const GENERATED = (what: string): string[] => [
  `<!-- Generated from ${what} by packages/cli/scripts/guides.ts: run \`npm run generate:guides -w @charter/cli\`.`,
  '     Do not edit by hand: a test (packages/cli/src/guides.test.ts) fails when the committed page differs. -->',
  '',
];

/** Table cells: no line breaks, no unescaped pipes. */
function cell(text: string): string {
  return text
    .split('\n')
    .map((line) => line.trim())
    .join(' ')
    .replaceAll('|', '\\|');
}

const code = (items: readonly string[]): string => (items.length === 0 ? '-' : items.map((item) => `\`${item}\``).join(', '));
const playbookLink = (id: string): string => `[${id}](../playbooks/${id}.md)`;
const links = (ids: readonly string[] | undefined): string =>
  ids === undefined || ids.length === 0 ? '**none**' : ids.map(playbookLink).join(', ');

/** Every playbook of playbooks/ (README.md aside), loaded and validated; a broken one is an error naming file:line. */
export function loadPlaybooks(root = REPO_ROOT): Playbook[] {
  const dir = join(root, 'playbooks');
  return readdirSync(dir)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .sort()
    .map((file) => {
      const { value, issues } = loadPlaybook({ path: join(dir, file) });
      const error = issues.find((issue) => issue.severity === 'error');
      if (value === undefined || error !== undefined)
        throw new Error(`${error?.file ?? file}:${error?.line ?? 1}: ${error?.message ?? 'not a playbook'}: fix the playbook first`);
      return value;
    });
}

/** docs/guides/failure-modes.md: what triggers each playbook, the triggers nothing covers, and every readiness rule's fix. */
export function renderFailureModes(playbooks: readonly Playbook[] = loadPlaybooks()): string {
  const routes = playbookRoutes(playbooks);
  const out: string[] = [...GENERATED("the playbooks' front matter (playbooks/*.md) and the rule registry of @charter/readiness")];
  out.push(
    '# Failure modes',
    '',
    'Where a signal leads. Each table is generated from the source of truth: the `spec.triggers` of the',
    'playbooks (the same table `charter alerts` writes `runbook_url`s from and the agent names in an',
    "escalation's context packet) and the rule registry of `charter check`. Start from the",
    '[decision tree](where-to-look.md) when you only have a symptom.',
    '',
    '## Escalation reasons',
    '',
    'An escalation names its reason (the `escalation` event, the metric `charter_agent_escalations_total{reason}`);',
    'the context packet names the playbook below. A reason no playbook lists is a gap: write one',
    '([Writing a playbook](writing-a-playbook.md)).',
    '',
    '| Escalation reason | Playbooks |',
    '|---|---|',
    ...ESCALATION_REASONS.map((reason) => `| \`${reason}\` | ${links(routes.escalations.get(reason))} |`),
    '',
    '## Alerts',
    '',
    'Each alert `charter alerts` generates opens one runbook.',
    '',
    '| Alert | Playbook |',
    '|---|---|',
    ...[...routes.alerts].sort(([a], [b]) => a.localeCompare(b)).map(([alert, id]) => `| \`${alert}\` | ${playbookLink(id)} |`),
    '',
    '## Error codes',
    '',
    'Tool and agent error codes (`tool.result` `errorCode`, `run.failed` `errorCode`) that a playbook lists.',
    '',
    '| Error code | Playbooks |',
    '|---|---|',
    ...[...routes.errorCodes].sort(([a], [b]) => a.localeCompare(b)).map(([errorCode, ids]) => `| \`${errorCode}\` | ${links(ids)} |`),
    '',
  );
  if (routes.guardrailRules.size > 0)
    out.push(
      '## Guardrail rules',
      '',
      'Rule ids of `guardrail.decision` events that a playbook lists.',
      '',
      '| Guardrail rule | Playbooks |',
      '|---|---|',
      ...[...routes.guardrailRules].sort(([a], [b]) => a.localeCompare(b)).map(([rule, ids]) => `| \`${rule}\` | ${links(ids)} |`),
      '',
    );
  if (routes.rolloutChecks.size > 0)
    out.push(
      '## Rollout checks',
      '',
      '| Rollout analysis check | Playbooks |',
      '|---|---|',
      ...[...routes.rolloutChecks].sort(([a], [b]) => a.localeCompare(b)).map(([check, ids]) => `| \`${check}\` | ${links(ids)} |`),
      '',
    );
  out.push(
    '## Playbooks',
    '',
    '| Playbook | Severity | Symptom | Triggers | Operator actions |',
    '|---|---|---|---|---|',
    ...playbooks.map((playbook) => {
      const { triggers } = playbook.spec;
      const all = [
        ...triggers.alerts,
        ...triggers.escalations,
        ...triggers.errorCodes,
        ...triggers.guardrailRules,
        ...triggers.rolloutChecks,
      ];
      const actions = [
        ...new Set(playbook.spec.mitigations.flatMap((mitigation) => (mitigation.action === undefined ? [] : [mitigation.action.type]))),
      ];
      return `| ${playbookLink(playbook.metadata.name)} | ${playbook.spec.severity} | ${cell(playbook.metadata.description ?? playbook.metadata.title)} | ${code(all)} | ${code(actions)} |`;
    }),
    '',
    '## Readiness rules',
    '',
    'What `charter check` holds an agent in staging for, and the fix. The full rule, what it reads and when it',
    'passes: [Production readiness](../standards/production-readiness.md).',
    '',
  );
  for (const dimension of DIMENSIONS) {
    out.push(`### ${dimension.title}`, '', '| Rule | Severity | Requirement | Fix |', '|---|---|---|---|');
    for (const rule of RULES.filter((candidate) => candidate.dimension === dimension.id))
      out.push(
        `| [${rule.id}](../standards/production-readiness.md#${rule.id.toLowerCase()}) | ${rule.severity} | ${cell(rule.title)} | ${cell(rule.remediation)} |`,
      );
    out.push('');
  }
  return `${out.join('\n').trimEnd()}\n`;
}

/** The first paragraph of a Markdown section (`## heading`), and the code blocks after `label:` in it. */
function section(doc: string, heading: string): string {
  const start = doc.indexOf(`\n## ${heading}\n`);
  if (start === -1) return '';
  const rest = doc.slice(start + heading.length + 5);
  const end = rest.indexOf('\n## ');
  return end === -1 ? rest : rest.slice(0, end);
}

function firstParagraph(text: string): string {
  const lines = text.trim().split('\n');
  const blank = lines.findIndex((line) => line.trim() === '');
  return (blank === -1 ? lines : lines.slice(0, blank)).map((line) => line.trim()).join(' ');
}

function codeAfter(text: string, label: string): string {
  const at = text.indexOf(`\n${label}:\n`);
  if (at === -1) return '';
  const open = text.indexOf('```', at);
  const close = open === -1 ? -1 : text.indexOf('\n```', open + 3);
  return open === -1 || close === -1 ? '' : text.slice(open, close + 4);
}

/** The readiness rules that judge a lint rule's findings. */
function readinessRulesOf(name: string): string[] {
  return RULES.filter((rule) => rule.lint?.includes(name) === true).map((rule) => rule.id);
}

/** docs/guides/anti-patterns.md: one anti-pattern per rule of @charter/eslint-plugin, from its meta and its doc. */
export function renderAntiPatterns(): string {
  const out: string[] = [...GENERATED("@charter/eslint-plugin's rules (their meta and packages/eslint-plugin/docs/rules/*.md)")];
  out.push(
    '# Anti-patterns',
    '',
    'Code patterns that make an agent unsafe or unoperable, each caught by a rule of `@charter/eslint-plugin`',
    '(with type information: the rule knows which function is called). The `recommended` config turns every',
    "rule on; `charter check` runs it over the agent's sources and the readiness rules named below hold the",
    'agent in staging while it reports. Each entry shows the pattern, why it hurts and the rule that finds it.',
    '',
  );
  for (const [name, rule] of Object.entries(lintRules).sort(([a], [b]) => a.localeCompare(b))) {
    const doc = readFileSync(join(RULE_DOCS, `${name}.md`), 'utf8');
    const details = section(doc, 'Rule details');
    const examples = section(doc, 'Examples');
    const readiness = readinessRulesOf(name);
    out.push(
      `## ${rule.meta.docs?.description ?? name}`,
      '',
      `Rule: [\`@charter/${name}\`](../lint-rules/${name}.md) (${rule.meta.type})${
        readiness.length === 0
          ? ''
          : `; judged by ${readiness.map((id) => `[${id}](../standards/production-readiness.md#${id.toLowerCase()})`).join(', ')}`
      }.`,
      '',
      firstParagraph(details),
      '',
      'The anti-pattern:',
      '',
      codeAfter(examples, 'Incorrect'),
      '',
      'Instead:',
      '',
      codeAfter(examples, 'Correct'),
      '',
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}
