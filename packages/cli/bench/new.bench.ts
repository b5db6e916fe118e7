// `charter new agent-service` must render in ≤ 1 s. Measures, on the built CLI (dist/):
//   - scaffold(): load the template, validate the values, render the skeleton and write it (in process);
//   - the whole command as a user runs it: `node bin/charter.js new agent-service <dir> --values <file>`
//     (a fresh Node process: start-up, imports, rendering, writing);
//   - the anchor: a bare `node -e ""` process, measured in the same run.
// Prints medians and ratios, and ends with one JSON line.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findTemplate, scaffold } from '../dist/scaffold/index.js';
import { agentServiceValues } from '../src/testing.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const packageRoot = join(import.meta.dirname, '..');
const bin = join(packageRoot, 'bin', 'charter.js');
const work = mkdtempSync(join(tmpdir(), 'charter-new-bench-'));
const values = agentServiceValues('bench-desk');
const valuesFile = join(work, 'values.json');
writeFileSync(valuesFile, JSON.stringify(values));

const median = (samples: number[]): number => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
};
const time = (work: () => void): number => {
  const started = performance.now();
  work();
  return performance.now() - started;
};

const template = findTemplate('agent-service', packageRoot);
const inProcess: number[] = [];
const cli: number[] = [];
const bare: number[] = [];
for (let i = 0; i < RUNS; i++) {
  inProcess.push(time(() => scaffold({ template, values, target: join(work, `in-${i}`) })));
  cli.push(
    time(() => {
      const result = spawnSync(process.execPath, [bin, 'new', 'agent-service', join(work, `cli-${i}`), '--values', valuesFile], {
        encoding: 'utf8',
      });
      if (result.status !== 0) throw new Error(`charter new failed: ${result.stderr}`);
    }),
  );
  bare.push(time(() => spawnSync(process.execPath, ['-e', ''])));
}
rmSync(work, { recursive: true, force: true });

const scaffoldMs = median(inProcess);
const cliMs = median(cli);
const nodeMs = median(bare);
console.log(`scaffold() agent-service, render + write   median ${scaffoldMs.toFixed(1)} ms (${RUNS} runs)`);
console.log(
  `charter new agent-service (a new process)  median ${cliMs.toFixed(1)} ms  (${(cliMs / nodeMs).toFixed(1)}x a bare node start)`,
);
console.log(`node -e "" (anchor)                         median ${nodeMs.toFixed(1)} ms`);
console.log(`goal: charter new agent-service <= 1000 ms: ${cliMs <= 1000 ? 'met' : 'NOT met'}`);
console.log(
  JSON.stringify({
    newAgentServiceCliMs: Math.round(cliMs),
    scaffoldInProcessMs: Number(scaffoldMs.toFixed(1)),
    nodeStartMs: Math.round(nodeMs),
    runs: RUNS,
  }),
);
