// `charter profile` over the recorded reference-agent fixture of @charter/telemetry (planted: a slow
// search_kb, a repeated lookup_order): the table and the JSON name both; the HTML report opens in a real
// headless Chromium (Debian's chromium, scripts/install-ci-tools.sh) with no console error and its charts
// in the DOM, the same approach as packages/readiness/src/html.test.ts. Without chromium that test is
// skipped locally with a message and FAILS when CI is set.
import { copyFileSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventStoreSink, openState } from '@charter/state';
import { testPostgres } from '@charter/state/testing';
import { loadEvents } from '@charter/telemetry';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { ExitCode } from '../command.js';
import { main } from '../main.js';
import { captureIo } from '../testing.js';

const FIXTURE = join(import.meta.dirname, '..', '..', '..', 'telemetry', 'src', '__fixtures__', 'profile', 'desk-events.jsonl');
const CHROMIUM = process.env.CHARTER_CHROMIUM ?? '/usr/bin/chromium';
const present = existsSync(CHROMIUM);
const inCi = Boolean(process.env.CI);
if (!present && !inCi)
  console.warn(
    `profile.test.ts: the Chromium test is skipped: no Chromium at ${CHROMIUM} (install Debian's chromium: scripts/install-ci-tools.sh)`,
  );

function workDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'charter-profile-'));
  copyFileSync(FIXTURE, join(dir, 'events.jsonl'));
  return dir;
}

interface ProfileJson {
  tools: { tool: string; p95Ms: number }[];
  unnecessary: { runId: string; tool: string; callId: string; reasons: string[]; repeatOf?: string }[];
  tenants: { key: string }[];
  phases: Record<string, number>;
}

describe('charter profile', () => {
  it('prints the slow tool first and the repeated call in the table; exit 0', async () => {
    const io = captureIo(workDir());
    expect(await main(['profile', 'events.jsonl'], io)).toBe(ExitCode.Ok);
    const out = io.out();
    const tools = out.split('Slowest tools (by p95)\n')[1]?.split('\n') ?? [];
    expect(tools[2]).toMatch(/^search_kb\s+3\s+1\s+[\d.]+ s\s+[\d.]+ s/);
    expect(out).toMatch(/happy-order-status\s+lookup_order\s+call_0_0-again\s+repeated \(of call_0_0\)/);
    expect(out).toContain('Per tenant');
    expect(io.err()).toBe('');
  });

  it('--json names the same findings; --tenant narrows the runs', async () => {
    const dir = workDir();
    const io = captureIo(dir);
    expect(await main(['profile', 'events.jsonl', '--json'], io)).toBe(ExitCode.Ok);
    const profile = JSON.parse(io.out()) as ProfileJson;
    expect(profile.tools[0]?.tool).toBe('search_kb');
    expect(profile.tools[0]?.p95Ms).toBeGreaterThan(1000);
    expect(profile.unnecessary.filter((call) => call.reasons.includes('repeated'))).toEqual([
      expect.objectContaining({ runId: 'happy-order-status', tool: 'lookup_order', repeatOf: 'call_0_0' }),
    ]);
    expect(profile.tenants.map((tenant) => tenant.key).sort()).toEqual(['acme', 'globex']);
    const acme = captureIo(dir);
    expect(await main(['profile', 'events.jsonl', '--json', '--tenant', 'acme'], acme)).toBe(ExitCode.Ok);
    expect((JSON.parse(acme.out()) as ProfileJson).tenants.map((tenant) => tenant.key)).toEqual(['acme']);
  });

  it('a malformed line is an input error naming file:line, exit 2', async () => {
    const dir = workDir();
    const lines = readFileSync(join(dir, 'events.jsonl'), 'utf8').split('\n');
    lines.splice(6, 0, '{"v":1,"type":"tool.result","runId":"x"');
    writeFileSync(join(dir, 'events.jsonl'), lines.join('\n'));
    const io = captureIo(dir);
    expect(await main(['profile', 'events.jsonl'], io)).toBe(ExitCode.Usage);
    expect(io.err()).toMatch(/^charter profile: events\.jsonl:7: not JSON/m);
    expect(io.out()).toBe('');
  });

  it('a missing log is an input error, exit 2', async () => {
    const io = captureIo(workDir());
    expect(await main(['profile', 'nope.jsonl'], io)).toBe(ExitCode.Usage);
    expect(io.err()).toContain('no event log at nope.jsonl');
  });
});

describe.skipIf(!present && !inCi)('charter profile --html in headless Chromium', () => {
  it('writes one self-contained page that loads with no console error, with its four charts and tables in the DOM', async () => {
    if (!present)
      throw new Error(`CI is set but there is no Chromium at ${CHROMIUM}: scripts/install-ci-tools.sh installs Debian's chromium`);
    const dir = workDir();
    const io = captureIo(dir);
    expect(await main(['profile', 'events.jsonl', '--html', 'out/profile.html'], io)).toBe(ExitCode.Ok);
    expect(io.err()).toBe('wrote out/profile.html\n');
    const page = join(dir, 'out', 'profile.html');
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'],
    });
    try {
      const tab = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      const requests: string[] = [];
      tab.on('console', (message) => {
        if (message.type() === 'error' || message.type() === 'warning') problems.push(`${message.type()}: ${message.text()}`);
      });
      tab.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
      tab.on('request', (request) => {
        if (!request.url().startsWith('file:')) requests.push(request.url());
      });
      await tab.goto(pathToFileURL(page).href, { waitUntil: 'load' });
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      for (const chart of ['tools', 'phases', 'paths', 'tenants'])
        expect(await tab.locator(`svg[data-chart="${chart}"]`).count(), chart).toBe(1);
      // The slow tool is the first row of the latency chart (three bars: p50, p95, p99) and of its table.
      expect(await tab.locator('svg[data-chart="tools"] rect[data-series]').count()).toBe(3 * 5);
      expect(await tab.locator('#tools-table tbody tr').first().getAttribute('data-tool')).toBe('search_kb');
      const width = await tab.locator('svg[data-chart="tools"] rect[data-series="p95"]').first().getAttribute('width');
      expect(Number(width)).toBeGreaterThan(400);
      expect(await tab.locator('#unnecessary-table tr[data-reasons="repeated"]').textContent()).toContain('call_0_0-again');
      expect(await tab.locator('svg[data-chart="phases"] rect[data-phase="act"]').count()).toBeGreaterThan(0);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

describe('charter profile --db', () => {
  const pg = testPostgres('@charter/cli profile');
  const backends = [
    { name: 'file', skip: false, url: () => `file:${join(mkdtempSync(join(tmpdir(), 'charter-profile-db-')), 'state')}` },
    // A real PostgreSQL (CHARTER_TEST_DATABASE_URL, scripts/pg-test-server.sh): skipped without one unless CI is set.
    { name: 'postgres', skip: pg.skip, url: pg.url },
  ];
  for (const backend of backends)
    it.skipIf(backend.skip)(
      `${backend.name}: reads what a telemetry sink stored and finds the same slow tool and repeated call`,
      async () => {
        const url = backend.url();
        // A name of its own, so runs of other tests in the same database stay out of the profile.
        const agent = `profile-${process.pid}-${Date.now().toString(36)}`;
        const state = await openState({ url });
        const sink = eventStoreSink(state.events, { batch: 50 });
        for (const event of loadEvents(FIXTURE)) sink.write({ ...event, agent });
        await sink.close();
        await state.close();
        const io = captureIo(tmpdir());
        expect(await main(['profile', '--db', url, '--json', '--agent', agent], io)).toBe(ExitCode.Ok);
        const profile = JSON.parse(io.out()) as ProfileJson & { runs: number };
        expect(profile.runs).toBe(11);
        expect(profile.tools[0]?.tool).toBe('search_kb');
        expect(profile.unnecessary.filter((call) => call.reasons.includes('repeated')).map((call) => call.callId)).toEqual([
          'call_0_0-again',
        ]);
      },
    );

  it('an event log and --db together are a usage error; an unknown scheme is exit 2', async () => {
    const io = captureIo(workDir());
    expect(await main(['profile', 'events.jsonl', '--db', 'file:x'], io)).toBe(ExitCode.Usage);
    expect(await main(['profile', '--db', 'mysql://x'], io)).toBe(ExitCode.Usage);
  });
});
