// `npx tsx bench/shadow-per-request.probe.ts` (after a build; AB=name,... as in shadow-ab.probe.ts: builds
// in node_modules/.ab/<name>/, `current` for this package's dist): the control thread's time per request
// of each runner build, hot — a control that answers at once, awaited one request after another, 2,000 a
// round, 40 interleaved rounds (the first 5 dropped), a worker candidate that does nothing; median
// ns/request, and the difference to the control alone; ends with one JSON line of the medians.
import type { createShadowRunner as Create } from '@charter/rollout';
import { fileURLToPath, pathToFileURL } from 'node:url';

const variants = (process.env.AB ?? 'current').split(',');
const candidate = { module: fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url)), options: { workUs: 0, delayMs: 0 } };
interface Arm {
  run(i: number): Promise<string>;
  idle(): Promise<void>;
  close?(): Promise<void>;
}
const arms: Record<string, Arm> = { alone: { run: (i) => Promise.resolve(`answer ${i}`), idle: () => Promise.resolve() } };
for (const variant of variants) {
  const url =
    variant === 'current'
      ? new URL('../dist/shadow.js', import.meta.url).href
      : pathToFileURL(fileURLToPath(new URL(`../node_modules/.ab/${variant}/dist/shadow.js`, import.meta.url))).href;
  const { createShadowRunner } = (await import(url)) as { createShadowRunner: typeof Create };
  arms[variant] = createShadowRunner<number, string>({
    control: (i) => Promise.resolve(`answer ${i}`),
    candidate,
    noiseSampleRate: 0,
    maxInFlight: 1 << 20,
  });
}
const N = 2_000;
const results: Record<string, number[]> = Object.fromEntries(Object.keys(arms).map((name) => [name, []]));
for (let round = 0; round < 40; round++)
  for (const [name, arm] of Object.entries(arms)) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < N; i++) await arm.run(i);
    await new Promise((resolve) => setImmediate(resolve));
    if (round >= 5) results[name]?.push(Number(process.hrtime.bigint() - start) / N);
    await arm.idle();
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const alone = median(results.alone ?? []);
for (const [name, values] of Object.entries(results))
  console.log(
    `${name.padEnd(10)} ${median(values).toFixed(0).padStart(5)} ns/request${name === 'alone' ? '' : `  (+${(median(values) - alone).toFixed(0)})`}`,
  );
for (const arm of Object.values(arms)) if (arm.close !== undefined) await arm.close();
console.log(
  JSON.stringify(Object.fromEntries(Object.entries(results).map(([name, values]) => [`${name}NsPerRequest`, Math.round(median(values))]))),
);
