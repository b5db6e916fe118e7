import { describe, expect, it } from 'vitest';
import { refundRun } from './__fixtures__/run.js';
import { TelemetryError, TelemetryErrorCode } from './errors.js';
import { EVENT_SCHEMA_VERSION, TelemetryEvent } from './events.js';
import type { EventInput, JsonValue } from './events.js';
import { parseEvents } from './read.js';
import { createMemorySink } from './sinks/memory.js';
import { createTelemetry } from './telemetry.js';
import type { Redactor } from './telemetry.js';

const tick = () => {
  let t = 1_700_000_000_000;
  return () => (t += 5);
};

const maskEmails: Redactor = (text) => text.replaceAll('jo@example.com', '[EMAIL]');

describe('createTelemetry', () => {
  it('stamps v, ts, seq and agent, and every event of a full run validates against the schema', () => {
    const sink = createMemorySink();
    const telemetry = createTelemetry({ agent: 'customer-support', sinks: [sink], clock: tick() });
    for (const event of refundRun('r1')) telemetry.emit(event);
    expect(sink.events).toHaveLength(refundRun('r1').length);
    sink.events.forEach((event, i) => {
      expect(TelemetryEvent.safeParse(event).success, `event ${i} (${event.type})`).toBe(true);
      expect(event.v).toBe(EVENT_SCHEMA_VERSION);
      expect(event.seq).toBe(i);
      expect(event.agent).toBe('customer-support');
    });
    const times = sink.events.map((e) => e.ts);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(sink.ofType('tool.result').map((e) => e.outcome)).toEqual(['ok', 'error']);
  });

  it('numbers events per run and starts again after a terminal event', () => {
    const sink = createMemorySink();
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink] });
    telemetry.emit({ type: 'step', runId: 'x', step: 0, phase: 'perceive' });
    telemetry.emit({ type: 'step', runId: 'y', step: 0, phase: 'perceive' });
    telemetry.emit({ type: 'step', runId: 'x', step: 1, phase: 'decide' });
    telemetry.emit({ type: 'run.failed', runId: 'x', durationMs: 3, errorCode: 'E', message: 'boom' });
    telemetry.emit({ type: 'step', runId: 'x', step: 0, phase: 'perceive' });
    expect(sink.events.map((e) => `${e.runId}:${e.seq}`)).toEqual(['x:0', 'y:0', 'x:1', 'x:2', 'x:0']);
  });

  it('drops content unless captureContent is on', () => {
    const sink = createMemorySink();
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink] });
    for (const event of refundRun('r1')) telemetry.emit(event);
    const text = JSON.stringify(sink.events);
    expect(text).not.toContain('jo@example.com');
    expect(text).not.toContain('"args"');
    expect(text).not.toContain('"result"');
    expect(sink.ofType('tool.call')[0]?.argsHash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('keeps content through the redactor when captureContent is on, without mutating the caller’s event', () => {
    const sink = createMemorySink();
    const seen: string[] = [];
    const redactor: Redactor = (text, where) => {
      seen.push(`${where.type}.${where.field}`);
      return maskEmails(text, where);
    };
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink], captureContent: true, redactor });
    const input: EventInput = { type: 'run.started', runId: 'r', input: { text: 'mail jo@example.com' } };
    telemetry.emit(input);
    expect(sink.ofType('run.started')[0]?.input).toEqual({ text: 'mail [EMAIL]' });
    expect(input).toEqual({ type: 'run.started', runId: 'r', input: { text: 'mail jo@example.com' } });
    for (const event of refundRun('r1')) telemetry.emit(event);
    expect(JSON.stringify(sink.events)).not.toContain('jo@example.com');
    expect(sink.ofType('tool.call')[1]?.args).toEqual({ orderId: 'A-1001', amount: 150 });
    expect(new Set(seen)).toEqual(
      new Set(['run.started.input', 'model.request.messages', 'model.response.output', 'tool.call.args', 'tool.result.result']),
    );
  });

  it('applies the redactor to every string in nested content, never to keys or numbers', () => {
    const sink = createMemorySink();
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink], captureContent: true, redactor: (text) => text.toUpperCase() });
    telemetry.emit({
      type: 'tool.call',
      runId: 'r',
      callId: 'c',
      name: 'send_email',
      version: '1.0.0',
      sideEffects: 'reversible',
      argsHash: 'a'.repeat(64),
      args: { to: ['jo@x.io'], body: 'hi', n: 3, ok: true, nested: { deep: [{ s: 'x' }] } },
    });
    expect(sink.ofType('tool.call')[0]?.args).toEqual({ to: ['JO@X.IO'], body: 'HI', n: 3, ok: true, nested: { deep: [{ s: 'X' }] } });
    let deep: JsonValue = 'leaf';
    for (let i = 0; i < 100; i++) deep = [deep];
    telemetry.emit({ type: 'run.started', runId: 'r2', input: deep });
    expect(JSON.stringify(sink.ofType('run.started')[0]?.input)).toContain('"[too deep]"');
    expect(JSON.stringify(sink.ofType('run.started')[0]?.input)).not.toContain('LEAF');
  });

  it('hands JSON sinks exactly JSON.stringify(event), serialised once for all of them', () => {
    for (const captureContent of [false, true]) {
      const lines: string[] = [];
      const jsonSink = {
        write() {
          throw new Error('writeJson should be preferred');
        },
        writeJson(json: string, event: unknown) {
          expect(json).toBe(JSON.stringify(event));
          lines.push(json);
        },
      };
      const telemetry = createTelemetry({
        agent: 'support "bot"',
        sinks: [jsonSink, jsonSink],
        clock: tick(),
        ...(captureContent ? { captureContent, redactor: maskEmails } : {}),
      });
      for (const event of refundRun('r1')) telemetry.emit(event);
      expect(lines).toHaveLength(2 * refundRun('r1').length);
      lines.forEach((line, i) => {
        if (i % 2) expect(line).toBe(lines[i - 1]);
      });
      expect(lines.join('\n').includes('[EMAIL]')).toBe(captureContent);
    }
    expect(() =>
      createTelemetry({ agent: 'a', sinks: [], clock: () => Number.NaN }).emit({ type: 'step', runId: 'r', step: 0, phase: 'act' }),
    ).toThrow(/clock returned NaN/);
  });

  it('refuses captureContent without a redactor', () => {
    expect(() => createTelemetry({ agent: 'a', sinks: [], captureContent: true })).toThrow(
      expect.objectContaining({ code: TelemetryErrorCode.BadOptions }),
    );
    expect(() => createTelemetry({ agent: '', sinks: [] })).toThrow(/metadata.name/);
  });

  it('wraps a failing sink in TELEMETRY_SINK_FAILED with the cause, or hands it to onSinkError', () => {
    const boom = new Error('disk full');
    const failing = {
      write() {
        throw boom;
      },
    };
    const telemetry = createTelemetry({ agent: 'a', sinks: [failing] });
    try {
      telemetry.emit({ type: 'step', runId: 'r', step: 0, phase: 'act' });
      expect.unreachable();
    } catch (error) {
      expect(TelemetryError.isInstance(error)).toBe(true);
      expect((error as TelemetryError).code).toBe(TelemetryErrorCode.SinkFailed);
      expect((error as Error).cause).toBe(boom);
    }
    const errors: unknown[] = [];
    const after = createMemorySink();
    const tolerant = createTelemetry({ agent: 'a', sinks: [failing, after], onSinkError: (error) => errors.push(error) });
    tolerant.emit({ type: 'step', runId: 'r', step: 0, phase: 'act' });
    expect(errors).toEqual([boom]);
    expect(after.events).toHaveLength(1);
  });

  it('events survive a JSONL round trip through parseEvents, and bad lines are reported by line', () => {
    const sink = createMemorySink();
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink] });
    for (const event of refundRun('r1')) telemetry.emit(event);
    const lines = sink.events.map((e) => JSON.stringify(e));
    lines.splice(3, 0, '{"v":1,"type":"step"}', 'not json');
    const { value, issues } = parseEvents(lines.join('\n'));
    expect(value).toEqual(sink.events);
    expect(issues.map((i) => i.line)).toContain(4);
    expect(issues.some((i) => i.line === 5 && i.message.startsWith('not JSON'))).toBe(true);
  });
});
