// `npm run load -w @charter/serve`: the service on 127.0.0.1 under autocannon, bounded in requests and
// time. Three tenants; an instant (or --latency-ms) offline model; each request refunds a unique order,
// so every accepted run must leave exactly one refund effect.
//   1. throughput: the three tenants without quotas, closed loop, 8 connections each;
//   2. unloaded: tenants a and b at --rate requests/s each (p50/p95/p99 per tenant);
//   3. loaded: a and b as before, "flood" at 10× their rate with a requestsPerMinute quota of 2× their
//      volume in the phase (2 × rate × seconds: 120). The quota is paced (a token bucket of a tenth of it,
//      refilled at quota / 60 a second, within the sliding minute): the flood is admitted 12 at once,
//      then 2 a second, and refused (429) beyond; halfway through, a second instance's worker pool is
//      killed mid-run (its leases expire, the main instance takes its runs over). Its idle pool polls
//      rarely (one worker, backing off to idleMaxMs), so from halfway on runs of a fourth tenant, "kill",
//      are also requested from the second instance itself (async, one at a time) until one is in flight.
// Then it waits for the queue to empty and counts lost and duplicated runs. Prints the phases, then ONE
// JSON line of headline figures.
// Options: --db <url> (default CHARTER_TEST_DATABASE_URL, else pglite:memory), --seconds N (per phase, 6),
// --rate N (10), --workers N (4), --latency-ms N (0), --aligned (phases 2 and 3: each tenant's requests of a
// second sent together at its start, autocannon's own pacing, instead of spread evenly over it), --statements (print each statement's count per run of phase 1),
// --timeline (phases 2 and 3: where a run's time goes — HTTP, admission, queue wait, execution, finish, answer —
// each statement's round trip, the event loop's delay; and phase 3 per 250 ms: a and b's latencies, the
// flood's admitted and refused requests, the kill).
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { openState, sqlStores, type StateStores } from '@charter/state';
import { readEffects, shopAgent } from '../src/__fixtures__/shop.js';
import { createService } from '../src/service.js';
import type { ClientCommand, ClientReply, LoadCommand } from './load-client.js';

const { values } = parseArgs({
  options: {
    db: { type: 'string' },
    seconds: { type: 'string', default: '6' },
    rate: { type: 'string', default: '10' },
    aligned: { type: 'boolean', default: false },
    workers: { type: 'string', default: '4' },
    'latency-ms': { type: 'string', default: '0' },
    statements: { type: 'boolean', default: false },
    timeline: { type: 'boolean', default: false },
  },
});
const seconds = Number(values.seconds);
const rate = Number(values.rate);
// Phases 2 and 3 spread each tenant's requests over the second (a and b: `rate` generators of 1 request a
// second, the flood: 5 × rate generators of 2, each started 1000 / n ms after the previous); --aligned
// sends each second's requests of every tenant at the start of the second, as one autocannon instance
// per tenant does (its clients' budgets refill together): the flood's 100 then land on a and b's 20.
const spread = (n: number): { spread?: number } => (values.aligned ? {} : { spread: n });
const workers = Number(values.workers);
const latencyMs = Number(values['latency-ms']);
const url = values.db ?? process.env.CHARTER_TEST_DATABASE_URL ?? 'pglite:memory';
const postgres = url.startsWith('postgres');
const schema = `load_${randomBytes(4).toString('hex')}`;
const scratch = mkdtempSync(join(tmpdir(), 'charter-serve-load-'));
const effects = join(scratch, 'effects.jsonl');

const state: StateStores = await openState({ url, ...(postgres ? { schema, maxConnections: 20 } : {}), leaseMs: 2000 });
const agent = shopAgent({ effects, modelLatencyMs: latencyMs });
const service = createService({
  agent,
  state,
  workers,
  leaseMs: 1000,
  maxQueued: 5000,
  idleMs: 5,
  quotas: { requestsPerMinute: 1_000_000, concurrentRuns: 100_000 },
  limits: { syncTimeoutMs: 30_000 },
});
// A second instance (workers only) sharing the database: the one whose pool gets killed.
const second = createService({
  agent: shopAgent({ effects, modelLatencyMs: latencyMs }),
  state: sqlStores(state.sql!, { leaseMs: 2000 }),
  workers: 2,
  leaseMs: 1000,
  idleMs: 5,
  // The same per-tenant cap as the main instance (a deployment configures its instances alike; the
  // default, workers − 1, would cap this 2-worker instance at 1 run per tenant across all instances).
  maxRunningPerTenant: Math.max(1, workers - 1),
});
// --timeline: the stages of each sync run in this process (performance.now() ms), each statement's round
// trip by kind, and the event loop's delay; `phaseTrace` starts a phase's collection.
interface RunTrace {
  tenant?: string;
  request?: number;
  admitStart?: number;
  admitEnd?: number;
  claimed?: number;
  finishStart?: number;
  finishEnd?: number;
  answered?: number;
}
type Moment = Exclude<keyof RunTrace, 'tenant'>;
const traces = new Map<string, RunTrace>();
const statementMs = new Map<string, number[]>();
const serverStatementMs = new Map<string, number[]>();
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
const traceOf = (id: string): RunTrace => {
  let trace = traces.get(id);
  if (trace === undefined) traces.set(id, (trace = {}));
  return trace;
};
const statementKind = (text: string): string => {
  const kinds: [string, string][] = [
    ['serve_admit', 'admit (durable)'],
    ['serve_finish_claim', 'finish+claim'],
    ['serve_claim', 'claim'],
    ['WITH claim AS', 'ledger started (durable)'],
    ['WITH written AS', 'ledger end (durable)'],
    ['ledger_lock(', 'ledger lock'],
    ['UPDATE jobs SET lease_until', 'lease renewal'],
    ['FROM tenants', 'tenant'],
  ];
  return kinds.find(([needle]) => text.includes(needle))?.[1] ?? 'other';
};
if (values.timeline) {
  const sql = state.sql!;
  const query = sql.query.bind(sql);
  (sql as { query: typeof sql.query }).query = async (text, params) => {
    const begun = performance.now();
    try {
      return await query(text, params);
    } finally {
      const kind = statementKind(text);
      const list = statementMs.get(kind) ?? [];
      list.push(performance.now() - begun);
      statementMs.set(kind, list);
    }
  };
  for (const queue of [service.queue, second.queue]) {
    const enqueue = queue.enqueue.bind(queue);
    const claim = queue.claim.bind(queue);
    const finishAndClaim = queue.finishAndClaim.bind(queue);
    queue.enqueue = async (...args: Parameters<typeof enqueue>) => {
      const begun = performance.now();
      const admitted = await enqueue(...args);
      if ('job' in admitted)
        Object.assign(traceOf(admitted.job.id), { tenant: args[0].id, admitStart: begun, admitEnd: performance.now() });
      return admitted;
    };
    queue.claim = async (...args: Parameters<typeof claim>) => {
      const job = await claim(...args);
      if (job?.attempts === 1) traceOf(job.id).claimed = performance.now();
      return job;
    };
    queue.finishAndClaim = async (...args: Parameters<typeof finishAndClaim>) => {
      const begun = performance.now();
      const outcome = await finishAndClaim(...args);
      const end = performance.now();
      Object.assign(traceOf(args[0].id), { finishStart: begun, finishEnd: end });
      if (outcome.next?.attempts === 1) traceOf(outcome.next.id).claimed = end;
      return outcome;
    };
  }
  const started = new WeakMap<object, number>();
  service.app.addHook('onRequest', (request, _reply, done) => {
    started.set(request, performance.now());
    done();
  });
  service.app.addHook('onResponse', (request, reply, done) => {
    const location = reply.getHeader('location');
    if (reply.statusCode === 200 && typeof location === 'string')
      Object.assign(traceOf(location.slice(location.lastIndexOf('/') + 1)), { request: started.get(request), answered: performance.now() });
    done();
  });
}
let phaseTraceStart = 0;
const phaseTrace = (): void => {
  phaseTraceStart = performance.now();
  traces.clear();
  statementMs.clear();
  serverStatementMs.clear();
  loopDelay.reset();
  loopDelay.enable();
};
/** Phase-wide stage and statement figures (ms) of the runs traced since `phaseTrace`. */
function traceReport(label: string): void {
  loopDelay.disable();
  const stage = (from: Moment, to: Moment) =>
    [...traces.values()].flatMap((t) => (t[from] === undefined || t[to] === undefined ? [] : [t[to] - t[from]]));
  const row = (xs: number[]) => ({ n: xs.length, p50: pct(xs, 50), p95: pct(xs, 95), max: pct(xs, 100) });
  console.log(`${label}: a sync run's stages in the service (ms)`);
  console.table({
    'request → admission': row(stage('request', 'admitStart')),
    'admission (serve_admit)': row(stage('admitStart', 'admitEnd')),
    'queued → claimed': row(stage('admitEnd', 'claimed')),
    'execution (agent, ledger)': row(stage('claimed', 'finishStart')),
    'finish+claim': row(stage('finishStart', 'finishEnd')),
    'finished → answered': row(stage('finishEnd', 'answered')),
    'request → answered': row(stage('request', 'answered')),
  });
  console.log(`${label}: round trips by statement (ms, from this process: pool wait included)`);
  console.table(Object.fromEntries([...statementMs].map(([kind, xs]) => [kind, row(xs)])));
  console.log(`${label}: the same on the connection (ms: the server's answer, without the pool wait)`);
  console.table(Object.fromEntries([...serverStatementMs].map(([kind, xs]) => [kind, row(xs)])));
  // The histogram holds each 5 ms timer's whole interval: its lateness is beyond the 5 ms.
  const late = (ns: number) => Math.round(Math.max(0, ns / 1e6 - 5) * 100) / 100;
  console.log(
    `${label}: event loop lateness (ms) p50 ${late(loopDelay.percentile(50))} p95 ${late(loopDelay.percentile(95))} p99 ${late(loopDelay.percentile(99))} max ${late(loopDelay.max)}`,
  );
  // Per 250 ms of service time, by admission: a and b's stages (p50/p95) and the flood's runs admitted, claimed and running at most.
  const bucketMs = 250;
  const byBucket = new Map<number, RunTrace[]>();
  for (const t of traces.values()) {
    if (t.admitEnd === undefined) continue;
    const index = Math.floor((t.admitEnd - phaseTraceStart) / bucketMs);
    byBucket.set(index, [...(byBucket.get(index) ?? []), t]);
  }
  const flood = [...traces.values()].filter((t) => t.tenant === 'flood' && t.claimed !== undefined);
  const runningAt = (at: number, tenant: (id: string | undefined) => boolean) =>
    [...traces.values()].filter((t) => tenant(t.tenant) && t.claimed !== undefined && t.claimed <= at && (t.finishStart ?? Infinity) > at)
      .length;
  const maxRunning = (from: number, tenant: (id: string | undefined) => boolean) => {
    let most = 0;
    for (let at = from; at < from + bucketMs; at += 5) most = Math.max(most, runningAt(at, tenant));
    return most;
  };
  if (flood.length === 0) return;
  console.log(
    `${label}: per ${bucketMs} ms by admission: a and b's admission, queue wait, execution and request → answer in the service, p50 / p95 (ms); runs at most`,
  );
  console.table(
    Object.fromEntries(
      [...byBucket]
        .sort(([x], [y]) => x - y)
        .map(([index, list]) => {
          const others = list.filter((t) => t.tenant === 'a' || t.tenant === 'b');
          const at = phaseTraceStart + index * bucketMs;
          const two = (xs: number[]) => `${pct(xs, 50)} / ${pct(xs, 95)}`;
          const of = (from: Moment, to: Moment) =>
            others.flatMap((t) => (t[from] === undefined || t[to] === undefined ? [] : [t[to] - t[from]]));
          return [
            `${((index * bucketMs) / 1000).toFixed(2)} s`,
            {
              others: others.length,
              admission: two(of('admitStart', 'admitEnd')),
              queued: two(of('admitEnd', 'claimed')),
              execution: two(of('claimed', 'finishStart')),
              inService: two(of('request', 'answered')),
              floodAdmitted: list.filter((t) => t.tenant === 'flood').length,
              floodRunningMax: maxRunning(at, (id) => id === 'flood'),
              othersRunningMax: maxRunning(at, (id) => id === 'a' || id === 'b'),
            },
          ];
        }),
    ),
  );
}

const base = await service.listen({ port: 0 });
const key = async (id: string, quotas: Record<string, number> = {}) => (await service.tenants.add(id, { quotas })).apiKey;
const keys = {
  a: await key('a'),
  b: await key('b'),
  // Twice what a or b sends in a phase, as a rate quota: a burst of a tenth of it, then quota / 60 a second.
  flood: await key('flood', { requestsPerMinute: Math.round(rate * 2 * seconds) }),
  t1: await key('t1'),
  t2: await key('t2'),
  t3: await key('t3'),
  kill: await key('kill'),
};

// The load generator runs in its own process (bench/load-client.ts), so the CPU this process uses is
// the service's (both instances) alone.
const client = fork(fileURLToPath(new URL('./load-client.ts', import.meta.url)), [], { execArgv: process.execArgv, stdio: 'inherit' });
const pendingLoads = new Map<number, (reply: Extract<ClientReply, { type: 'done' }>) => void>();
let pendingCpu: ((reply: Extract<ClientReply, { type: 'cpu' }>) => void) | undefined;
client.on('message', (message: ClientReply) => {
  if (message.type === 'done') pendingLoads.get(message.id)?.(message);
  else if (message.type === 'cpu') pendingCpu?.(message);
  else throw new Error(`load client: ${message.message}`);
});
let loadId = 0;
interface Sample {
  latencies: number[];
  statuses: Map<number, number>;
  /** [epoch ms of the answer, latency ms, status] */
  responses: [number, number, number][];
}
function load(
  tenantKey: string,
  options: { connections: number; overallRate?: number; duration: number; spread?: number },
): { done: Promise<unknown>; sample: Sample } {
  const sample: Sample = { latencies: [], statuses: new Map(), responses: [] };
  const id = ++loadId;
  const done = new Promise((resolve) => {
    pendingLoads.set(id, (message) => {
      pendingLoads.delete(id);
      sample.latencies.push(...message.latencies);
      sample.responses.push(...message.responses);
      for (const [code, n] of message.statuses) sample.statuses.set(code, n);
      resolve(message);
    });
  });
  const command: LoadCommand = { type: 'load', id, url: `${base}/v1/agents/serve-shop/runs`, key: tenantKey, ...options };
  client.send(command);
  return { done, sample };
}
const clientCpuMs = (): Promise<number> =>
  new Promise((resolve) => {
    pendingCpu = (message) => {
      resolve((message.userUs + message.systemUs) / 1000);
    };
    client.send({ type: 'cpu' } satisfies ClientCommand);
  });

// CPU of the PostgreSQL server's processes (backends and background processes, from pg_stat_activity and
// /proc; only when the server runs on this host), and round trips to it from this process (node-postgres's
// Client.query, each a round trip: a multi-statement text like "BEGIN; SET LOCAL …" counts once).
const ticksPerS = 100;
async function serverCpuMs(): Promise<{ total: number; system: number } | undefined> {
  if (!postgres) return undefined;
  const { rows: pids } = await state.sql!.query<{ pid: number }>('SELECT pid FROM pg_stat_activity');
  let ticks = 0;
  let systemTicks = 0;
  for (const { pid } of pids) {
    try {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
      systemTicks += Number(fields[12]);
    } catch {
      return undefined; // not this host's server
    }
  }
  return { total: (ticks * 1000) / ticksPerS, system: (systemTicks * 1000) / ticksPerS };
}
let roundTrips = 0;
const hist = new Map<string, number>();
if (postgres) {
  const { default: pg } = await import('pg');
  const query = Reflect.get(pg.Client.prototype, 'query') as (...args: unknown[]) => unknown;
  pg.Client.prototype.query = function (this: unknown, ...args: unknown[]) {
    roundTrips++;
    if (values.statements) {
      const first = args[0] as string | { text?: string };
      const text = (typeof first === 'string' ? first : (first.text ?? '?')).replace(/\s+/g, ' ').slice(0, 90);
      hist.set(text, (hist.get(text) ?? 0) + 1);
    }
    if (!values.timeline) return query.apply(this, args);
    // The server's share of a round trip (from the connection's send to its answer: no pool wait).
    const first = args[0] as string | { text?: string };
    const kind = statementKind(typeof first === 'string' ? first : (first.text ?? ''));
    const begun = performance.now();
    const record = (): void => {
      const list = serverStatementMs.get(kind) ?? [];
      list.push(performance.now() - begun);
      serverStatementMs.set(kind, list);
    };
    const last = args.at(-1);
    if (typeof last === 'function') {
      args[args.length - 1] = (...results: unknown[]) => {
        record();
        return (last as (...x: unknown[]) => unknown)(...results);
      };
      return query.apply(this, args);
    }
    const result = query.apply(this, args);
    if (result instanceof Promise) void result.then(record, record);
    return result;
  } as typeof pg.Client.prototype.query;
}
const committed = async (): Promise<number> =>
  postgres
    ? Number(
        (await state.sql!.query<{ n: string }>('SELECT xact_commit AS n FROM pg_stat_database WHERE datname = current_database()')).rows[0]
          ?.n ?? 0,
      )
    : 0;
interface Meter {
  stop(runs: number): Promise<{
    serviceCpuMsPerRun: number;
    generatorCpuMsPerRun: number;
    serverCpuMsPerRun?: number;
    serverSystemCpuMsPerRun?: number;
    roundTripsPerRun?: number;
    commitsPerRun?: number;
  }>;
}
async function meter(): Promise<Meter> {
  const [service0, generator0, server0, commits0] = [process.cpuUsage(), await clientCpuMs(), await serverCpuMs(), await committed()];
  const trips0 = roundTrips;
  return {
    async stop(runs) {
      const service1 = process.cpuUsage(service0);
      const trips = roundTrips - trips0;
      const [generator1, server1, commits1] = [await clientCpuMs(), await serverCpuMs(), await committed()];
      const per = (x: number): number => Math.round((x / Math.max(1, runs)) * 100) / 100;
      return {
        serviceCpuMsPerRun: per((service1.user + service1.system) / 1000),
        generatorCpuMsPerRun: per(generator1 - generator0),
        ...(server0 === undefined || server1 === undefined
          ? {}
          : { serverCpuMsPerRun: per(server1.total - server0.total), serverSystemCpuMsPerRun: per(server1.system - server0.system) }),
        ...(postgres ? { roundTripsPerRun: per(trips), commitsPerRun: per(commits1 - commits0) } : {}),
      };
    },
  };
}

const pct = (values: number[], p: number): number => {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((x, y) => x - y);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! * 10) / 10;
};
const summary = (sample: Sample) => ({
  ok: sample.latencies.length,
  p50Ms: pct(sample.latencies, 50),
  p95Ms: pct(sample.latencies, 95),
  p99Ms: pct(sample.latencies, 99),
  statuses: Object.fromEntries(sample.statuses),
});
const jain = (xs: number[]): number =>
  Math.round((xs.reduce((s, x) => s + x, 0) ** 2 / (xs.length * xs.reduce((s, x) => s + x * x, 0))) * 1000) / 1000;

console.log(
  `load: ${postgres ? 'PostgreSQL' : 'PGlite'} (${url.replace(/:[^:@/]*@/, ':***@')}), ${workers}+2 workers, model latency ${latencyMs} ms, ${seconds} s per phase`,
);

// 1. throughput
const loadStart = Math.round(loadavg()[0]! * 100) / 100;
const tpMeter = await meter();
const t0 = Date.now();
const tp = [
  load(keys.t1, { connections: 8, duration: seconds }),
  load(keys.t2, { connections: 8, duration: seconds }),
  load(keys.t3, { connections: 8, duration: seconds }),
];
await Promise.all(tp.map((x) => x.done));
const tpSeconds = (Date.now() - t0) / 1000;
const tpRuns = tp.reduce((s, x) => s + x.sample.latencies.length, 0);
const throughputRunsPerS = Math.round(tpRuns / tpSeconds);
const tpCost = await tpMeter.stop(tpRuns);
if (values.statements) for (const [t, n] of [...hist].sort((x, y) => y[1] - x[1])) console.log((n / tpRuns).toFixed(2), t);
console.log(
  `1. throughput: ${tpRuns} runs in ${tpSeconds.toFixed(1)} s = ${throughputRunsPerS} runs/s`,
  tp.map((x) => summary(x.sample)),
  tpCost,
);

// 2. unloaded
if (values.timeline) phaseTrace();
const un = {
  a: load(keys.a, { connections: 4, overallRate: rate, duration: seconds, ...spread(rate) }),
  b: load(keys.b, { connections: 4, overallRate: rate, duration: seconds, ...spread(rate) }),
};
await Promise.all([un.a.done, un.b.done]);
console.log('2. unloaded', { a: summary(un.a.sample), b: summary(un.b.sample) });
if (values.timeline) traceReport('2. unloaded');

// --timeline: CPU per 250 ms of phase 3 (ms of CPU in each 250 ms: this process, the load generator, the
// PostgreSQL server's processes, and the whole machine, /proc/stat, where other work shows too).
const ticks = (pid: number | 'self'): number => {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ticksPerS;
  } catch {
    return 0;
  }
};
const machineBusyMs = (): number => {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return ((fields.reduce((sum, x) => sum + x, 0) - idle) * 1000) / ticksPerS;
};
const cpuTimeline: { at: number; service: number; generator: number; server: number; machine: number }[] = [];
let cpuSampler: NodeJS.Timeout | undefined;
if (values.timeline) {
  const pids = postgres ? (await state.sql!.query<{ pid: number }>('SELECT pid FROM pg_stat_activity')).rows.map((row) => row.pid) : [];
  const sample = () => {
    const usage = process.cpuUsage();
    cpuTimeline.push({
      at: Date.now(),
      service: (usage.user + usage.system) / 1000,
      generator: client.pid === undefined ? 0 : ticks(client.pid),
      server: pids.reduce((sum, pid) => sum + ticks(pid), 0),
      machine: machineBusyMs(),
    });
  };
  sample();
  cpuSampler = setInterval(sample, 250);
}

// 3. loaded, with a worker pool killed halfway
if (values.timeline) phaseTrace();
const loadedStart = Date.now();
// CPU in phase 3: this process (both instances) and the PostgreSQL server, per second of the phase.
const loadedCpu0 = process.cpuUsage();
const loadedServer0 = await serverCpuMs();
let killedAt: number | undefined;
const lo = {
  a: load(keys.a, { connections: 4, overallRate: rate, duration: seconds, ...spread(rate) }),
  b: load(keys.b, { connections: 4, overallRate: rate, duration: seconds, ...spread(rate) }),
  flood: load(keys.flood, { connections: 40, overallRate: rate * 10, duration: seconds, ...spread(rate * 5) }),
};
let killedInFlight = 0;
// Runs requested from the second instance to have one in flight there (accepted ones are counted).
let killRequests = 0;
let killAccepted = 0;
let killPending = false;
const requestOnSecond = (): void => {
  killPending = true;
  killRequests++;
  void second.app
    .inject({
      method: 'POST',
      url: `/v1/agents/${second.agentName}/runs`,
      headers: { authorization: `Bearer ${keys.kill}`, 'content-type': 'application/json' },
      payload: JSON.stringify({ input: `refund A-${900_000 + killRequests} 40`, mode: 'async' }),
    })
    .then((response) => {
      if (response.statusCode < 300) killAccepted++;
    })
    .finally(() => (killPending = false));
};
// From halfway on, kill the second instance's pool as soon as it is mid-run (a run in flight).
const killAt = setTimeout(
  () => {
    const poll = setInterval(() => {
      if (second.workers.inFlight === 0) {
        if (!killPending) requestOnSecond();
        return;
      }
      killedInFlight = second.workers.inFlight;
      killedAt = Date.now();
      second.workers.kill();
      clearInterval(poll);
    }, 2);
    setTimeout(
      () => {
        clearInterval(poll);
      },
      (seconds * 1000) / 2,
    ).unref();
  },
  (seconds * 1000) / 2,
);
await Promise.all([lo.a.done, lo.b.done, lo.flood.done]);
const loadedCpu = process.cpuUsage(loadedCpu0);
const loadedServer1 = await serverCpuMs();
const loadedS = (Date.now() - loadedStart) / 1000;
const loadedServiceCpuMsPerS = Math.round((loadedCpu.user + loadedCpu.system) / 1000 / loadedS);
const loadedServerCpuMsPerS =
  loadedServer0 === undefined || loadedServer1 === undefined ? null : Math.round((loadedServer1.total - loadedServer0.total) / loadedS);
clearTimeout(killAt);
clearInterval(cpuSampler);
console.log('3. loaded', { a: summary(lo.a.sample), b: summary(lo.b.sample), flood: summary(lo.flood.sample) });
if (values.timeline) {
  traceReport('3. loaded');
  // Per 250 ms of the phase, by when each request was sent: a and b's runs, the flood's admitted runs and refusals.
  const bucketMs = 250;
  const buckets = new Map<number, { others: number[]; floodOk: number; flood429: number }>();
  const bucket = (at: number, ms: number) => {
    const index = Math.floor((at - ms - loadedStart) / bucketMs);
    let entry = buckets.get(index);
    if (entry === undefined) buckets.set(index, (entry = { others: [], floodOk: 0, flood429: 0 }));
    return entry;
  };
  for (let index = 0; index < (seconds * 1000) / bucketMs; index++) buckets.set(index, { others: [], floodOk: 0, flood429: 0 });
  for (const [at, ms, status] of [...lo.a.sample.responses, ...lo.b.sample.responses]) if (status < 300) bucket(at, ms).others.push(ms);
  for (const [at, ms, status] of lo.flood.sample.responses) {
    const entry = bucket(at, ms);
    if (status < 300) entry.floodOk++;
    else if (status === 429) entry.flood429++;
  }
  const killBucket = killedAt === undefined ? undefined : Math.floor((killedAt - loadedStart) / bucketMs);
  const cpuIn = (index: number) => {
    const inside = cpuTimeline.filter((x) => Math.floor((x.at - loadedStart) / bucketMs) <= index);
    const [before, last] = [inside.at(-2), inside.at(-1)];
    if (before === undefined || last === undefined || Math.floor((last.at - loadedStart) / bucketMs) !== index) return {};
    const ms = (key: 'service' | 'generator' | 'server' | 'machine') => Math.round(last[key] - before[key]);
    return { cpuService: ms('service'), cpuGenerator: ms('generator'), cpuServer: ms('server'), cpuMachine: ms('machine') };
  };
  console.log(
    `3. loaded: per ${bucketMs} ms by send time (a and b's runs; the flood's 2xx and 429); CPU ms in the 250 ms (service, generator, PostgreSQL, the whole machine of 2 cores: 500 at most)`,
  );
  console.table(
    Object.fromEntries(
      [...buckets]
        .sort(([x], [y]) => x - y)
        .map(([index, entry]) => [
          `${((index * bucketMs) / 1000).toFixed(2)} s${index === killBucket ? ' kill' : ''}`,
          {
            n: entry.others.length,
            p50: pct(entry.others, 50),
            p95: pct(entry.others, 95),
            max: pct(entry.others, 100),
            floodOk: entry.floodOk,
            flood429: entry.flood429,
            ...cpuIn(index),
          },
        ]),
    ),
  );
  // The others' p95 without parts of the phase: which part makes it.
  const others = [...lo.a.sample.responses, ...lo.b.sample.responses].filter(([, , status]) => status < 300);
  const floodLast = Math.max(
    0,
    ...lo.flood.sample.responses.filter(([, , status]) => status < 300).map(([at, ms]) => at - ms - loadedStart),
  );
  const p95Of = (keep: (sentMs: number, ms: number) => boolean) => {
    const xs = others.filter(([at, ms]) => keep(at - ms - loadedStart, ms)).map(([, ms]) => ms);
    return { n: xs.length, p95: pct(xs, 95) };
  };
  const kill = killedAt === undefined ? Number.POSITIVE_INFINITY : killedAt - loadedStart;
  console.log("3. loaded: the others' p95 by part of the phase", {
    floodAdmittedUntilMs: Math.round(floodLast),
    killAtMs: killedAt === undefined ? null : kill,
    all: p95Of(() => true),
    whileFloodAdmitted: p95Of((sent) => sent <= floodLast),
    afterFloodAdmitted: p95Of((sent) => sent > floodLast),
    afterFloodAdmittedBeforeKill: p95Of((sent) => sent > floodLast && sent < kill),
    withoutKillSecond: p95Of((sent) => sent < kill - 100 || sent > kill + 1500),
    afterFloodWithoutKillSecond: p95Of((sent) => sent > floodLast && (sent < kill - 100 || sent > kill + 1500)),
  });
}

// Drain, then count.
// Requests the client gave up on at the end of a phase may still be admitted after it: the queue is
// drained only when it is empty and no job has been added for a second.
const drainStart = Date.now();
const jobCount = async (): Promise<number> =>
  Number((await state.sql!.query<{ n: string }>('SELECT count(*) AS n FROM jobs')).rows[0]?.n ?? 0);
let lastCount = -1;
let stableSince = Date.now();
for (;;) {
  const depth = await service.queue.depth();
  const count = await jobCount();
  if (count !== lastCount) [lastCount, stableSince] = [count, Date.now()];
  if ((depth.queued + depth.running === 0 && Date.now() - stableSince >= 1000) || Date.now() - drainStart > 60_000) break;
  await new Promise((resolve) => setTimeout(resolve, 100));
}
const accepted =
  killAccepted +
  [...tp, un.a, un.b, lo.a, lo.b, lo.flood].reduce(
    (s, x) => s + [...x.sample.statuses].filter(([code]) => code < 300).reduce((n, [, c]) => n + c, 0),
    0,
  );
const { rows } = await state.sql!.query<{ input: string; status: string; result: string | null; attempts: number }>(
  `SELECT payload ->> 'input' AS input, status, result ->> 'status' AS result, attempts FROM jobs`,
);
const perKey = new Map<string, number>();
for (const effect of readEffects(effects)) perKey.set(effect.key, (perKey.get(effect.key) ?? 0) + 1);
const completed = rows.filter((row) => row.status === 'done' && row.result === 'completed');
const missingEffect = completed.filter((row) => (perKey.get(`refund:${/A-\d+/.exec(row.input)?.[0] ?? ''}`) ?? 0) === 0).length;
const duplicated = [...perKey.values()].reduce((s, n) => s + Math.max(0, n - 1), 0);
const lost = Math.max(0, accepted - rows.length) + (rows.length - completed.length) + missingEffect;
const takenOver = rows.filter((row) => row.attempts > 1).length;
const outcomes = new Map<string, number>();
for (const row of rows) outcomes.set(`${row.status}/${row.result ?? '-'}`, (outcomes.get(`${row.status}/${row.result ?? '-'}`) ?? 0) + 1);
console.log('jobs by status/result', Object.fromEntries(outcomes), { missingEffect, drainedInS: (Date.now() - drainStart) / 1000 });

const p95 = (sample: Sample) => pct(sample.latencies, 95);
const flood429 = lo.flood.sample.statuses.get(429) ?? 0;
const floodTotal = [...lo.flood.sample.statuses.values()].reduce((s, n) => s + n, 0);
const headline = {
  loadAvg1mStart: loadStart,
  loadAvg1mEnd: Math.round(loadavg()[0]! * 100) / 100,
  store: postgres ? 'postgres' : 'pglite',
  arrivals: values.aligned ? 'aligned' : 'spread',
  modelLatencyMs: latencyMs,
  throughputRunsPerS,
  ...tpCost,
  unloadedP95MsA: p95(un.a.sample),
  unloadedP95MsB: p95(un.b.sample),
  loadedP50MsA: pct(lo.a.sample.latencies, 50),
  loadedP95MsA: p95(lo.a.sample),
  loadedP99MsA: pct(lo.a.sample.latencies, 99),
  loadedP50MsB: pct(lo.b.sample.latencies, 50),
  loadedP95MsB: p95(lo.b.sample),
  loadedP99MsB: pct(lo.b.sample.latencies, 99),
  loadedP95MsFlood: p95(lo.flood.sample),
  loadedServiceCpuMsPerS,
  loadedServerCpuMsPerS,
  p95RatioA: Math.round((p95(lo.a.sample) / p95(un.a.sample)) * 100) / 100,
  p95RatioB: Math.round((p95(lo.b.sample) / p95(un.b.sample)) * 100) / 100,
  jainIndexNonFlooders: jain([lo.a.sample.latencies.length, lo.b.sample.latencies.length]),
  flood429Share: Math.round((flood429 / Math.max(1, floodTotal)) * 1000) / 1000,
  accepted,
  jobs: rows.length,
  killedInFlight,
  killRequests,
  takenOver,
  lost,
  duplicated,
};

client.send({ type: 'exit' } satisfies ClientCommand);
await second.close(100).catch(() => undefined);
await service.close(5000);
if (postgres) await state.sql!.exec(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await state.close();
rmSync(scratch, { recursive: true, force: true });
console.log(JSON.stringify(headline));
