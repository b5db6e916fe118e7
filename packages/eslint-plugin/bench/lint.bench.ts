// Plugin overhead: ESLint (typescript-eslint parser, type information) over the reference agent's
// sources, without and with @charter/eslint-plugin's `recommended` rules. Each sample is a cold run in
// a fresh process (like `eslint` on the command line); modes alternate; medians of SAMPLES runs.
// The headline is CPU time (user + system) of the lint call: on a shared machine wall time mostly
// measures the neighbours. Wall-time medians are printed too.
//   npm run bench -w @charter/eslint-plugin
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const TARGET = join(HERE, '..', '..', 'reference-agent');
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 7);
type Mode = 'parse' | 'parse+plugin' | 'typed' | 'typed+plugin';

interface ChildResult {
  readonly mode: Mode;
  readonly lintMs: number;
  readonly cpuMs: number;
  readonly files: number;
  readonly problems: Readonly<Record<string, number>>;
}

async function child(mode: Mode): Promise<void> {
  const [{ ESLint }, tseslint, { default: plugin }] = await Promise.all([
    import('eslint'),
    import('typescript-eslint'),
    import('../src/index.js'),
  ]);
  const base = {
    files: ['**/*.ts'],
    languageOptions: { parser: tseslint.parser, parserOptions: { projectService: true, tsconfigRootDir: TARGET } },
  };
  // `typed`: the repository's own type-aware rule set (typescript-eslint strict + stylistic, type-checked).
  const typed = mode.startsWith('typed')
    ? [...tseslint.configs.strictTypeChecked, ...tseslint.configs.stylisticTypeChecked].map((c) => ({ ...c, files: ['**/*.ts'] }))
    : [];
  const charter = mode.endsWith('+plugin') ? [{ ...plugin.configs.recommended, files: ['**/*.ts'] }] : [];
  const eslint = new ESLint({ cwd: TARGET, overrideConfigFile: true, overrideConfig: [base, ...typed, ...charter] as never });
  const cpuBefore = process.cpuUsage();
  const started = process.hrtime.bigint();
  const results = await eslint.lintFiles(['src/**/*.ts']);
  const lintMs = Number(process.hrtime.bigint() - started) / 1e6;
  const cpu = process.cpuUsage(cpuBefore);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const problems: Record<string, number> = {};
  for (const r of results) for (const m of r.messages) problems[m.ruleId ?? 'fatal'] = (problems[m.ruleId ?? 'fatal'] ?? 0) + 1;
  const out: ChildResult = { mode, lintMs, cpuMs, files: results.length, problems };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function sample(mode: Mode): ChildResult {
  const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', mode], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`bench child (${mode}) failed: ${run.stderr.slice(0, 2000)}`);
  return JSON.parse(line) as ChildResult;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  const childIndex = process.argv.indexOf('--child');
  if (childIndex !== -1) return child(process.argv[childIndex + 1] as Mode);
  const files = existsSync(join(TARGET, 'src')) ? readdirSync(join(TARGET, 'src')).filter((f) => f.endsWith('.ts')) : [];
  console.log(
    `linting packages/reference-agent/src (${files.length} files: ${files.join(', ')}); ${SAMPLES} cold samples per mode, interleaved`,
  );
  const modes: Mode[] = ['typed', 'typed+plugin', 'parse', 'parse+plugin'];
  sample('typed'); // warm the file system cache
  const wall = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  const cpu = new Map<Mode, number[]>(modes.map((m) => [m, []]));
  let pluginProblems: Readonly<Record<string, number>> = {};
  for (let i = 0; i < SAMPLES; i++) {
    for (const mode of modes) {
      const result = sample(mode);
      wall.get(mode)?.push(result.lintMs);
      cpu.get(mode)?.push(result.cpuMs);
      if (mode === 'typed+plugin')
        pluginProblems = Object.fromEntries(Object.entries(result.problems).filter(([k]) => k.startsWith('@charter/')));
    }
  }
  const med = (map: Map<Mode, number[]>): Record<Mode, number> =>
    Object.fromEntries(modes.map((mode) => [mode, median(map.get(mode) ?? [])])) as Record<Mode, number>;
  const c = med(cpu);
  const w = med(wall);
  for (const mode of modes) {
    console.log(
      `${mode.padEnd(14)} CPU median ${c[mode].toFixed(0).padStart(6)} ms  (${(cpu.get(mode) ?? []).map((t) => t.toFixed(0)).join(', ')})   wall median ${w[mode].toFixed(0).padStart(6)} ms`,
    );
  }
  const pct = (a: number, b: number): number => Number((((a - b) / b) * 100).toFixed(1));
  const overheadPct = pct(c['typed+plugin'], c.typed);
  const overParsePct = pct(c['parse+plugin'], c.parse);
  console.log(
    `plugin overhead over the repository's type-aware lint (CPU): ${overheadPct} % (goal <= 15 %); wall: ${pct(w['typed+plugin'], w.typed)} %`,
  );
  console.log(`plugin alone over a parse-only lint (the plugin then pays for the type checker's work): ${overParsePct} % CPU`);
  console.log(`@charter findings in the reference agent: ${JSON.stringify(pluginProblems)}`);
  console.log(
    JSON.stringify({
      files: files.length,
      typedLintCpuMedianMs: Math.round(c.typed),
      typedWithPluginCpuMedianMs: Math.round(c['typed+plugin']),
      overheadPct,
      parseOnlyCpuMedianMs: Math.round(c.parse),
      parseWithPluginCpuMedianMs: Math.round(c['parse+plugin']),
      overParseOnlyPct: overParsePct,
      typedLintWallMedianMs: Math.round(w.typed),
      typedWithPluginWallMedianMs: Math.round(w['typed+plugin']),
    }),
  );
}

await main();
