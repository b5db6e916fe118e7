import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateReadiness } from './evaluate.js';
import { lintCacheKey, sourceFiles } from './lint.js';
import { sealKey, sealOf } from './seal.js';
import {
  COMMIT,
  edit,
  evaluateOptions,
  lineOf,
  makeFixture,
  NOW,
  passingEvidence,
  removeFixtures,
  writeEvidence,
} from './__fixtures__/harness.js';

afterAll(() => {
  removeFixtures();
});

const EVIDENCE_RULES = [
  'REL-6',
  'REL-7',
  'REL-8',
  'REL-9',
  'REL-10',
  'OBS-1',
  'OBS-3',
  'OBS-5',
  'OBS-6',
  'FAL-5',
  'FAL-6',
  'FAL-7',
  'SEC-5',
  'SEC-6',
  'SEC-9',
  'PERF-1',
  'PERF-2',
  'PERF-4',
];

describe('evidence freshness', () => {
  it('evidence of another commit is stale: every rule that needs it reports missing-evidence, and the agent is held', async () => {
    const dir = makeFixture('stale-commit');
    writeEvidence(dir, passingEvidence(), { commit: 'fedcba9876543210fedcba9876543210fedcba98' });
    const report = await evaluateReadiness(evaluateOptions(dir));
    expect(report.ready).toBe(false);
    expect(report.evidence.every((e) => e.state === 'stale')).toBe(true);
    expect(report.evidence[0]?.reason).toMatch(/produced at commit fedcba987654, the checkout is at 0123456789ab/);
    const missing = report.results.filter((r) => r.status === 'missing-evidence').map((r) => r.ruleId);
    expect(missing.sort()).toEqual([...EVIDENCE_RULES].sort());
    expect(report.results.filter((r) => r.status === 'fail')).toEqual([]);
  }, 120_000);

  it('an abbreviated commit id matches; a manifest edited after the evidence makes it stale', async () => {
    const dir = makeFixture('stale-digest');
    writeEvidence(dir, passingEvidence(), { commit: COMMIT.slice(0, 12) });
    expect((await evaluateReadiness(evaluateOptions(dir))).ready).toBe(true);
    edit(dir, 'policy.yaml', 'threshold: 0.6', 'threshold: 0.5');
    const report = await evaluateReadiness(evaluateOptions(dir));
    expect(report.ready).toBe(false);
    expect(report.evidence.find((e) => e.kind === 'bench')).toMatchObject({
      state: 'stale',
      reason: expect.stringContaining('digest differs') as unknown,
    });
  }, 120_000);

  it('reports missing and invalid evidence as such, never as a pass', async () => {
    const dir = makeFixture('missing');
    const out = writeEvidence(dir, passingEvidence(), { omit: ['bench'] });
    writeFileSync(join(out, 'soak.json'), '{"format":"charter.evidence","v":1,"kind":"soak"}');
    const report = await evaluateReadiness(evaluateOptions(dir));
    expect(report.evidence.find((e) => e.kind === 'bench')?.state).toBe('missing');
    expect(report.evidence.find((e) => e.kind === 'soak')).toMatchObject({ state: 'invalid' });
    const byId = new Map(report.results.map((r) => [r.ruleId, r]));
    for (const id of ['PERF-1', 'PERF-2', 'PERF-4', 'REL-10', 'OBS-3', 'FAL-7']) expect(byId.get(id)?.status, id).toBe('missing-evidence');
    expect(byId.get('PERF-1')?.message).toMatch(/bench evidence missing/);
    expect(report.ready).toBe(false);
  }, 120_000);
});

describe('waivers', () => {
  const failingSuite = () => {
    const data = passingEvidence();
    data['scenario-suite'].passed = 23;
    const first = data['scenario-suite'].scenarios[0];
    if (first) data['scenario-suite'].scenarios[0] = { ...first, passed: false };
    return data;
  };
  const waiver = (expires: string) =>
    `  waivers:\n    - rule: REL-7\n      reason: One flaky scenario is being rewritten this sprint.\n      approver: head-of-support@acme.example\n      expires: ${expires}\n`;

  it('an active waiver in the manifest lets a failing blocker through, shown as waived', async () => {
    const dir = makeFixture('waiver-active');
    edit(dir, 'agent.yaml', '  data:\n', `${waiver('2026-06-30')}  data:\n`);
    writeEvidence(dir, failingSuite());
    const report = await evaluateReadiness(evaluateOptions(dir));
    const rel7 = report.results.find((r) => r.ruleId === 'REL-7');
    expect(rel7).toMatchObject({
      status: 'waived',
      waivedStatus: 'fail',
      waiver: { state: 'active', approver: 'head-of-support@acme.example' },
    });
    expect(report.waivers).toHaveLength(1);
    expect(report.waivers[0]?.location.line).toBe(lineOf(dir, 'agent.yaml', '- rule: REL-7'));
    expect(report.ready).toBe(true);
  }, 120_000);

  it('an expired waiver fails: the rule is not waived and the agent is held', async () => {
    const dir = makeFixture('waiver-expired');
    edit(dir, 'agent.yaml', '  data:\n', `${waiver('2026-05-31')}  data:\n`);
    writeEvidence(dir, failingSuite());
    const report = await evaluateReadiness(evaluateOptions(dir));
    expect(report.results.find((r) => r.ruleId === 'REL-7')).toMatchObject({ status: 'fail', waiver: { state: 'expired' } });
    expect(report.ready).toBe(false);
    // Expired even when its rule passes now: the waiver itself must be renewed or removed.
    const passing = makeFixture('waiver-expired-pass');
    writeFileSync(
      join(passing, 'readiness-waivers.yaml'),
      'waivers:\n  - rule: REL-7\n    reason: One flaky scenario is being rewritten this sprint.\n    approver: lead\n    expires: 2026-01-31\n',
    );
    writeEvidence(passing, passingEvidence());
    const again = await evaluateReadiness(evaluateOptions(passing));
    expect(again.results.every((r) => r.status === 'pass')).toBe(true);
    expect(again.waivers[0]).toMatchObject({ rule: 'REL-7', state: 'expired', location: { file: 'readiness-waivers.yaml', line: 2 } });
    expect(again.ready).toBe(false);
  }, 120_000);

  it('a waiver naming an unknown rule is an error with file:line:column', async () => {
    const dir = makeFixture('waiver-unknown');
    writeFileSync(
      join(dir, 'readiness-waivers.yaml'),
      'waivers:\n  - rule: REL-99\n    reason: There is no such rule at all.\n    approver: lead\n    expires: 2026-12-31\n',
    );
    writeEvidence(dir, passingEvidence());
    await expect(evaluateReadiness(evaluateOptions(dir))).rejects.toMatchObject({
      code: 'READINESS_UNKNOWN_WAIVER',
      message: expect.stringMatching(/^readiness-waivers\.yaml:2:11 waiver names rule "REL-99"/) as unknown,
    });
  });

  it('a malformed waiver is an error naming the field', async () => {
    const dir = makeFixture('waiver-bad');
    edit(
      dir,
      'agent.yaml',
      '  data:\n',
      '  waivers:\n    - rule: REL-7\n      reason: Short.\n      approver: lead\n      expires: 2026-12-31\n  data:\n',
    );
    writeEvidence(dir, passingEvidence());
    await expect(evaluateReadiness(evaluateOptions(dir))).rejects.toMatchObject({
      code: 'READINESS_BAD_WAIVERS',
      message: expect.stringContaining('waiver 1 is invalid at reason') as unknown,
    });
  });
});

describe('inputs the gate cannot judge', () => {
  it('no manifest → READINESS_NO_MANIFEST', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'charter-readiness-'));
    await expect(evaluateReadiness({ dir: empty, commit: COMMIT })).rejects.toMatchObject({ code: 'READINESS_NO_MANIFEST' });
    await expect(evaluateReadiness({ dir: join(empty, 'nope'), commit: COMMIT })).rejects.toMatchObject({ code: 'READINESS_NO_MANIFEST' });
  });

  it('outside a git checkout without a commit → READINESS_NO_COMMIT', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-readiness-'));
    writeFileSync(join(dir, 'agent.yaml'), 'apiVersion: charter.dev/v1alpha1\nkind: Agent\n');
    await expect(evaluateReadiness({ dir, lint: false, now: NOW })).rejects.toMatchObject({ code: 'READINESS_NO_COMMIT' });
  });

  it('an invalid manifest is judged on what it says and held for its schema errors', async () => {
    const dir = makeFixture('invalid');
    edit(dir, 'agent.yaml', 'maxTokens: 24000', 'maxTokens: many');
    writeEvidence(dir, passingEvidence());
    const report = await evaluateReadiness(evaluateOptions(dir));
    expect(report.issues.some((i) => i.severity === 'error' && i.line === lineOf(dir, 'agent.yaml', 'maxTokens: many'))).toBe(true);
    expect(report.results.find((r) => r.ruleId === 'REL-2')).toMatchObject({
      status: 'fail',
      message: 'spec.budgets.maxTokens is not set',
    });
    expect(report.ready).toBe(false);
  }, 120_000);
});

describe('lint cache', () => {
  it('an unchanged tree is read from the cache; a changed source is linted again', async () => {
    const dir = makeFixture('cache');
    writeEvidence(dir, passingEvidence());
    const options = { ...evaluateOptions(dir), lint: { cacheDir: join(dir, '.charter', 'cache') } };
    const first = await evaluateReadiness(options);
    expect(first.lint).toMatchObject({ ran: true, cached: false });
    const second = await evaluateReadiness(options);
    expect(second.lint).toMatchObject({ ran: true, cached: true, files: 1 });
    edit(dir, 'src/tools.ts', "description: 'Refund an order.'", "description: 'Refund an order in USD.'");
    const third = await evaluateReadiness(options);
    expect(third.lint.cached).toBe(false);
  }, 180_000);

  it('a violation planted in a copy of the sources is found by the typed lint, and the cache it invalidates serves it next', async () => {
    const dir = makeFixture('cache-planted');
    writeEvidence(dir, passingEvidence());
    const options = { ...evaluateOptions(dir), lint: { cacheDir: join(dir, '.charter', 'cache') } };
    const clean = await evaluateReadiness(options);
    expect(clean.lint).toMatchObject({ ran: true, cache: 'miss', problems: 0 });
    expect(clean.results.find((r) => r.ruleId === 'REL-3')?.status).toBe('pass');
    expect((await evaluateReadiness(options)).lint).toMatchObject({ cache: 'hit', problems: 0 });

    // The planted violation: lookup_order loses its timeout.
    edit(
      dir,
      'src/tools.ts',
      '  timeoutMs: 5000,\n  retry: { attempts: 2 },\n  execute: ({ orderId }) => ({ status',
      '  retry: { attempts: 2 },\n  execute: ({ orderId }) => ({ status',
    );
    const line = lineOf(dir, 'src/tools.ts', 'export const lookupOrder = defineTool({');
    const planted = await evaluateReadiness(options);
    expect(planted.lint).toMatchObject({ cache: 'miss', problems: 1 });
    const failed = planted.results.find((r) => r.ruleId === 'REL-3');
    expect(failed).toMatchObject({ status: 'fail', location: { file: 'src/tools.ts', line } });
    expect(planted.ready).toBe(false);

    const again = await evaluateReadiness(options);
    expect(again.lint).toMatchObject({ cache: 'hit', problems: 1 });
    expect(again.results.find((r) => r.ruleId === 'REL-3')).toEqual(failed);
    const uncached = await evaluateReadiness({ ...options, lint: { cacheDir: false } });
    expect(uncached.lint).toMatchObject({ cache: 'off', problems: 1 });
    expect(uncached.results.find((r) => r.ruleId === 'REL-3')).toEqual(failed);
  }, 240_000);

  it("an entry planted in the agent's cache folder does not verify under the seal and is a miss: the violation is still found", async () => {
    const dir = makeFixture('cache-forged');
    writeEvidence(dir, passingEvidence());
    const keys = mkdtempSync(join(tmpdir(), 'charter-seal-'));
    const cacheDir = join(dir, '.charter', 'cache');
    const options = { ...evaluateOptions(dir), lint: { cacheDir, sealKeyFile: join(keys, 'here.key') } };
    edit(
      dir,
      'src/tools.ts',
      '  timeoutMs: 5000,\n  retry: { attempts: 2 },\n  execute: ({ orderId }) => ({ status',
      '  retry: { attempts: 2 },\n  execute: ({ orderId }) => ({ status',
    );
    expect((await evaluateReadiness(options)).lint).toMatchObject({ cache: 'miss', problems: 1 });
    const file = join(cacheDir, 'lint.json');
    const stored = readFileSync(file, 'utf8');
    const body = stored.slice(stored.indexOf('\n') + 1);
    // The entry a change under review would plant: this tree's key (computable by anyone), no findings.
    const forged = JSON.stringify({ ...(JSON.parse(body) as object), findings: [] });
    const elsewhere = sealKey(join(keys, 'elsewhere.key'));
    const plants: [string, string][] = [
      ['sealed on another machine', `${sealOf(elsewhere, forged)}\n${forged}`],
      ['with a plain sha256 digest', `${createHash('sha256').update(forged).digest('hex')}\n${forged}`],
      ['without a seal', forged],
    ];
    for (const [name, text] of plants) {
      writeFileSync(file, text);
      const report = await evaluateReadiness(options);
      expect(report.lint, name).toMatchObject({ cache: 'miss', problems: 1 });
      expect(report.ready, name).toBe(false);
    }
    // The same forged entry sealed under this machine's key (which never leaves the user's cache folder) is served:
    // the seal, not the format, is what refused the plants.
    writeFileSync(file, `${sealOf(sealKey(join(keys, 'here.key')), forged)}\n${forged}`);
    expect((await evaluateReadiness(options)).lint).toMatchObject({ cache: 'hit', problems: 0 });
    rmSync(keys, { recursive: true, force: true });
  }, 240_000);

  it('the cache key covers the tsconfig files extended, the manifest tools and the sources, nothing else of the manifest', () => {
    const dir = makeFixture('cache-key');
    writeFileSync(join(dir, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { strict: true } }));
    edit(dir, 'tsconfig.json', '{', '{\n  "extends": "./tsconfig.base.json",');
    const files = sourceFiles(dir, ['src']);
    const manifest = join(dir, 'agent.yaml');
    const key = (): string => lintCacheKey(dir, files, manifest);
    const first = key();
    expect(key()).toBe(first);
    edit(dir, 'agent.yaml', 'successRate: 0.97', 'successRate: 0.96');
    expect(key()).toBe(first);
    writeFileSync(join(dir, 'tsconfig.base.json'), JSON.stringify({ compilerOptions: { strict: false } }));
    const second = key();
    expect(second).not.toBe(first);
    edit(dir, 'agent.yaml', 'name: lookup_order', 'name: lookup_orders');
    expect(key()).not.toBe(second);
  });

  it('no sources: the code rules report missing-evidence', async () => {
    const dir = makeFixture('no-sources');
    rmSync(join(dir, 'src'), { recursive: true });
    writeEvidence(dir, passingEvidence());
    const report = await evaluateReadiness(evaluateOptions(dir));
    const missing = report.results.filter((r) => r.status === 'missing-evidence').map((r) => r.ruleId);
    expect(missing.sort()).toEqual(['REL-3', 'REL-4', 'SEC-2', 'SEC-7']);
    expect(report.results.find((r) => r.ruleId === 'REL-3')?.message).toMatch(/no TypeScript sources under src\//);
  });
});
