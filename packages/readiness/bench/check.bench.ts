// `npm run bench -w @charter/readiness`: what `charter check` costs on the reference agent with its
// evidence present. Every sample is a fresh Node process, in four modes, interleaved:
//   cli-typed      `charter check <agent> --no-lint-cache --format json` (the built bin): the typed lint runs
//   cli-cached     `charter check <agent> --format json`: the lint result comes from the digest cache
//   eval-typed     a process that imports @charter/readiness and calls evaluateReadiness once, no lint cache
//   eval-cached    the same with the lint cache (unchanged tree)
// A process's CPU time (user + system, process.cpuUsage at exit, boot included) is printed beside its
// wall time: on a machine shared with other builds, wall time mostly measures the neighbours. The 1-minute
// load average is recorded with every sample and its median printed per mode. ONE JSON line ends the output.
// Goals (issue 15): ≤ 2 s median with the typed lint, ≤ 200 ms with the lint cached.
// The cached modes also check that neither ESLint nor TypeScript was loaded.
// Evidence: produced once into a temporary folder by the reference agent's evidence module.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const AGENT = join(ROOT, 'packages', 'reference-agent');
const BIN = join(ROOT, 'packages', 'cli', 'bin', 'charter.js');
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);

type Mode = 'cli-typed' | 'cli-cached' | 'eval-typed' | 'eval-cached';

interface Sample {
  readonly mode: Mode;
  /** The whole process, spawn to exit. */
  readonly processMs: number;
  /** CPU time of the whole process (boot, imports, the check). */
  readonly processCpuMs: number;
  /** eval-*: the evaluateReadiness call alone (after the import). */
  readonly evaluateMs?: number;
  readonly evaluateCpuMs?: number;
  readonly importMs?: number;
  readonly lintMs: number;
  readonly cache: string;
  readonly ready: boolean;
  readonly files: number;
  /** Whether typescript or eslint was loaded into the process. */
  readonly lintLoaded: boolean;
  readonly load1m: number;
}

// Loaded into every child with --import: reports the process's CPU time and whether the lint stack was
// loaded (both are CommonJS, so they appear in require.cache), on stderr at exit.
const PROBE = `data:text/javascript,${encodeURIComponent(`
import { createRequire } from 'node:module';
const require = createRequire(process.execPath); // the cache is the process's, whoever asks
process.on('exit', () => {
  const used = process.cpuUsage();
  const lintLoaded = Object.keys(require.cache).some((file) => /[\\\\/]node_modules[\\\\/](typescript|eslint)[\\\\/]/.test(file));
  process.stderr.write('\\n@@probe ' + JSON.stringify({ processCpuMs: (used.user + used.system) / 1000, lintLoaded }) + '\\n');
});
`)}`;

const EVAL_CHILD = `
const started = performance.now();
const { evaluateReadiness } = await import('@charter/readiness');
const imported = performance.now();
const cpu = process.cpuUsage();
const [dir, evidenceDir, mode] = process.argv.slice(1);
const report = await evaluateReadiness({ dir, evidenceDir, lint: mode === 'eval-typed' ? { cacheDir: false } : true });
const done = performance.now();
const used = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify({ importMs: imported - started, evaluateMs: done - imported, evaluateCpuMs: (used.user + used.system) / 1000, lint: report.lint, ready: report.ready }) + '\\n');
`;

function sample(mode: Mode, evidenceDir: string): Sample {
  const load1m = loadavg()[0] ?? 0;
  const args = mode.startsWith('cli')
    ? [BIN, 'check', AGENT, '--evidence', evidenceDir, '--format', 'json', ...(mode === 'cli-typed' ? ['--no-lint-cache'] : [])]
    : ['--input-type=module', '-e', EVAL_CHILD, AGENT, evidenceDir, mode];
  const started = performance.now();
  const run = spawnSync(process.execPath, ['--import', PROBE, ...args], {
    cwd: join(ROOT, 'packages', 'readiness'),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const processMs = performance.now() - started;
  const probe = /@@probe (\{[^\n]{1,200}\})/.exec(run.stderr)?.[1];
  if (run.status !== 0 || probe === undefined) throw new Error(`bench child (${mode}) exited ${run.status}: ${run.stderr.slice(0, 2000)}`);
  const { processCpuMs, lintLoaded } = JSON.parse(probe) as { processCpuMs: number; lintLoaded: boolean };
  const out = JSON.parse(mode.startsWith('cli') ? run.stdout : (run.stdout.trim().split('\n').pop() ?? '')) as {
    ready: boolean;
    lint: { cache: string; durationMs: number; files: number | readonly string[] };
    importMs?: number;
    evaluateMs?: number;
    evaluateCpuMs?: number;
  };
  return {
    mode,
    processMs,
    processCpuMs,
    ...(out.evaluateMs === undefined ? {} : { evaluateMs: out.evaluateMs }),
    ...(out.evaluateCpuMs === undefined ? {} : { evaluateCpuMs: out.evaluateCpuMs }),
    ...(out.importMs === undefined ? {} : { importMs: out.importMs }),
    lintMs: out.lint.durationMs,
    cache: out.lint.cache,
    ready: out.ready,
    files: typeof out.lint.files === 'number' ? out.lint.files : out.lint.files.length,
    lintLoaded,
    load1m,
  };
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};
const round = (x: number): number => Math.round(x * 10) / 10;

if (!existsSync(join(ROOT, 'packages', 'cli', 'dist', 'main.js'))) throw new Error('the CLI is not built: npm run build');
const work = mkdtempSync(join(tmpdir(), 'charter-readiness-bench-'));
try {
  const evidenceDir = join(work, 'evidence');
  console.log('producing the reference agent evidence (once) ...');
  const produced = spawnSync('npx', ['tsx', '--conditions=@charter/source', join(AGENT, 'src', 'evidence.ts'), '--out', evidenceDir], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (produced.status !== 0 || !existsSync(join(evidenceDir, 'scenario-suite.json')))
    throw new Error(`evidence failed: ${produced.stderr.slice(0, 2000)}${produced.stdout.slice(-2000)}`);
  sample('cli-cached', evidenceDir); // fills the cache (packages/reference-agent/.charter/cache) and warms the file system
  const modes: readonly Mode[] = ['cli-typed', 'cli-cached', 'eval-typed', 'eval-cached'];
  const samples: Sample[] = [];
  for (let i = 0; i < SAMPLES; i++) for (const mode of modes) samples.push(sample(mode, evidenceDir));
  const of = (mode: Mode): Sample[] => samples.filter((s) => s.mode === mode);
  if (!samples.every((s) => s.ready)) throw new Error('the reference agent is not ready: run charter check packages/reference-agent');
  for (const s of samples) {
    const cached = s.mode.endsWith('cached');
    if (s.cache !== (cached ? 'hit' : 'off') || s.lintLoaded !== !cached)
      throw new Error(`${s.mode}: cache ${s.cache}, lint stack ${s.lintLoaded ? '' : 'not '}loaded: the modes did not behave as intended`);
  }
  const m = (mode: Mode, pick: (s: Sample) => number | undefined): number => round(median(of(mode).map((s) => pick(s) ?? 0)));
  const figures = {
    files: samples[0]?.files ?? 0,
    samples: SAMPLES,
    cliTypedMedianMs: m('cli-typed', (s) => s.processMs),
    cliTypedCpuMedianMs: m('cli-typed', (s) => s.processCpuMs),
    cliTypedLintPartMedianMs: m('cli-typed', (s) => s.lintMs),
    cliTypedLoad1m: m('cli-typed', (s) => s.load1m),
    cliCachedMedianMs: m('cli-cached', (s) => s.processMs),
    cliCachedCpuMedianMs: m('cli-cached', (s) => s.processCpuMs),
    cliCachedLoad1m: m('cli-cached', (s) => s.load1m),
    evaluateTypedMedianMs: m('eval-typed', (s) => s.evaluateMs),
    evaluateTypedCpuMedianMs: m('eval-typed', (s) => s.evaluateCpuMs),
    evaluateTypedLoad1m: m('eval-typed', (s) => s.load1m),
    evaluateCachedMedianMs: m('eval-cached', (s) => s.evaluateMs),
    evaluateCachedCpuMedianMs: m('eval-cached', (s) => s.evaluateCpuMs),
    evaluateCachedLoad1m: m('eval-cached', (s) => s.load1m),
    importMedianMs: round(median([...of('eval-typed'), ...of('eval-cached')].map((s) => s.importMs ?? 0))),
    quietestCliTypedMs: round(Math.min(...of('cli-typed').map((s) => s.processMs))),
    quietestCliCachedMs: round(Math.min(...of('cli-cached').map((s) => s.processMs))),
    cachedVsTypedCpu: Number(
      (median(of('cli-cached').map((s) => s.processCpuMs)) / Math.max(1, median(of('cli-typed').map((s) => s.processCpuMs)))).toFixed(3),
    ),
  };
  console.log(
    `charter check on packages/reference-agent (${figures.files} source files), ${SAMPLES} fresh processes per mode, interleaved`,
  );
  console.log(
    `  charter check, typed lint : median ${figures.cliTypedMedianMs} ms wall, ${figures.cliTypedCpuMedianMs} ms CPU (lint ${figures.cliTypedLintPartMedianMs} ms), quietest ${figures.quietestCliTypedMs} ms, load ${figures.cliTypedLoad1m}   goal ≤ 2000 ms`,
  );
  console.log(
    `  charter check, lint cached: median ${figures.cliCachedMedianMs} ms wall, ${figures.cliCachedCpuMedianMs} ms CPU, quietest ${figures.quietestCliCachedMs} ms, load ${figures.cliCachedLoad1m}   goal ≤ 200 ms`,
  );
  console.log(
    `  evaluateReadiness call, typed lint : median ${figures.evaluateTypedMedianMs} ms wall, ${figures.evaluateTypedCpuMedianMs} ms CPU, load ${figures.evaluateTypedLoad1m}`,
  );
  console.log(
    `  evaluateReadiness call, lint cached: median ${figures.evaluateCachedMedianMs} ms wall, ${figures.evaluateCachedCpuMedianMs} ms CPU, load ${figures.evaluateCachedLoad1m}`,
  );
  console.log(`  import of @charter/readiness: median ${figures.importMedianMs} ms; CPU cached/typed ${figures.cachedVsTypedCpu}`);
  console.log(JSON.stringify(figures));
} finally {
  rmSync(work, { recursive: true, force: true });
}
