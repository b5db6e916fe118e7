import { mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { refundRun } from '../__fixtures__/run.js';
import { TelemetryErrorCode } from '../errors.js';
import { readEvents } from '../read.js';
import { createTelemetry } from '../telemetry.js';
import { createJsonlSink } from './jsonl.js';
import type { JsonlSink } from './jsonl.js';

const open: JsonlSink[] = [];
afterEach(() => {
  for (const sink of open.splice(0)) sink.close();
});

function tempFile(): string {
  return join(mkdtempSync(join(tmpdir(), 'charter-jsonl-')), 'events.jsonl');
}

describe('createJsonlSink', () => {
  it('writes one valid event a line, buffered until the buffer fills or flush', () => {
    const path = tempFile();
    const sink = createJsonlSink({ path, flushIntervalMs: 0 });
    open.push(sink);
    const telemetry = createTelemetry({ agent: 'customer-support', sinks: [sink] });
    for (const event of refundRun('r1')) telemetry.emit(event);
    expect(readFileSync(path, 'utf8')).toBe('');
    sink.flush();
    const { value, issues } = readEvents(path);
    expect(issues).toEqual([]);
    expect(value.map((e) => e.type)).toEqual(refundRun('r1').map((e) => e.type));
    expect(readFileSync(path, 'utf8').endsWith('\n')).toBe(true);
  });

  it('writes through once bufferSize characters are buffered', () => {
    const path = tempFile();
    const sink = createJsonlSink({ path, bufferSize: 256, flushIntervalMs: 0 });
    open.push(sink);
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink] });
    for (let i = 0; i < 20; i++) telemetry.emit({ type: 'step', runId: 'r', step: i, phase: 'act' });
    const written = readFileSync(path, 'utf8');
    expect(written.length).toBeGreaterThanOrEqual(256);
    expect(written.endsWith('\n')).toBe(true);
  });

  it('appends to an existing file', () => {
    const path = tempFile();
    writeFileSync(path, '');
    for (let round = 0; round < 2; round++) {
      const sink = createJsonlSink({ path, flushIntervalMs: 0 });
      createTelemetry({ agent: 'a', sinks: [sink] }).emit({ type: 'step', runId: `r${round}`, step: 0, phase: 'act' });
      sink.close();
    }
    expect(readEvents(path).value.map((e) => e.runId)).toEqual(['r0', 'r1']);
  });

  it('rotates by size, never splits a line, and keeps maxFiles rotated files', () => {
    const path = tempFile();
    const sink = createJsonlSink({ path, bufferSize: 1024, maxBytes: 8192, maxFiles: 3, flushIntervalMs: 0 });
    open.push(sink);
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink] });
    for (let i = 0; i < 2000; i++) telemetry.emit({ type: 'step', runId: 'r', step: i, phase: 'act' });
    sink.flush();
    expect(sink.rotations).toBeGreaterThan(3);
    const files = readdirSync(join(path, '..')).sort();
    expect(files).toEqual(['events.jsonl', 'events.jsonl.1', 'events.jsonl.2', 'events.jsonl.3']);
    const steps: number[] = [];
    for (const file of ['events.jsonl.3', 'events.jsonl.2', 'events.jsonl.1', 'events.jsonl']) {
      const full = join(path, '..', file);
      expect(statSync(full).size).toBeLessThanOrEqual(8192);
      const { value, issues } = readEvents(full);
      expect(issues).toEqual([]);
      steps.push(...value.map((e) => (e.type === 'step' ? e.step : -1)));
    }
    // The retained files hold the newest events, contiguous and ending with the last one.
    expect(steps.at(-1)).toBe(1999);
    steps.forEach((step, i) => {
      if (i > 0) expect(step).toBe((steps[i - 1] ?? 0) + 1);
    });
  });

  it('refuses writes after close and rejects bad options', () => {
    const path = tempFile();
    const sink = createJsonlSink({ path });
    sink.close();
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink] });
    expect(() => telemetry.emit({ type: 'step', runId: 'r', step: 0, phase: 'act' })).toThrow(
      expect.objectContaining({ cause: expect.objectContaining({ code: TelemetryErrorCode.SinkClosed }) }),
    );
    expect(() => createJsonlSink({ path, bufferSize: 0 })).toThrow(expect.objectContaining({ code: TelemetryErrorCode.BadOptions }));
    expect(() => createJsonlSink({ path, bufferSize: 4096, maxBytes: 1000 })).toThrow(/maxBytes/);
    expect(() => createJsonlSink({ path: join(path, 'no-such-dir', 'x.jsonl') })).toThrow(
      expect.objectContaining({ code: TelemetryErrorCode.BadOptions }),
    );
  });
});
