// Builds desk-events.jsonl, the fixture of `charter profile`'s tests, from a real event log of the
// reference agent (`node packages/reference-agent/dist/main.js` writes .charter/events.jsonl):
//   node packages/telemetry/src/__fixtures__/profile/plant.mjs .charter/events.jsonl > packages/telemetry/src/__fixtures__/profile/desk-events.jsonl
// It keeps eleven scenarios' runs as recorded (run ids without their random suffix, timestamps moved to
// a fixed start) and plants what the tests must find:
// - prices: the scripted model reports $0; each model.response gets $3 per million input tokens and
//   $15 per million output tokens, so paths have a cost;
// - a slow tool: every search_kb result takes 1,800-2,600 ms (the later events of its run move along);
// - a repeated call: in happy-order-status, the lookup_order call and its result are issued a second
//   time right after the first (same tool, same argsHash, a new call id);
// - tenants: run.started names tenant "acme" or "globex".
import { readFileSync } from 'node:fs';

const KEEP = [
  'happy-order-status',
  'happy-small-refund',
  'happy-confirmation-email',
  'happy-return-policy',
  'happy-two-lookups',
  'happy-handoff',
  'faults-kb-timeout-answers',
  'approval-refund-approved',
  'approval-refund-denied',
  'pii-phone-in-answer',
  'indirect-kb-refund-comment',
];
const GLOBEX = new Set(['happy-return-policy', 'happy-handoff', 'faults-kb-timeout-answers', 'indirect-kb-refund-comment', 'pii-phone-in-answer']);
const START = Date.UTC(2026, 11, 1, 9, 0, 0);

const events = readFileSync(process.argv[2], 'utf8').trim().split('\n').map((line) => JSON.parse(line));
const byRun = new Map();
const chosen = new Map(); // scenario → the first run id of it in the log
for (const event of events) {
  const scenario = event.runId.replace(/-[a-z0-9]{8}$/, '');
  if (!KEEP.includes(scenario)) continue;
  if (!chosen.has(scenario)) chosen.set(scenario, event.runId);
  if (chosen.get(scenario) !== event.runId) continue;
  const list = byRun.get(scenario) ?? [];
  list.push(event);
  byRun.set(scenario, list);
}
const out = [];
let base = START;
let slow = 0;
for (const scenario of KEEP) {
  const run = (byRun.get(scenario) ?? []).sort((a, b) => a.seq - b.seq);
  if (run.length === 0) throw new Error(`no run of ${scenario} in ${process.argv[2]}`);
  const t0 = run[0].ts;
  let shift = 0;
  const planted = [];
  for (const event of run) {
    const e = { ...event, runId: scenario, ts: base + (event.ts - t0) + shift };
    if (e.type === 'run.started') e.tenant = GLOBEX.has(scenario) ? 'globex' : 'acme';
    if (e.type === 'model.response') e.costUsd = Math.round((e.inputTokens * 3 + e.outputTokens * 15) * 1e3) / 1e9;
    if (e.type === 'tool.result' && e.name === 'search_kb') {
      const ms = 1800 + ((slow++ * 397) % 800);
      shift += ms - e.durationMs;
      e.durationMs = ms;
      e.ts += ms;
    }
    if (e.durationMs !== undefined && e.type.startsWith('run.')) e.durationMs += shift;
    planted.push(e);
    if (scenario === 'happy-order-status' && e.type === 'tool.result' && e.name === 'lookup_order') {
      const call = planted.find((p) => p.type === 'tool.call' && p.callId === e.callId);
      planted.push({ ...call, callId: `${call.callId}-again`, ts: e.ts + 1 }, { ...e, callId: `${e.callId}-again`, ts: e.ts + 1 + e.durationMs });
      shift += 1 + e.durationMs;
    }
  }
  planted.forEach((e, seq) => out.push({ ...e, seq }));
  base = planted[planted.length - 1].ts + 1000;
}
process.stdout.write(`${out.map((e) => JSON.stringify(e)).join('\n')}\n`);
