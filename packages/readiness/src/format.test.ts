import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateReadiness } from './evaluate.js';
import { formatReport, renderJunit, renderMarkdown, renderSarif, renderTerminal } from './format/index.js';
import {
  edit,
  evaluateOptions,
  lineOf,
  makeFixture,
  passingEvidence,
  REPO,
  removeFixtures,
  writeEvidence,
} from './__fixtures__/harness.js';
import type { Report } from './types.js';

let report: Report;
let dir: string;

// One report with a bit of everything: a manifest blocker (PERF-3), an evidence blocker (SEC-6), a
// warning (BIZ-5: an ROI hypothesis without figures) and a waived blocker (REL-7).
beforeAll(async () => {
  dir = makeFixture('formats');
  edit(dir, 'agent.yaml', 'maxCostUsd: 0.25', 'maxCostUsd: 0.6');
  edit(
    dir,
    'agent.yaml',
    'hypothesis: Answering routine questions saves 1.5 FTE, about 90,000 USD a year, at under 0.05 USD a question.',
    'hypothesis: Answering routine questions saves time and money for the support team.',
  );
  edit(
    dir,
    'agent.yaml',
    '  data:\n',
    '  waivers:\n    - rule: REL-7\n      reason: One flaky scenario & <its> "fix" is under review.\n      approver: head-of-support@acme.example\n      expires: 2026-06-30\n  data:\n',
  );
  const evidence = passingEvidence();
  evidence['guardrail-eval'].secrets = { cases: 3, caught: 2 };
  evidence['scenario-suite'].passed = 23;
  writeEvidence(dir, evidence);
  report = await evaluateReadiness(evaluateOptions(dir));
}, 180_000);

afterAll(() => {
  removeFixtures();
});

describe('the report', () => {
  it('holds the agent for the two blockers, shows the warning and the waiver', () => {
    expect(report.ready).toBe(false);
    const status = Object.fromEntries(report.results.filter((r) => r.status !== 'pass').map((r) => [r.ruleId, r.status]));
    expect(status).toEqual({ 'PERF-3': 'fail', 'SEC-6': 'fail', 'BIZ-5': 'fail', 'REL-7': 'waived' });
    expect(report.dimensions.find((d) => d.id === 'performance')).toMatchObject({ ready: false, failed: 1, passed: 3, total: 4 });
    expect(report.dimensions.find((d) => d.id === 'reliability')).toMatchObject({ ready: true, waived: 1 });
  });
});

describe('text', () => {
  it('lists blockers first with file:line:column and remediation, then the scorecard', () => {
    const text = renderTerminal(report, { cwd: dir });
    const blockers = text.indexOf('Blockers (2)');
    expect(blockers).toBeGreaterThan(0);
    expect(blockers).toBeLessThan(text.indexOf('Scorecard'));
    expect(text).toContain(`agent.yaml:${lineOf(dir, 'agent.yaml', 'maxCostUsd: 0.6')}:`);
    expect(text).toContain('→ Lower spec.budgets.maxCostUsd');
    expect(text).toContain('Warnings (1)');
    expect(text).toMatch(/Waivers \(1\)\n {2}~ REL-7 until 2026-06-30, approved by head-of-support@acme\.example/);
    expect(text).toContain('held in staging');
    expect(text).not.toContain('\u001b[');
    expect(renderTerminal(report, { color: true })).toContain('\u001b[31m');
  });
});

describe('SARIF 2.1.0', () => {
  const schema = JSON.parse(
    readFileSync(join(import.meta.dirname, '__fixtures__', 'sarif', 'sarif-schema-2.1.0-rtm.5.json'), 'utf8'),
  ) as object;
  // (CommonJS modules: `.default` is the class under both Node's and Vite's interop.)
  // The schema's language pattern (`^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$`) is not valid with the u flag.
  const ajv = new Ajv04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  addFormats.default(ajv);
  const validate = ajv.compile(schema);

  it('validates against the SARIF 2.1.0 JSON Schema', () => {
    const log = JSON.parse(renderSarif(report, { repoRoot: REPO, version: '0.1.0' })) as unknown;
    const ok = validate(log);
    expect(validate.errors ?? [], JSON.stringify(validate.errors?.slice(0, 5))).toEqual([]);
    expect(ok).toBe(true);
  });

  it('the validation is real: a broken log fails it', () => {
    const log = JSON.parse(renderSarif(report)) as { runs: { results: { level: string }[] }[] };
    const first = log.runs[0]?.results[0];
    if (first) first.level = 'catastrophic';
    expect(validate(log)).toBe(false);
  });

  it('annotates the manifest line of a manifest rule, relative to the repository root; waived results carry a suppression', () => {
    const log = JSON.parse(renderSarif(report, { repoRoot: REPO })) as {
      runs: {
        tool: { driver: { rules: { id: string }[] } };
        results: {
          ruleId: string;
          level: string;
          locations?: { physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } } }[];
          suppressions?: { kind: string; status: string; justification: string }[];
        }[];
      }[];
    };
    const run = log.runs[0];
    expect(run?.tool.driver.rules).toHaveLength(41);
    const perf3 = run?.results.find((r) => r.ruleId === 'PERF-3');
    expect(perf3?.level).toBe('error');
    const location = perf3?.locations?.[0]?.physicalLocation;
    expect(location?.artifactLocation.uri).toMatch(/^packages\/readiness\/\.charter\/fixtures\/formats-\d+-[0-9a-f]{8}-\d+\/agent\.yaml$/);
    expect(location?.region.startLine).toBe(lineOf(dir, 'agent.yaml', 'maxCostUsd: 0.6'));
    expect(run?.results.find((r) => r.ruleId === 'BIZ-5')?.level).toBe('warning');
    expect(run?.results.find((r) => r.ruleId === 'REL-7')?.suppressions?.[0]).toMatchObject({ kind: 'external', status: 'accepted' });
    expect(run?.results.map((r) => r.ruleId).sort()).toEqual(['BIZ-5', 'PERF-3', 'REL-7', 'SEC-6']);
  });
});

describe('JUnit', () => {
  it('is well-formed XML: one suite per dimension plus waivers, failures for blockers, skipped for the warning and the waiver', () => {
    const xml = renderJunit(report, { cwd: dir });
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- fast-xml-parser 5 still ships its validator (moving to fast-xml-validator)
    expect(XMLValidator.validate(xml)).toBe(true);
    const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml) as {
      testsuites: { tests: string; failures: string; skipped: string; testsuite: { name: string; testcase: unknown }[] };
    };
    const suites = parsed.testsuites;
    expect(suites.testsuite.map((s) => s.name)).toEqual([
      'Business value',
      'Reliability',
      'Observability',
      'Fallback and escalation',
      'Security',
      'Performance',
      'Waivers',
    ]);
    expect(suites).toMatchObject({ tests: '42', failures: '2', skipped: '2' });
    expect(xml).toContain('&lt;its&gt; &quot;fix&quot;');
    expect(xml).toMatch(
      /<testcase classname="charter\.readiness\.performance" name="PERF-3 [^"]+" file="agent\.yaml" line="\d+" time="0">\n\s+<failure type="fail"/,
    );
  });
});

describe('Markdown', () => {
  it('reads as a pull-request comment: verdict, dimension table, blockers with where and what to do, waivers, evidence', () => {
    const md = renderMarkdown(report, { cwd: dir });
    expect(md.startsWith('## ⛔ fixture-desk is held in staging')).toBe(true);
    expect(md).toContain('| Performance | 3/4 | 75 % | ⛔ 1 failing |');
    expect(md).toMatch(/\| \*\*PERF-3\*\* A single run cannot cost much more than the target\. \| fail \| `agent\.yaml:\d+:\d+` \|/);
    expect(md).toContain('| REL-7 | active | 2026-06-30 | head-of-support@acme.example |');
    expect(md).toMatch(/\| kill-switch \| fresh \| \d+ \w+ \| +\|/);
  });
});

describe('every format', () => {
  it.each(['text', 'json', 'sarif', 'markdown', 'junit', 'html'] as const)('%s shows the waived rule and the waiver', (format) => {
    const out = formatReport(report, format, { cwd: dir, repoRoot: REPO });
    expect(out).toContain('REL-7');
    expect(out).toContain('head-of-support@acme.example');
    expect(out.toLowerCase()).toContain('waived');
  });
});
