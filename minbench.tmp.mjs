import { spawnSync } from 'node:child_process';
const targets = [undefined, 'zod', ...process.argv.slice(2)];
const times = targets.map(() => []);
for (let r = 0; r < Number(process.env.R ?? 21); r++) for (const [i, t] of targets.entries()) {
  const s = process.hrtime.bigint();
  const o = spawnSync(process.execPath, ['--input-type=module', '-e', t ? `await import(${JSON.stringify(t)})` : ''], { encoding: 'utf8' });
  if (o.status !== 0) throw new Error(o.stderr);
  times[i].push(Number(process.hrtime.bigint() - s) / 1e6);
}
const min = (a) => Math.min(...a); const med = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
targets.forEach((t, i) => console.log((t ?? 'bare').padEnd(22), 'min', min(times[i]).toFixed(1), 'med', med(times[i]).toFixed(1), 'min over zod', (min(times[i]) - min(times[1])).toFixed(1)));
