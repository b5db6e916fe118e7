// `npx tsx bench/sched-trace.probe.ts` (after a build; needs Linux `perf` — Debian linux-perf — and the
// right to trace the scheduler, root here): whether the shadow's threads stand in the way of the control's,
// as the kernel's scheduler saw it. Runs the I/O control (bench/harness.ts: a 1 ms round trip to a model
// thread, then 50 µs of work) with 8 in flight, `ROUNDS` × 2,000 requests a run (default 25), under
// `perf sched record`: alone (IA) and through the default shadow runner (IW: a worker process at
// SCHED_IDLE fed by its relay thread), `PAIRS` pairs of runs (default 3) in alternating order, added up.
// From `perf sched timehist` it takes every time the control's two threads (its main thread and the model
// thread) waited between their wake-up and running — the scheduling delay — and what ran on that core
// meanwhile: the control's own threads, the shadow's (its relay thread, its process and that process's
// threads) or anything else. Prints the delays' quantiles, how many waits were long (> 300 µs) and who
// was running through them; ends with one JSON line.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROUNDS = Number(process.env.ROUNDS ?? 25);
const PAIRS = Number(process.env.PAIRS ?? 3);
const IN_FLIGHT = 8;
const self = fileURLToPath(import.meta.url);

/** The ids a traced run writes for the analysis: its pid, and the shadow's relay thread and process. */
interface Ids {
  readonly pid: number;
  readonly relayTid?: number;
  readonly childPid?: number;
  readonly p95Us: number;
  readonly p99Us: number;
}

async function traced(arm: 'IA' | 'IW', idsFile: string): Promise<void> {
  const { createShadowRunner } = await import('@charter/rollout');
  const { quantile, startIoModel } = await import('./harness.js');
  const { controlIo, stop } = startIoModel();
  const candidate = { module: fileURLToPath(new URL('./shadow-candidate.mjs', import.meta.url)), options: { workUs: 50 } };
  const runner = arm === 'IW' ? createShadowRunner<number, string>({ control: controlIo, candidate, noiseSampleRate: 0 }) : undefined;
  const serve = runner === undefined ? controlIo : (i: number): Promise<string> => runner.run(i);
  const latencies: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < 2000) {
          const started = process.hrtime.bigint();
          await serve(next++);
          latencies.push(Number(process.hrtime.bigint() - started) / 1000);
        }
      }),
    );
    await runner?.idle();
  }
  const priority = runner?.summary().priority;
  const ids: Ids = {
    pid: process.pid,
    ...(priority?.relay?.tid === undefined ? {} : { relayTid: priority.relay.tid }),
    ...(priority?.tid === undefined ? {} : { childPid: priority.tid }),
    p95Us: Math.round(quantile(latencies, 0.95)),
    p99Us: Math.round(quantile(latencies, 0.99)),
  };
  writeFileSync(idsFile, JSON.stringify(ids));
  await runner?.close();
  await stop();
}

/** One line of `perf sched timehist`: when the task was switched out, on which CPU, its tid and pid, its scheduling delay and run time (ms). */
interface Slice {
  readonly end: number;
  readonly cpu: number;
  readonly tid: number;
  readonly pid: number;
  readonly delayMs: number;
  readonly runMs: number;
}

const LINE =
  /^\s{0,20}(\d{1,9}\.\d{1,9}) \[(\d{1,4})\]\s{1,4}.{1,40}?\[(\d{1,9})(?:\/(\d{1,9}))?\]\s{1,40}[\d.]{1,20}\s{1,20}([\d.]{1,20})\s{1,20}([\d.]{1,20})/;

function slices(text: string): Slice[] {
  const out: Slice[] = [];
  for (const line of text.split('\n')) {
    const m = LINE.exec(line.slice(0, 300));
    if (m === null) continue;
    const tid = Number(m[3]);
    out.push({
      end: Number(m[1]),
      cpu: Number(m[2]),
      tid,
      pid: m[4] === undefined ? tid : Number(m[4]),
      delayMs: Number(m[5]),
      runMs: Number(m[6]),
    });
  }
  return out;
}

type Who = 'control' | 'shadow' | 'other';

/** What one traced run showed: every scheduling delay of the control's two threads (µs), the long ones and who ran through them, and the run's latency. */
interface Tally {
  readonly delays: number[];
  /** The delays of the waits through which a thread of the shadow ran (µs). */
  readonly delaysWithShadow: number[];
  long: number;
  readonly longWith: Record<Who, number>;
  readonly ranWhileWaitingUs: Record<Who, number>;
  readonly p95Us: number[];
  readonly p99Us: number[];
}

const emptyTally = (): Tally => ({
  delays: [],
  delaysWithShadow: [],
  long: 0,
  longWith: { control: 0, shadow: 0, other: 0 },
  ranWhileWaitingUs: { control: 0, shadow: 0, other: 0 },
  p95Us: [],
  p99Us: [],
});

/** Adds one run's `perf sched timehist` to `tally`. */
function analyse(text: string, ids: Ids, tally: Tally): void {
  const all = slices(text);
  // The model thread: the control process's most switched thread after its main thread (the relay is the shadow's).
  const switches = new Map<number, number>();
  for (const s of all)
    if (s.pid === ids.pid && s.tid !== ids.pid && s.tid !== ids.relayTid) switches.set(s.tid, (switches.get(s.tid) ?? 0) + 1);
  const model = [...switches.entries()].sort((a, b) => b[1] - a[1])[0]?.[0] ?? -1;
  const watched = new Set([ids.pid, model]);
  const who = (s: Slice): Who =>
    s.tid === ids.relayTid || (ids.childPid !== undefined && s.pid === ids.childPid) ? 'shadow' : s.pid === ids.pid ? 'control' : 'other';
  const byCpu = new Map<number, Slice[]>();
  for (const s of all) {
    const list = byCpu.get(s.cpu);
    if (list === undefined) byCpu.set(s.cpu, [s]);
    else list.push(s);
  }
  for (const list of byCpu.values())
    list.forEach((s, index) => {
      if (!watched.has(s.tid)) return;
      const delayUs = s.delayMs * 1000;
      tally.delays.push(delayUs);
      if (delayUs === 0) return;
      const runStart = s.end - s.runMs / 1000;
      const woke = runStart - s.delayMs / 1000;
      const present = new Set<Who>();
      for (let j = index - 1; j >= 0 && list[j]!.end > woke; j--) {
        const other = list[j]!;
        const overlapUs = (Math.min(other.end, runStart) - Math.max(other.end - other.runMs / 1000, woke)) * 1e6;
        if (overlapUs <= 0) continue;
        tally.ranWhileWaitingUs[who(other)] += overlapUs;
        present.add(who(other));
      }
      if (present.has('shadow')) tally.delaysWithShadow.push(delayUs);
      if (delayUs > 300) {
        tally.long++;
        for (const each of present) tally.longWith[each]++;
      }
    });
  tally.p95Us.push(ids.p95Us);
  tally.p99Us.push(ids.p99Us);
}

/** The `x` quantile of `values` (0 when there are none). */
function quantileOf(values: readonly number[], x: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(x * (sorted.length - 1)))] ?? 0;
}

function summary(tally: Tally): Record<string, number> {
  const q = (x: number): number => quantileOf(tally.delays, x);
  const ms = (us: number): number => Math.round(us / 100) / 10;
  return {
    waits: tally.delays.length,
    delayP50Us: q(0.5),
    delayP90Us: q(0.9),
    delayP99Us: q(0.99),
    delayP999Us: q(0.999),
    waitsWithShadowRunning: tally.delaysWithShadow.length,
    delayWithShadowRunningP50Us: quantileOf(tally.delaysWithShadow, 0.5),
    delayWithShadowRunningP90Us: quantileOf(tally.delaysWithShadow, 0.9),
    longWaits: tally.long,
    longWaitsWithControlRunning: tally.longWith.control,
    longWaitsWithShadowRunning: tally.longWith.shadow,
    longWaitsWithOtherRunning: tally.longWith.other,
    controlRanWhileWaitingMs: ms(tally.ranWhileWaitingUs.control),
    shadowRanWhileWaitingMs: ms(tally.ranWhileWaitingUs.shadow),
    otherRanWhileWaitingMs: ms(tally.ranWhileWaitingUs.other),
    p95Us: quantileOf(tally.p95Us, 0.5),
    p99Us: quantileOf(tally.p99Us, 0.5),
  };
}

const arm = process.argv[2];
if (arm === 'IA' || arm === 'IW') await traced(arm, process.argv[3] ?? 'ids.json');
else {
  if (spawnSync('perf', ['--version']).status !== 0)
    throw new Error('sched-trace.probe.ts needs Linux perf (Debian: linux-perf) on the PATH');
  const dir = mkdtempSync(join(tmpdir(), 'charter-sched-'));
  const tallies = { IA: emptyTally(), IW: emptyTally() };
  try {
    for (let pair = 0; pair < PAIRS; pair++)
      for (const each of pair % 2 === 0 ? (['IA', 'IW'] as const) : (['IW', 'IA'] as const)) {
        const data = join(dir, `${each}.data`);
        const ids = join(dir, `${each}.json`);
        execFileSync('perf', ['sched', 'record', '-q', '-o', data, '--', process.execPath, ...process.execArgv, self, each, ids], {
          stdio: ['ignore', 'ignore', 'inherit'],
        });
        const text = execFileSync('perf', ['sched', 'timehist', '-i', data], {
          maxBuffer: 1 << 30,
          stdio: ['ignore', 'pipe', 'ignore'],
        }).toString();
        analyse(text, JSON.parse(readFileSync(ids, 'utf8')) as Ids, tallies[each]);
      }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const json: Record<string, number> = {};
  for (const each of ['IA', 'IW'] as const) {
    const r = summary(tallies[each]);
    console.log(
      `${each === 'IA' ? 'I/O control alone ' : 'through the shadow'}: ${PAIRS} runs × ${ROUNDS * 2000} requests, ${IN_FLIGHT} in flight, latency p95 ${r.p95Us} µs, p99 ${r.p99Us} µs (median of the runs); the control's threads waited to run ${r.waits} times, delay p50/p90/p99/p99.9 ${r.delayP50Us}/${r.delayP90Us}/${r.delayP99Us}/${r.delayP999Us} µs; ${r.waitsWithShadowRunning} waits with a thread of the shadow running on that core (delay p50/p90 ${r.delayWithShadowRunningP50Us}/${r.delayWithShadowRunningP90Us} µs); ${r.longWaits} waits > 300 µs, with the control's own threads running through ${r.longWaitsWithControlRunning} of them, the shadow's ${r.longWaitsWithShadowRunning}, others ${r.longWaitsWithOtherRunning}; while they waited, ran: the control's threads ${r.controlRanWhileWaitingMs} ms, the shadow's ${r.shadowRanWhileWaitingMs} ms, others ${r.otherRanWhileWaitingMs} ms`,
    );
    for (const [key, value] of Object.entries(r)) json[`${each}:${key}`] = value;
  }
  console.log(JSON.stringify(json));
}
