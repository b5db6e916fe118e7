// `npm run bench -w @charter/readiness`: what `charter check` costs on the reference agent with its
// evidence present. Each sample is a fresh Node process (as on the command line) that imports the
// built package and calls evaluateReadiness once, in two modes, interleaved:
//   typed    the typed lint runs (no cache): parse + type information + @charter/eslint-plugin
//   cached   the lint result comes from the digest cache (unchanged tree)
// The child reports the evaluateReadiness call's wall time, the lint part of it and its import time;
// the parent reports medians, the process wall time and the ratio cached/typed, then ONE JSON line.
// Goals (issue 15): ≤ 2 s median with the typed lint, ≤ 200 ms with the lint cached.
// Evidence: produced once into a temporary folder by the reference agent's evidence module.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const AGENT = join(ROOT, 'packages', 'reference-agent');
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);

interface Sample {
  readonly mode: 'typed' | 'cached';
  readonly importMs: number;
  readonly evaluateMs: number;
  /** CPU time (user + system) of the evaluateReadiness call: on a shared machine wall time mostly measures the neighbours. */
  readonly cpuMs: number;
  readonly lintMs: number;
  readonly cached: boolean;
  readonly ready: boolean;
  readonly files: number;
  readonly processMs: number;
}

const CHILD = `
const started = performance.now();
const { evaluateReadiness } = await import('@charter/readiness');
const imported = performance.now();
const cpu = process.cpuUsage();
const [dir, evidenceDir, cacheDir, mode] = process.argv.slice(1);
const report = await evaluateReadiness({ dir, evidenceDir, lint: mode === 'typed' ? { cacheDir: false } : { cacheDir } });
const done = performance.now();
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ mode, importMs: imported - started, evaluateMs: done - imported, cpuMs: (used.user + used.system) / 1000, lintMs: report.lint.durationMs, cached: report.lint.cached, ready: report.ready, files: report.lint.files }) + '\\n');
`;

function sample(mode: Sample['mode'], evidenceDir: string, cacheDir: string): Sample {
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--input-type=module', '-e', CHILD, AGENT, evidenceDir, cacheDir, mode], {
    cwd: join(ROOT, 'packages', 'readiness'),
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const processMs = performance.now() - started;
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`bench child (${mode}) failed: ${run.stderr.slice(0, 2000)}`);
  return { ...(JSON.parse(line) as Omit<Sample, 'processMs'>), processMs };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const round = (x: number): number => Math.round(x * 10) / 10;

const work = mkdtempSync(join(tmpdir(), 'charter-readiness-bench-'));
try {
  const evidenceDir = join(work, 'evidence');
  const cacheDir = join(work, 'cache');
  console.log('producing the reference agent evidence (once) ...');
  const produced = spawnSync('npx', ['tsx', '--conditions=@charter/source', join(AGENT, 'src', 'evidence.ts'), '--out', evidenceDir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (produced.status !== 0 || !existsSync(join(evidenceDir, 'scenario-suite.json')))
    throw new Error(`evidence failed: ${produced.stderr.slice(0, 2000)}${produced.stdout.slice(-2000)}`);
  sample('cached', evidenceDir, cacheDir); // fills the cache and warms the file system
  const samples: Sample[] = [];
  for (let i = 0; i < SAMPLES; i++) samples.push(sample('typed', evidenceDir, cacheDir), sample('cached', evidenceDir, cacheDir));
  const typed = samples.filter((s) => s.mode === 'typed');
  const cached = samples.filter((s) => s.mode === 'cached');
  if (!samples.every((s) => s.ready)) throw new Error('the reference agent is not ready: run charter check packages/reference-agent');
  if (!cached.every((s) => s.cached) || typed.some((s) => s.cached)) throw new Error('cache modes did not behave as intended');
  const figures = {
    files: typed[0]?.files ?? 0,
    samples: SAMPLES,
    checkTypedLintMedianMs: round(median(typed.map((s) => s.evaluateMs))),
    checkTypedLintCpuMedianMs: round(median(typed.map((s) => s.cpuMs))),
    typedLintPartMedianMs: round(median(typed.map((s) => s.lintMs))),
    checkLintCachedMedianMs: round(median(cached.map((s) => s.evaluateMs))),
    checkLintCachedCpuMedianMs: round(median(cached.map((s) => s.cpuMs))),
    importMedianMs: round(median(samples.map((s) => s.importMs))),
    processTypedMedianMs: round(median(typed.map((s) => s.processMs))),
    processCachedMedianMs: round(median(cached.map((s) => s.processMs))),
    cachedVsTyped: Number((median(cached.map((s) => s.evaluateMs)) / Math.max(1, median(typed.map((s) => s.evaluateMs)))).toFixed(3)),
    loadAverage1m: round(loadavg()[0] ?? 0),
  };
  console.log(
    `evaluateReadiness on packages/reference-agent (${figures.files} source files), ${SAMPLES} fresh processes per mode, interleaved`,
  );
  console.log(
    `  typed lint : median ${figures.checkTypedLintMedianMs} ms wall, ${figures.checkTypedLintCpuMedianMs} ms CPU (lint ${figures.typedLintPartMedianMs} ms), process ${figures.processTypedMedianMs} ms   goal ≤ 2000 ms`,
  );
  console.log(
    `  lint cached: median ${figures.checkLintCachedMedianMs} ms wall, ${figures.checkLintCachedCpuMedianMs} ms CPU, process ${figures.processCachedMedianMs} ms   goal ≤ 200 ms`,
  );
  console.log(
    `  import of @charter/readiness: median ${figures.importMedianMs} ms; cached/typed ${figures.cachedVsTyped}; load average ${figures.loadAverage1m}`,
  );
  console.log(JSON.stringify(figures));
} finally {
  rmSync(work, { recursive: true, force: true });
}
