// `charter check` end to end on the reference agent: its evidence is produced from the checkout by
// its own evidence module (what `npm run evidence -w @charter/reference-agent` runs), then the gate
// judges it. Stale evidence and usage errors go through `main` like every command.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { produceEvidence } from '@charter/reference-agent/evidence';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../main.js';
import { captureIo } from '../testing.js';

const packages = join(import.meta.dirname, '..', '..', '..');
const referenceAgent = join(packages, 'reference-agent');
const work = mkdtempSync(join(tmpdir(), 'charter-check-'));
const evidence = join(work, 'evidence');
const promtool = onPath('promtool');
const inCi = Boolean(process.env.CI);

function onPath(tool: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => existsSync(join(dir, tool)));
}

beforeAll(async () => {
  const result = await produceEvidence({ out: evidence });
  if (result.skipped.length > 0 && (promtool || inCi)) throw new Error(`evidence not produced: ${JSON.stringify(result.skipped)}`);
}, 600_000);

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!promtool && !inCi)('charter check on the reference agent', () => {
  it('passes with the evidence produced from this checkout: exit 0, ready', async () => {
    const io = captureIo(packages);
    const code = await main(['check', 'reference-agent', '--evidence', evidence], io);
    expect(io.err()).toBe('');
    expect(io.out()).toContain('support-desk (Customer Support Desk): READY FOR PRODUCTION');
    expect(io.out()).toMatch(/score \d+\/41/);
    expect(code).toBe(0);
  }, 300_000);

  it('charter rollout start asks the same gate: the ready reference agent starts its shadow stage', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'charter-check-rollout-'));
    const io = captureIo(cwd, { USER: 'ana' });
    const code = await main(['rollout', 'start', referenceAgent, '--candidate', 'v2', '--evidence', evidence], io);
    expect(io.err()).toBe('');
    expect(io.out()).toBe('start: pending → shadow (stage 1/6 "shadow", 0 %) (transition 1)\n');
    expect(code).toBe(0);
    expect(readFileSync(join(cwd, '.charter', 'audit.jsonl'), 'utf8')).toMatch(/readiness: ready for production \(score \d+\/41\)/);
  }, 300_000);

  it('writes every format with --out; the JSON report says ready', async () => {
    for (const format of ['json', 'sarif', 'markdown', 'junit', 'html']) {
      const io = captureIo(packages);
      const out = join(work, `report.${format}`);
      expect(await main(['check', 'reference-agent', '--evidence', evidence, '--format', format, '--out', out], io)).toBe(0);
      expect(io.out()).toMatch(new RegExp(`^wrote the ${format} report to .*: support-desk is ready for production, score \\d+/41\\n$`));
      expect(readFileSync(out, 'utf8').length).toBeGreaterThan(500);
    }
    const report = JSON.parse(readFileSync(join(work, 'report.json'), 'utf8')) as {
      ready: boolean;
      lint: { ran: boolean; problems: number };
    };
    expect(report.ready).toBe(true);
    expect(report.lint).toMatchObject({ ran: true, problems: 0 });
  }, 300_000);

  it('a second check of an unchanged tree is served from the result cache; the flags turn it off; new evidence is a miss', async () => {
    const check = async (...flags: string[]) => {
      const io = captureIo(packages);
      const code = await main(['check', 'reference-agent', '--evidence', evidence, '--format', 'json', ...flags], io);
      expect(io.err()).toBe('');
      return { code, report: JSON.parse(io.out()) as { ready: boolean; cache: string; cacheReason?: string; lint: { cache: string } } };
    };
    await check();
    expect(await check()).toMatchObject({ code: 0, report: { ready: true, cache: 'hit', lint: { cache: 'hit' } } });
    expect((await check('--no-result-cache')).report).toMatchObject({ ready: true, cache: 'off', lint: { cache: 'hit' } });
    expect((await check('--no-lint-cache')).report).toMatchObject({ ready: true, cache: 'off', lint: { cache: 'off' } });
    // The pipeline wrote the soak report again: the next check evaluates (the lint still cached).
    const file = join(evidence, 'soak.json');
    const before = readFileSync(file, 'utf8');
    writeFileSync(file, before.replace(/"producedAt": ?"[^"]{1,40}"/, `"producedAt": "${new Date().toISOString()}"`));
    try {
      const miss = await check();
      expect(miss.report).toMatchObject({ ready: true, cache: 'miss', lint: { cache: 'hit' } });
      expect(miss.report.cacheReason).toMatch(/soak\.json changed/);
      expect((await check()).report.cache).toBe('hit');
    } finally {
      writeFileSync(file, before);
    }
  }, 300_000);

  it('stale evidence (another commit) holds the agent in staging: exit 1', async () => {
    const stale = join(work, 'stale');
    cpSync(evidence, stale, { recursive: true });
    for (const file of readdirSync(stale)) {
      const path = join(stale, file);
      writeFileSync(path, readFileSync(path, 'utf8').replace(/"commit": "[0-9a-f]+"/, `"commit": "${'f'.repeat(40)}"`));
    }
    const io = captureIo(packages);
    expect(await main(['check', 'reference-agent', '--evidence', stale, '--no-lint'], io)).toBe(1);
    expect(io.out()).toContain('HELD IN STAGING');
    expect(io.out()).toMatch(/REL-7 .*\[missing evidence\]/);
    expect(io.out()).toContain('scenario-suite evidence stale: produced at commit ffffffffffff');
  }, 300_000);
});

describe('charter check usage', () => {
  it.each([
    [['--format', 'pdf'], /--format must be one of text, json, sarif, markdown, junit, html, got "pdf"/],
    [['a', 'b'], /expected one agent folder or manifest, got 2/],
    [['--commit', 'main'], /--commit must be a hex commit id/],
    [['--out'], /--out needs a value/],
  ])('%j → exit 2 with the message and the --help hint', async (args, message) => {
    const io = captureIo(referenceAgent);
    expect(await main(['check', ...args], io)).toBe(2);
    expect(io.err()).toMatch(message);
    expect(io.err()).toContain('Run "charter check --help" for usage.');
  });

  it('a folder without a manifest is unreadable input: exit 2, no --help hint', async () => {
    const io = captureIo(work);
    expect(await main(['check', '.'], io)).toBe(2);
    expect(io.err()).toMatch(/^charter check: no agent\.yaml in .+\[READINESS_NO_MANIFEST\]\n$/);
  });

  it('a waiver naming an unknown rule is an error: exit 2 with file:line', async () => {
    const agent = join(work, 'agent-with-bad-waiver');
    cpSync(referenceAgent, agent, { recursive: true, filter: (source) => !/node_modules|\.charter|dist/.test(source) });
    writeFileSync(
      join(agent, 'readiness-waivers.yaml'),
      'waivers:\n  - rule: NOPE-1\n    reason: No such rule exists here.\n    approver: lead\n    expires: 2030-01-01\n',
    );
    const io = captureIo(work);
    expect(await main(['check', agent, '--commit', 'abcdef0', '--no-lint'], io)).toBe(2);
    expect(io.err()).toContain('readiness-waivers.yaml:2:11 waiver names rule "NOPE-1"');
    expect(io.err()).toContain('[READINESS_UNKNOWN_WAIVER]');
  });
});
