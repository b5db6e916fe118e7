import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { refundRun } from './__fixtures__/run.js';
import { METRICS } from './metric-names.js';
import { createPrometheusSink, escapeLabelValue } from './prometheus.js';
import { createTelemetry } from './telemetry.js';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}
interface Family {
  help?: string;
  type?: string;
  samples: Sample[];
}

/** A strict parser of the Prometheus text format (0.0.4), written for this test. */
function parseExposition(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const family = (name: string) => {
    let f = families.get(name);
    if (!f) families.set(name, (f = { samples: [] }));
    return f;
  };
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ')) {
      const rest = line.slice(7);
      const space = rest.indexOf(' ');
      const f = family(rest.slice(0, space));
      f.help = rest
        .slice(space + 1)
        .replaceAll('\\n', '\n')
        .replaceAll('\\\\', '\\');
      continue;
    }
    if (line.startsWith('# TYPE ')) {
      const [name, type] = line.slice(7).split(' ');
      const f = family(name!);
      expect(f.samples, `TYPE of ${name} after its samples`).toEqual([]);
      f.type = type ?? '';
      continue;
    }
    expect(line.startsWith('#')).toBe(false);
    let i = 0;
    while (i < line.length && /[\w:]/.test(line[i]!)) i++;
    const name = line.slice(0, i);
    expect(name).toMatch(/^[a-z_:][\w:]*$/i);
    const labels: Record<string, string> = {};
    if (line[i] === '{') {
      i++;
      while (line[i] !== '}') {
        const eq = line.indexOf('=', i);
        const label = line.slice(i, eq);
        expect(label).toMatch(/^[a-z_]\w*$/i);
        expect(line[eq + 1]).toBe('"');
        let j = eq + 2;
        let value = '';
        while (line[j] !== '"') {
          if (line[j] === '\\') {
            const next = line[j + 1];
            expect(['\\', '"', 'n']).toContain(next);
            value += next === 'n' ? '\n' : (next ?? '');
            j += 2;
          } else {
            value += line[j] ?? '';
            j++;
          }
        }
        labels[label] = value;
        i = j + 1;
        if (line[i] === ',') i++;
      }
      i++;
    }
    expect(line[i]).toBe(' ');
    const raw = line.slice(i + 1);
    const value = raw === '+Inf' ? Number.POSITIVE_INFINITY : Number(raw);
    expect(Number.isNaN(value), `value ${raw}`).toBe(false);
    const base = families.has(name) ? name : name.replace(/_(?:bucket|sum|count)$/, '');
    const f = families.get(base);
    expect(f?.type, `sample ${name} has no TYPE`).toBeDefined();
    f!.samples.push({ name, labels, value });
  }
  return families;
}

/** A model call the agent sent to the fallback because the primary answered 503. */
const FALLBACK = {
  type: 'model.fallback',
  runId: 'r1',
  callId: 'r1:m0',
  fallbackCallId: 'r1:m0:fallback',
  provider: 'openai-compatible.chat',
  model: 'gpt-4o-mini',
  fallbackProvider: 'openai-compatible.chat',
  fallbackModel: 'gpt-4.1-mini',
  reason: 'server_error',
  error: 'HTTP 503',
} as const;

function emitRun(sinkTools: string[] = []) {
  const sink = createPrometheusSink();
  const telemetry = createTelemetry({ agent: 'customer-support', sinks: [sink] });
  for (const event of refundRun('r1')) telemetry.emit(event);
  for (const tool of sinkTools) {
    telemetry.emit({
      type: 'tool.result',
      runId: 'r2',
      callId: 'c',
      name: tool,
      version: '1.0.0',
      durationMs: 50,
      outcome: 'ok',
      retries: 0,
    });
  }
  telemetry.emit({ type: 'feedback', runId: 'r1', score: 5 });
  telemetry.emit(FALLBACK);
  return sink;
}

describe('createPrometheusSink', () => {
  it('exposes every METRICS family with HELP and TYPE, in valid text format', () => {
    const families = parseExposition(emitRun().text());
    for (const def of Object.values(METRICS)) {
      const f = families.get(def.prometheus);
      expect(f?.type).toBe(def.type);
      expect(f?.help).toBe(def.description);
      for (const sample of f?.samples ?? []) {
        const expected = [...def.labels, ...(sample.name.endsWith('_bucket') ? ['le'] : [])].sort();
        expect(Object.keys(sample.labels).sort()).toEqual(expected);
      }
    }
  });

  it('writes histograms as cumulative _bucket series ending in +Inf, with _sum and _count', () => {
    const families = parseExposition(emitRun().text());
    const tools = families.get('charter_tool_duration_seconds')!;
    const refund = tools.samples.filter((s) => s.labels.tool === 'refund_order');
    const buckets = refund.filter((s) => s.name.endsWith('_bucket'));
    const les = buckets.map((s) => (s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le)));
    expect(les).toEqual([...les].sort((a, b) => a - b));
    expect(les.at(-1)).toBe(Number.POSITIVE_INFINITY);
    buckets.forEach((b, i) => {
      if (i > 0) expect(b.value).toBeGreaterThanOrEqual(buckets[i - 1]!.value);
    });
    // 2.3 s lands in the 2.56 bucket and not before.
    expect(buckets.find((b) => b.labels.le === '1.28')?.value).toBe(0);
    expect(buckets.find((b) => b.labels.le === '2.56')?.value).toBe(1);
    expect(refund.find((s) => s.name.endsWith('_sum'))?.value).toBeCloseTo(2.3);
    expect(refund.find((s) => s.name.endsWith('_count'))?.value).toBe(buckets.at(-1)?.value);
  });

  it('reports the same values as the event stream implies', () => {
    const families = parseExposition(emitRun().text());
    const value = (name: string, labels: Record<string, string>) =>
      families
        .get(families.has(name) ? name : name.replace(/_(?:sum|count)$/, ''))
        ?.samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    expect(value('charter_agent_runs_total', { status: 'escalated' })).toBe(1);
    expect(value('charter_tool_calls_total', { tool: 'refund_order', error_code: 'TOOL_TIMEOUT' })).toBe(1);
    expect(value('charter_guardrail_trips_total', { rule: 'pii.email', action: 'redact' })).toBe(1);
    expect(value('charter_agent_escalations_total', { reason: 'tool_failed' })).toBe(1);
    expect(value('charter_agent_cost_usd_total', { model: 'gpt-4o-mini' })).toBe(0.00042);
    expect(value('gen_ai_client_token_usage_sum', { gen_ai_token_type: 'input' })).toBe(420);
    expect(value('charter_agent_satisfaction_score_count', {})).toBe(1);
    expect(
      value('charter_model_fallbacks_total', {
        agent: 'customer-support',
        model: 'gpt-4o-mini',
        fallback_model: 'gpt-4.1-mini',
        reason: 'server_error',
      }),
    ).toBe(1);
  });

  it('escapes label values so any tool name parses back unchanged (property)', () => {
    expect(escapeLabelValue('a\\b"c\nd')).toBe('a\\\\b\\"c\\nd');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'binary' }), (name) => {
        const families = parseExposition(emitRun([name]).text());
        const names = families.get('charter_tool_calls_total')!.samples.map((s) => s.labels.tool);
        expect(names).toContain(name);
      }),
      { numRuns: 60 },
    );
  });

  it('prints HELP and TYPE alone before anything is observed, and reset clears', () => {
    const sink = emitRun();
    sink.reset();
    const families = parseExposition(sink.text());
    expect([...families.values()].every((f) => f.samples.length === 0)).toBe(true);
    expect(sink.contentType).toContain('version=0.0.4');
  });
});
