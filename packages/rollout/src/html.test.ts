import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { referenceManifest } from './__fixtures__/reference.js';
import { simulationHtml } from './html.js';
import { planFromManifest } from './plan.js';
import { simulateRollout } from './simulate.js';

const CHROMIUM = '/usr/bin/chromium';
const inCi = Boolean(process.env.CI);
const plan = planFromManifest(referenceManifest());

/** Loads a file in headless Chromium and returns the DOM after scripts ran, and what the browser logged. */
export function dumpDom(file: string): { dom: string; log: string } {
  const profile = mkdtempSync(join(tmpdir(), 'charter-chromium-'));
  const result = spawnSync(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      '--enable-logging=stderr',
      '--v=0',
      '--dump-dom',
      `file://${file}`,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  if (result.status !== 0) throw new Error(`chromium exited ${result.status}: ${result.stderr}`);
  return { dom: result.stdout, log: result.stderr };
}

describe('simulation chart', () => {
  it('one self-contained HTML file that headless Chromium renders without a console error', async (context) => {
    if (!existsSync(CHROMIUM)) {
      if (inCi) throw new Error(`${CHROMIUM} is missing but CI is set: scripts/install-ci-tools.sh installs chromium`);
      console.warn(`SKIPPED: ${CHROMIUM} is not installed (apt-get install chromium); CI would fail here`);
      context.skip();
    }
    const result = await simulateRollout({ plan, candidate: { successDropPts: 5 }, skipShadow: true, stabilizationMs: 0, seed: 5 });
    const html = simulationHtml(result, 'support-desk: 97 % → 92 % candidate');
    expect(html).not.toMatch(/\b(?:src|href)=["']?(?:https?:)?\/\//);
    const dir = mkdtempSync(join(tmpdir(), 'charter-chart-'));
    const file = join(dir, 'rollout.html');
    writeFileSync(file, html);
    const { dom, log } = dumpDom(file);
    expect(dom).toContain('data-ready="true"');
    expect(dom).toContain('data-series="6"');
    expect(dom).toContain('data-outcome="rolled-back"');
    expect(dom).toMatch(/^<html lang="en">/m);
    expect(dom).not.toMatch(/<html[^>]*data-errors=/);
    expect(dom).toMatch(/<svg id="traffic-share"[^>]*>/);
    expect(dom).toMatch(/<path class="series" data-series="routed to candidate" d="M[\d.]+,[\d.]+L/);
    expect(log).not.toMatch(/:CONSOLE[:(]|Uncaught/);
  });
});
