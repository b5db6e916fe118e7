// Probe (not part of `npm run bench`): the default shadow of this build against another build of the
// package, interleaved in one process — used to compare samples staged in the ring as they come (this
// build) with samples held and packed as a batch at each handoff (b4ebfdf). Timer and I/O controls,
// one after another and 8 in flight; differences to A1 (IA1 for the I/O arms), median over rounds of
// the paired per-round difference with a 95 % bootstrap interval.
//   git worktree add /tmp/prev b4ebfdf && (cd /tmp/prev && npm ci && npx turbo run build --filter=@charter/rollout...)
//   npm run build -w @charter/rollout
//   OLD_DIST=/tmp/prev/packages/rollout/dist/index.js ROUNDS=21 npx tsx bench/staged-ab.probe.ts
import { fileURLToPath } from 'node:url';
import { createShadowRunner } from '../dist/index.js';
import { control, difference, type RoundStats, round, type Serve, startIoModel } from './harness.js';

const oldDist = process.env.OLD_DIST;
if (oldDist === undefined) throw new Error('OLD_DIST must name the other build: its dist/index.js (see the header)');
const old = (await import(oldDist)) as { createShadowRunner: typeof createShadowRunner };
const { controlIo, stop } = startIoModel();
const candidateModule = fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url));
const shadow = (make: typeof createShadowRunner, io: boolean): Serve => {
  const runner = make<number, string>({
    control: io ? controlIo : control,
    candidate: { module: candidateModule, options: { workUs: 50 } },
    noiseSampleRate: 0,
  });
  return { serve: (i) => runner.run(i), settle: () => runner.idle() };
};
const alone: Serve = { serve: control, settle: () => Promise.resolve() };
const aloneIo: Serve = { serve: controlIo, settle: () => Promise.resolve() };
const arms: Record<string, Serve> = {
  A1: alone,
  A2: alone,
  THIS: shadow(createShadowRunner, false),
  OTHER: shadow(old.createShadowRunner, false),
  IA1: aloneIo,
  IA2: aloneIo,
  ITHIS: shadow(createShadowRunner, true),
  IOTHER: shadow(old.createShadowRunner, true),
};
const names = Object.keys(arms);
const stats = new Map(names.map((name) => [name, { sequential: [] as RoundStats[], concurrent: [] as RoundStats[] }]));
for (const name of names) {
  await round(arms[name]!, 50, 1);
  await round(arms[name]!, 50, 8);
}
const ROUNDS = Number(process.env.ROUNDS ?? 21);
for (let r = 0; r < ROUNDS; r++)
  for (let k = 0; k < names.length; k++) {
    const name = names[(k + r) % names.length]!;
    stats.get(name)!.sequential.push(await round(arms[name]!, 300, 1));
    stats.get(name)!.concurrent.push(await round(arms[name]!, 2000, 8));
  }
const figures: Record<string, number> = {};
for (const name of names.filter((each) => each !== 'A1' && each !== 'IA1')) {
  const reference = stats.get(name.startsWith('I') ? 'IA1' : 'A1')!;
  const parts: string[] = [];
  for (const mode of ['sequential', 'concurrent'] as const)
    for (const stat of ['median', 'p95', 'p99'] as const) {
      const d = difference(
        stats.get(name)![mode].map((each) => each[stat]),
        reference[mode].map((each) => each[stat]),
      );
      figures[`${name}_${mode}_${stat}_us`] = Math.round(d.estimate * 10) / 10;
      parts.push(
        `${mode === 'sequential' ? 'seq' : '8 in flight'} ${stat} ${d.estimate >= 0 ? '+' : ''}${d.estimate.toFixed(1)} [${d.lower.toFixed(1)}, ${d.upper.toFixed(1)}]`,
      );
    }
  console.log(`${name.padEnd(7)} ${parts.join('  ')}`);
}
console.log(JSON.stringify(figures));
await stop();
process.exit(0);
