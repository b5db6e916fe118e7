// Emission overhead per event to the JSONL sink vs JSON.stringify alone, sustained events/s to a file,
// and audit verification cost. Run: npm run bench -w @charter/telemetry
import { createWriteStream, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AUDIT_HMAC_KEY_ENV, createJsonlSink, createTelemetry, hashArguments, openAuditLog, verifyAudit } from '../src/index.js';
import type { EventInput } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'charter-bench-'));
const argsHash = hashArguments({ orderId: 'A-1001' });
const toolResult: EventInput = {
  type: 'tool.result',
  runId: 'run-0001',
  callId: 'call-17',
  name: 'lookup_order',
  version: '1.0.0',
  durationMs: 12.5,
  outcome: 'ok',
  retries: 0,
};
const toolCall: EventInput = {
  type: 'tool.call',
  runId: 'run-0001',
  callId: 'call-17',
  name: 'lookup_order',
  version: '1.0.0',
  sideEffects: 'none',
  argsHash,
};
const fullEvents = [toolCall, toolResult].map((e, seq) => ({ v: 1, ts: Date.now(), seq, agent: 'customer-support', ...e }));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median over `samples` of the mean nanoseconds per call of a batch of `batch` calls. */
function perCallNs(fn: (i: number) => void, batch: number, samples: number): number {
  for (let i = 0; i < batch; i++) fn(i); // warm-up
  const results: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn(i);
    results.push(Number(process.hrtime.bigint() - start) / batch);
  }
  return median(results);
}

let sinkValue = 0;
const anchorNs = perCallNs(
  (i) => {
    sinkValue += JSON.stringify(fullEvents[i % 2]).length;
  },
  20_000,
  21,
);

const jsonlPath = join(dir, 'events.jsonl');
const jsonl = createJsonlSink({ path: jsonlPath, flushIntervalMs: 0, maxBytes: 64 * 1024 * 1024, maxFiles: 2 });
const telemetry = createTelemetry({ agent: 'customer-support', sinks: [jsonl] });
const emitNs = perCallNs((i) => telemetry.emit(i % 2 ? toolResult : toolCall), 20_000, 21);
jsonl.close();

const none = createTelemetry({ agent: 'customer-support', sinks: [] });
const emitNoSinkNs = perCallNs((i) => none.emit(i % 2 ? toolResult : toolCall), 20_000, 21);

// Sustained: 1,000,000 events to a file, including the final flush and close.
function sustained(): number {
  const path = join(dir, `sustained-${Math.random()}.jsonl`);
  const sink = createJsonlSink({ path, flushIntervalMs: 0 });
  const t = createTelemetry({ agent: 'customer-support', sinks: [sink] });
  const n = 1_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) t.emit(i % 2 ? toolResult : toolCall);
  sink.close();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  const bytes = statSync(path).size;
  rmSync(path);
  if (bytes === 0) throw new Error('nothing written');
  return n / seconds;
}
const sustainedRuns = [sustained(), sustained(), sustained()];
const eventsPerSec = median(sustainedRuns);

// Reference: a Node write stream, one write() per line (the shape of a naive logger).
async function writeStreamRate(): Promise<number> {
  const path = join(dir, `stream-${Math.random()}.jsonl`);
  const stream = createWriteStream(path, { highWaterMark: 65_536 });
  const n = 1_000_000;
  let seq = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    const event = { v: 1, ts: Date.now(), seq: seq++, agent: 'customer-support', ...(i % 2 ? toolResult : toolCall) };
    if (!stream.write(JSON.stringify(event) + '\n'))
      await new Promise<void>((resolve) =>
        stream.once('drain', () => {
          resolve();
        }),
      );
  }
  await new Promise<void>((resolve) =>
    stream.end(() => {
      resolve();
    }),
  );
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  rmSync(path);
  return n / seconds;
}
const streamRate = median([await writeStreamRate(), await writeStreamRate(), await writeStreamRate()]);

// Audit: append 1,000 records (write-through), then verify the chain.
const env = { [AUDIT_HMAC_KEY_ENV]: 'k'.repeat(32) };
const auditPath = join(dir, 'audit.jsonl');
const log = openAuditLog(auditPath, { env, checkpointEvery: 100 });
const appendStart = process.hrtime.bigint();
for (let i = 0; i < 1000; i++) {
  log.append({
    kind: 'tool.call',
    ts: new Date().toISOString(),
    agent: 'customer-support',
    runId: `r${i}`,
    actor: { type: 'agent', id: 'customer-support' },
    policyVersion: '1.0.0',
    tool: { name: 'refund_order', version: '2.1.0', sideEffects: 'irreversible', argsHash },
  });
}
const appendUs = Number(process.hrtime.bigint() - appendStart) / 1e3 / 1000;
const verifyMs: number[] = [];
for (let i = 0; i < 9; i++) {
  const start = process.hrtime.bigint();
  if (!verifyAudit(auditPath, { env }).ok) throw new Error('verify failed');
  verifyMs.push(Number(process.hrtime.bigint() - start) / 1e6);
}
const auditBytes = readFileSync(auditPath).length;
rmSync(dir, { recursive: true, force: true });

const us = (ns: number) => Math.round(ns / 10) / 100;
console.log(`JSON.stringify of the event alone (anchor)   ${us(anchorNs)} µs`);
console.log(`emit → no sinks                              ${us(emitNoSinkNs)} µs`);
console.log(`emit → JSONL sink (buffered, file writes)    ${us(emitNs)} µs  (${(emitNs / anchorNs).toFixed(2)}× the anchor; goal ≤ 2 µs)`);
console.log(
  `sustained to a file, 1M events               ${Math.round(eventsPerSec).toLocaleString('en')} events/s (runs: ${sustainedRuns.map((r) => Math.round(r).toLocaleString('en')).join(', ')}; goal ≥ 500,000)`,
);
console.log(
  `reference: fs.WriteStream, write() per line  ${Math.round(streamRate).toLocaleString('en')} events/s (${(eventsPerSec / streamRate).toFixed(2)}× slower than the JSONL sink)`,
);
console.log(`audit: append (write-through)                ${appendUs.toFixed(1)} µs/record`);
console.log(`audit: verify 1,000 records (${(auditBytes / 1024).toFixed(0)} KiB)        ${median(verifyMs).toFixed(1)} ms`);
if (sinkValue < 0) console.log(sinkValue);
console.log(
  JSON.stringify({
    emitJsonlMedianUs: us(emitNs),
    stringifyAnchorMedianUs: us(anchorNs),
    emitVsStringify: Math.round((emitNs / anchorNs) * 100) / 100,
    emitNoSinkMedianUs: us(emitNoSinkNs),
    sustainedEventsPerSec: Math.round(eventsPerSec),
    writeStreamEventsPerSec: Math.round(streamRate),
    auditAppendUsPerRecord: Math.round(appendUs * 10) / 10,
    auditVerify1kRecordsMs: Math.round(median(verifyMs) * 10) / 10,
  }),
);
