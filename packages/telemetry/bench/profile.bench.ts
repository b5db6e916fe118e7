// `charter profile`'s cost on a large log: the recorded reference-agent fixture (11 runs, 160 events)
// repeated under fresh run ids to ~10 000 and ~100 000 events. Medians of: reading and validating the
// JSONL (loadEvents), profileEvents, formatProfile and renderProfileHtml; the anchor is JSON.parse of
// the same lines alone, measured in the same process. Run: npm run bench:profile -w @charter/telemetry
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEvents } from '../src/index.js';
import { formatProfile, profileEvents, renderProfileHtml } from '../src/profile/index.js';

const FIXTURE = join(import.meta.dirname, '..', 'src', '__fixtures__', 'profile', 'desk-events.jsonl');
const lines = readFileSync(FIXTURE, 'utf8').trimEnd().split('\n');
const dir = mkdtempSync(join(tmpdir(), 'charter-profile-bench-'));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Median milliseconds of `samples` runs of `fn` (after one warm-up). */
function ms(fn: () => unknown, samples: number): number {
  fn();
  const results: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    fn();
    results.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return median(results);
}

/** A log of `copies` × the fixture, each copy's runs under their own ids. */
function log(copies: number): string {
  const out: string[] = [];
  for (let c = 0; c < copies; c++) for (const line of lines) out.push(line.replace(/"runId":"([^"]{1,200})"/, `"runId":"$1-${c}"`));
  return `${out.join('\n')}\n`;
}

const headline: Record<string, number> = {};
for (const copies of [63, 625]) {
  const text = log(copies);
  const file = join(dir, `events-${copies}.jsonl`);
  writeFileSync(file, text);
  const events = loadEvents(file);
  const n = events.length;
  const samples = n > 50_000 ? 5 : 11;
  const parseMs = ms(() => text.split('\n').map((line) => (line === '' ? undefined : (JSON.parse(line) as unknown))), samples);
  const loadMs = ms(() => loadEvents(file), samples);
  const profile = profileEvents(events);
  const analyzeMs = ms(() => profileEvents(events), samples);
  const tableMs = ms(() => formatProfile(profile), samples);
  const htmlMs = ms(() => renderProfileHtml(profile), samples);
  const total = loadMs + analyzeMs + tableMs;
  console.log(
    `${n} events (${profile.runs} runs): JSON.parse ${parseMs.toFixed(1)} ms (anchor) · loadEvents ${loadMs.toFixed(1)} ms (${(loadMs / parseMs).toFixed(1)}× the anchor) · profileEvents ${analyzeMs.toFixed(1)} ms · table ${tableMs.toFixed(2)} ms · html ${htmlMs.toFixed(2)} ms · read+analyse+table ${total.toFixed(1)} ms (${((total * 1e6) / n).toFixed(0)} ns/event)`,
  );
  const key = n > 50_000 ? '100k' : '10k';
  headline[`events${key}`] = n;
  headline[`load${key}Ms`] = Math.round(loadMs * 10) / 10;
  headline[`profile${key}Ms`] = Math.round(analyzeMs * 10) / 10;
  headline[`total${key}Ms`] = Math.round(total * 10) / 10;
  headline[`loadVsParse${key}Ratio`] = Math.round((loadMs / parseMs) * 10) / 10;
}
rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(headline));
