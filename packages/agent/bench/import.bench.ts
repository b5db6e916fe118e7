// `npx tsx bench/import.bench.ts` (from packages/agent, after building the workspace packages:
// `npx turbo run build --filter=@charter/agent...`): the cold import time of each built Charter
// package and of the third-party packages they depend on, as a user's process pays it.
//
// Every target is imported by a fresh `node --input-type=module -e "await import(X)"` child process
// (cwd = the repo root, so `@charter/*` resolve to `dist/` through the workspace links). The targets
// run round-robin — one child each per round, `ROUNDS` rounds — so background load hits all of them
// alike; each figure is the median wall time of its children minus the median of bare `node -e ""`.
// "over zod" subtracts `import('zod')` instead: the share that is Charter's own code (every Charter
// package imports zod eagerly; it is the schema library of the manifest). Ends with one JSON line.
//
// The goal: `@charter/agent` at most 60 ms over `node` + `zod` (zod is loaded by every tool contract
// anyway, so that is what Charter adds to an agent's process); the line before the JSON says whether
// this run met it. Both figures, over bare node and over node + zod, are printed for every target.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');
const ROUNDS = Number(process.env.IMPORT_ROUNDS ?? 11);

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/**
 * One child that imports `specifier` (none: bare node): its wall time (ms, spawn to exit) and the CPU
 * time (user + system, ms, all threads) it reports just before exiting. CPU time moves less than wall
 * time when other processes compete for the cores; both are reported.
 */
function child(specifier: string | undefined): { wall: number; cpu: number } {
  const code = `${specifier === undefined ? '' : `await import(${JSON.stringify(specifier)});`}const u = process.cpuUsage(); process.stdout.write(String((u.user + u.system) / 1000));`;
  const start = process.hrtime.bigint();
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: repo, encoding: 'utf8' });
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  if (out.status !== 0) throw new Error(`import ${specifier ?? '(bare)'} failed: ${out.stderr}`);
  return { wall, cpu: Number(out.stdout) };
}

/** Median wall and CPU time per target, measured round-robin (one warm-up round first, discarded). */
function measureImports(targets: readonly (string | undefined)[], rounds = ROUNDS): { wall: number; cpu: number }[] {
  for (const target of targets) child(target);
  const times: { wall: number; cpu: number }[][] = targets.map(() => []);
  for (let r = 0; r < rounds; r++) for (const [i, target] of targets.entries()) times[i]?.push(child(target));
  return times.map((t) => ({ wall: median(t.map((x) => x.wall)), cpu: median(t.map((x) => x.cpu)) }));
}

const BARE = undefined;
const thirdParty = ['zod', 'semver', 'js-yaml', 'yaml', '@opentelemetry/api', '@ai-sdk/provider'];
const charter = ['@charter/spec', '@charter/tools', '@charter/guardrails', '@charter/telemetry', '@charter/agent'];

const only = process.argv.slice(2);
const named = (only.length > 0 ? only : [...thirdParty, ...charter]).filter((t) => t !== 'zod');
const [bare = { wall: 0, cpu: 0 }, zod = { wall: 0, cpu: 0 }, ...rest] = measureImports([BARE, 'zod', ...named]);

process.stdout.write(`Node ${process.version}, ${ROUNDS} rounds (median of fresh child processes)\n`);
process.stdout.write(
  `bare node: wall ${bare.wall.toFixed(1)} ms, cpu ${bare.cpu.toFixed(1)} ms; import('zod') over bare: wall ${(zod.wall - bare.wall).toFixed(1)} ms, cpu ${(zod.cpu - bare.cpu).toFixed(1)} ms\n`,
);
process.stdout.write(
  `${'target'.padEnd(24)} ${'wall over node'.padStart(15)} ${'wall over zod'.padStart(14)} ${'cpu over node'.padStart(14)} ${'cpu over zod'.padStart(13)}\n`,
);
const rows: Record<string, { overNodeMs: number; overZodMs: number; cpuOverNodeMs: number; cpuOverZodMs: number }> = {};
const ms = (x: number): number => Number(x.toFixed(1));
for (const [i, name] of named.entries()) {
  const t = rest[i] ?? { wall: 0, cpu: 0 };
  const row = {
    overNodeMs: ms(t.wall - bare.wall),
    overZodMs: ms(t.wall - zod.wall),
    cpuOverNodeMs: ms(t.cpu - bare.cpu),
    cpuOverZodMs: ms(t.cpu - zod.cpu),
  };
  rows[name] = row;
  process.stdout.write(
    `${name.padEnd(24)} ${row.overNodeMs.toFixed(1).padStart(15)} ${row.overZodMs.toFixed(1).padStart(14)} ${row.cpuOverNodeMs.toFixed(1).padStart(14)} ${row.cpuOverZodMs.toFixed(1).padStart(13)}\n`,
  );
}
const agent = rows['@charter/agent'];
/** The import goal over node + zod, in ms. */
const GOAL_OVER_ZOD_MS = 60;
if (agent !== undefined)
  process.stdout.write(
    `goal: @charter/agent <= ${GOAL_OVER_ZOD_MS} ms over node + zod: ${agent.overZodMs <= GOAL_OVER_ZOD_MS ? 'met' : 'NOT met'} (${agent.overZodMs.toFixed(1)} ms; ${agent.overNodeMs.toFixed(1)} ms over bare node)\n`,
  );
process.stdout.write(
  `${JSON.stringify({
    bareNodeMs: ms(bare.wall),
    zodOverNodeMs: ms(zod.wall - bare.wall),
    ...(agent === undefined
      ? {}
      : {
          importOverNodeMs: agent.overNodeMs,
          importOverZodMs: agent.overZodMs,
          importGoalOverZodMs: GOAL_OVER_ZOD_MS,
          importCpuOverNodeMs: agent.cpuOverNodeMs,
          importCpuOverZodMs: agent.cpuOverZodMs,
        }),
  })}\n`,
);
