// CPU per rule in the typed lint that `charter check` runs on the reference agent: its sources (tests
// excluded) through a tsconfig that lists them, the typescript-eslint parser with type information and
// the plugin's `recommended` rules only (the configuration of packages/readiness/src/lint.ts). Each
// rule's `create` and listeners are wrapped to add up process CPU time (user + system) while they run;
// the anchor is the whole lint call's CPU in the same process. Each sample is a cold run in a fresh
// process; medians of SAMPLES runs. Type-checker work a rule triggers counts for the rule that asked first.
//   npm run bench:rules -w @charter/eslint-plugin        (BENCH_SAMPLES=9 for more samples)
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const TARGET = join(import.meta.dirname, '..', '..', 'reference-agent');
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);

interface ChildResult {
  readonly lintCpuMs: number;
  readonly rulesCpuMs: Readonly<Record<string, number>>;
  readonly problems: number;
}

type Listener = (...args: unknown[]) => void;
interface RuleModule {
  create(context: unknown): Record<string, Listener>;
}

const cpuMs = (start: NodeJS.CpuUsage): number => {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
};

async function child(): Promise<void> {
  const [{ ESLint }, parser, { default: plugin }] = await Promise.all([
    import('eslint'),
    import('@typescript-eslint/parser'),
    import('../src/index.js'),
  ]);
  const spent: Record<string, number> = {};
  const timed = <T>(rule: string, run: () => T): T => {
    const start = process.cpuUsage();
    try {
      return run();
    } finally {
      spent[rule] = (spent[rule] ?? 0) + cpuMs(start);
    }
  };
  const rules = Object.fromEntries(
    Object.entries(plugin.rules as unknown as Record<string, RuleModule>).map(([name, rule]) => [
      name,
      {
        ...rule,
        create(context: unknown) {
          const listeners = timed(name, () => rule.create(context));
          return Object.fromEntries(
            Object.entries(listeners).map(([selector, listener]) => [
              selector,
              (...args: unknown[]) => {
                timed(name, () => {
                  listener(...args);
                });
              },
            ]),
          );
        },
      },
    ]),
  );
  const files = readdirSync(join(TARGET, 'src'))
    .filter((f) => f.endsWith('.ts') && !/\.(?:test|spec|bench)\.ts$/.test(f))
    .map((f) => join(TARGET, 'src', f));
  const scratch = mkdtempSync(join(tmpdir(), 'charter-rules-bench-'));
  const tsconfig = join(scratch, 'tsconfig.lint.json');
  writeFileSync(
    tsconfig,
    JSON.stringify({ extends: join(TARGET, 'tsconfig.json'), compilerOptions: { noEmit: true }, include: [], files }),
  );
  try {
    const eslint = new ESLint({
      cwd: TARGET,
      overrideConfigFile: true,
      overrideConfig: [
        {
          files: ['**/*.ts'],
          languageOptions: {
            parser,
            parserOptions: {
              project: [tsconfig],
              tsconfigRootDir: TARGET,
              disallowAutomaticSingleRunInference: true,
              jsDocParsingMode: 'type-info',
            },
          },
          linterOptions: { reportUnusedDisableDirectives: 'off' },
        },
        { ...plugin.configs.recommended, plugins: { '@charter': { ...plugin, rules } }, files: ['**/*.ts'] },
      ],
    });
    const start = process.cpuUsage();
    const results = await eslint.lintFiles(files);
    const lintCpuMs = cpuMs(start);
    const problems = results.reduce((sum, r) => sum + r.messages.length, 0);
    process.stdout.write(`${JSON.stringify({ lintCpuMs, rulesCpuMs: spent, problems } satisfies ChildResult)}\n`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function sample(): ChildResult {
  const run = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child'], {
    encoding: 'utf8',
    maxBuffer: 16 * 1024 * 1024,
  });
  const line = run.stdout.trim().split('\n').pop() ?? '';
  if (run.status !== 0 || !line.startsWith('{')) throw new Error(`bench child failed: ${run.stderr.slice(0, 2000)}`);
  return JSON.parse(line) as ChildResult;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? 0) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
};

async function main(): Promise<void> {
  if (process.argv.includes('--child')) return child();
  console.log(`typed lint of packages/reference-agent/src (charter check's configuration), ${SAMPLES} cold samples`);
  sample(); // warm the file system cache
  const runs = Array.from({ length: SAMPLES }, () => sample());
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.rulesCpuMs)))];
  const perRule = Object.fromEntries(names.map((name) => [name, median(runs.map((r) => r.rulesCpuMs[name] ?? 0))]));
  const totals = runs.map((r) => Object.values(r.rulesCpuMs).reduce((a, b) => a + b, 0));
  const lint = median(runs.map((r) => r.lintCpuMs));
  const rules = median(totals);
  for (const [name, ms] of Object.entries(perRule).sort((a, b) => b[1] - a[1]))
    console.log(`${name.padEnd(40)} ${ms.toFixed(1).padStart(7)} ms CPU`);
  console.log(
    `all rules ${rules.toFixed(0)} ms CPU of a ${lint.toFixed(0)} ms CPU lint (${((rules / lint) * 100).toFixed(1)} %); problems found: ${runs[0]?.problems ?? 0}`,
  );
  console.log(
    JSON.stringify({
      rulesCpuMs: Math.round(rules),
      lintCpuMs: Math.round(lint),
      rulesSharePct: Number(((rules / lint) * 100).toFixed(1)),
      noUnvalidatedModelOutputCpuMs: Math.round(perRule['no-unvalidated-model-output'] ?? 0),
      toolDefinitionRulesCpuMs: Math.round(
        [
          'require-tool-timeout',
          'require-tool-version',
          'require-approval-for-irreversible',
          'require-idempotency-key',
          'tools-declared-in-manifest',
        ]
          .map((name) => perRule[name] ?? 0)
          .reduce((a, b) => a + b, 0),
      ),
    }),
  );
}

await main();
