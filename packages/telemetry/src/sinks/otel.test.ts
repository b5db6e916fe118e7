import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import type { DataPoint, Histogram as HistogramValue, MetricData } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { refundRun } from '../__fixtures__/run.js';
import { METRICS } from '../metric-names.js';
import { METRIC_BUCKETS } from '../metrics.js';
import { createTelemetry } from '../telemetry.js';
import { createOtelSink, GenAiAttributes, SpanEventNames } from './otel.js';

function setup(captureContent = false, clock?: () => number) {
  const spans = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
  const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
  const meterProvider = new MeterProvider({ readers: [reader] });
  const sink = createOtelSink({ tracerProvider, meterProvider });
  const telemetry = createTelemetry({
    agent: 'customer-support',
    sinks: [sink],
    ...(clock ? { clock } : {}),
    ...(captureContent ? { captureContent, redactor: (text: string) => text } : {}),
  });
  return {
    sink,
    telemetry,
    tracerProvider,
    spans: () => spans.getFinishedSpans(),
    metrics: async (): Promise<MetricData[]> => {
      await reader.forceFlush();
      return exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    },
  };
}

/** A model call the agent sent to the fallback because the primary did not answer in time. */
const FALLBACK = {
  type: 'model.fallback',
  runId: 'r2',
  callId: 'r2:m0',
  fallbackCallId: 'r2:m0:fallback',
  provider: 'openai-compatible.chat',
  model: 'gpt-4o-mini',
  fallbackProvider: 'openai-compatible.chat',
  fallbackModel: 'gpt-4.1-mini',
  reason: 'timeout',
  error: 'no answer within 20000 ms',
} as const;

/** A model call answered from the decision cache, and a cascade step the small model answered. */
const CACHE_HIT = {
  type: 'model.cache',
  runId: 'r2',
  callId: 'r2:m1',
  provider: 'offline',
  model: 'gpt-4o-mini',
  outcome: 'hit',
  savedInputTokens: 800,
  savedOutputTokens: 40,
  savedUsd: 0.0002,
} as const;
const CASCADE = {
  type: 'model.cascade',
  runId: 'r2',
  callId: 'r2:m2',
  provider: 'offline',
  model: 'gpt-4.1-nano',
  largeProvider: 'offline',
  largeModel: 'gpt-4o-mini',
  outcome: 'accepted',
  confidence: 0.9,
  threshold: 0.8,
} as const;

const byName = (spans: readonly ReadableSpan[], name: string) => {
  const span = spans.find((s) => s.name === name);
  if (!span) throw new Error(`no span ${name}; have ${spans.map((s) => s.name).join(', ')}`);
  return span;
};

describe('OpenTelemetry sink: spans follow the GenAI conventions', () => {
  it('names spans invoke_agent <agent>, chat <model>, execute_tool <tool> with the right kinds and parents', () => {
    const { telemetry, spans } = setup();
    for (const event of refundRun('r1')) telemetry.emit(event);
    const all = spans();
    expect(all.map((s) => s.name).sort()).toEqual([
      'chat gpt-4o-mini',
      'execute_tool lookup_order',
      'execute_tool refund_order',
      'invoke_agent customer-support',
    ]);
    const agent = byName(all, 'invoke_agent customer-support');
    const chat = byName(all, 'chat gpt-4o-mini');
    const lookup = byName(all, 'execute_tool lookup_order');
    expect(agent.kind).toBe(SpanKind.INTERNAL);
    expect(chat.kind).toBe(SpanKind.CLIENT);
    expect(lookup.kind).toBe(SpanKind.INTERNAL);
    for (const child of [chat, lookup]) {
      expect(child.parentSpanContext?.spanId).toBe(agent.spanContext().spanId);
      expect(child.spanContext().traceId).toBe(agent.spanContext().traceId);
    }
  });

  it('sets the gen_ai.* attributes on each span', () => {
    const { telemetry, spans } = setup();
    for (const event of refundRun('r1')) telemetry.emit(event);
    const all = spans();
    expect(byName(all, 'invoke_agent customer-support').attributes).toMatchObject({
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'customer-support',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.conversation.id': 'conv-7',
    });
    expect(byName(all, 'chat gpt-4o-mini').attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gen_ai.response.model': 'gpt-4o-mini',
      'gen_ai.usage.input_tokens': 420,
      'gen_ai.usage.output_tokens': 35,
      'gen_ai.response.finish_reasons': ['tool-calls'],
      'gen_ai.conversation.id': 'conv-7',
    });
    expect(byName(all, 'execute_tool lookup_order').attributes).toMatchObject({
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'lookup_order',
      'gen_ai.tool.call.id': 't1',
      'gen_ai.tool.type': 'function',
    });
    // Every attribute key we write under gen_ai.* is one of the documented convention keys.
    const known = new Set<string>(Object.values(GenAiAttributes));
    for (const span of all)
      for (const key of Object.keys(span.attributes)) if (key.startsWith('gen_ai.')) expect(known.has(key), key).toBe(true);
  });

  it('marks failed tool calls and runs with error status and error.type, using event times', () => {
    let t = 1_700_000_000_000;
    const { telemetry, spans } = setup(false, () => (t += 10));
    for (const event of refundRun('r1')) telemetry.emit(event);
    telemetry.emit({ type: 'run.started', runId: 'r2' });
    telemetry.emit({ type: 'run.failed', runId: 'r2', durationMs: 5, errorCode: 'AGENT_BUDGET', message: 'over budget' });
    const all = spans();
    const refund = byName(all, 'execute_tool refund_order');
    expect(refund.status.code).toBe(SpanStatusCode.ERROR);
    expect(refund.attributes[GenAiAttributes.errorType]).toBe('TOOL_TIMEOUT');
    expect(refund.attributes['charter.tool.retries']).toBe(2);
    const runs = all.filter((s) => s.name === 'invoke_agent customer-support');
    expect(runs.map((s) => s.attributes['charter.run.status'])).toEqual(['escalated', 'failed']);
    expect(runs[1]?.status.code).toBe(SpanStatusCode.ERROR);
    expect(runs[1]?.attributes[GenAiAttributes.errorType]).toBe('AGENT_BUDGET');
    // Spans take their start and end from the event timestamps: run.started was the 1st event (t+10).
    expect(runs[0]?.startTime).toEqual([1_700_000_000, 10_000_000]);
    expect(runs[0]?.endTime).toEqual([1_700_000_000, 160_000_000]);
  });

  it('records guardrail decisions and approvals as span events on the span they concern', () => {
    const { telemetry, spans } = setup();
    for (const event of refundRun('r1')) telemetry.emit(event);
    const agent = byName(spans(), 'invoke_agent customer-support');
    const guardrail = agent.events.filter((e) => e.name === SpanEventNames.guardrail);
    expect(guardrail.map((e) => e.attributes)).toEqual([
      { 'charter.guardrail.hook': 'input', 'charter.guardrail.action': 'redact', 'charter.guardrail.rule_ids': ['pii.email'] },
      {
        'charter.guardrail.hook': 'tool-call',
        'charter.guardrail.action': 'needs-approval',
        'charter.guardrail.rule_ids': ['approval.refund_order'],
      },
    ]);
    expect(agent.events.map((e) => e.name)).toEqual(
      expect.arrayContaining([
        SpanEventNames.approvalRequested,
        SpanEventNames.approvalGranted,
        SpanEventNames.escalation,
        SpanEventNames.step,
      ]),
    );
  });

  it('records a model fallback as a span event on the run span', () => {
    const { telemetry, spans } = setup();
    telemetry.emit({ type: 'run.started', runId: 'r2' });
    telemetry.emit(FALLBACK);
    telemetry.emit({ type: 'run.completed', runId: 'r2', status: 'completed', durationMs: 5, steps: 1 });
    const agent = byName(spans(), 'invoke_agent customer-support');
    expect(agent.events.filter((e) => e.name === SpanEventNames.modelFallback).map((e) => e.attributes)).toEqual([
      {
        'charter.model.fallback.reason': 'timeout',
        'gen_ai.request.model': 'gpt-4o-mini',
        'charter.model.fallback.model': 'gpt-4.1-mini',
        'charter.model.fallback.provider': 'openai-compatible.chat',
        'charter.model.fallback.error': 'no answer within 20000 ms',
      },
    ]);
  });

  it('puts a decision about an open tool call on that tool span', () => {
    const { telemetry, spans } = setup();
    telemetry.emit({ type: 'run.started', runId: 'r' });
    telemetry.emit({
      type: 'tool.call',
      runId: 'r',
      callId: 'c1',
      name: 'search_kb',
      version: '1.0.0',
      sideEffects: 'none',
      argsHash: 'a'.repeat(64),
    });
    telemetry.emit({
      type: 'guardrail.decision',
      runId: 'r',
      hook: 'tool-result',
      action: 'redact',
      ruleIds: ['secrets.aws'],
      callId: 'c1',
    });
    telemetry.emit({
      type: 'tool.result',
      runId: 'r',
      callId: 'c1',
      name: 'search_kb',
      version: '1.0.0',
      durationMs: 3,
      outcome: 'ok',
      retries: 0,
    });
    telemetry.emit({ type: 'run.completed', runId: 'r', status: 'completed', durationMs: 9, steps: 1 });
    const tool = byName(spans(), 'execute_tool search_kb');
    expect(tool.events.map((e) => e.attributes?.['charter.guardrail.rule_ids'])).toEqual([['secrets.aws']]);
  });

  it('writes content attributes only when content is captured', () => {
    const off = setup(false);
    for (const event of refundRun('r1')) off.telemetry.emit(event);
    for (const span of off.spans()) {
      expect(span.attributes[GenAiAttributes.inputMessages]).toBeUndefined();
      expect(span.attributes[GenAiAttributes.toolCallArguments]).toBeUndefined();
    }
    const on = setup(true);
    for (const event of refundRun('r1')) on.telemetry.emit(event);
    expect(byName(on.spans(), 'execute_tool refund_order').attributes[GenAiAttributes.toolCallArguments]).toBe(
      '{"orderId":"A-1001","amount":150}',
    );
    expect(byName(on.spans(), 'chat gpt-4o-mini').attributes[GenAiAttributes.inputMessages]).toContain('Refund order');
  });

  it('exposes run and call contexts so spans started inside a tool nest under execute_tool', () => {
    const { telemetry, sink, spans, tracerProvider } = setup();
    telemetry.emit({ type: 'run.started', runId: 'r' });
    const agentSpan = trace.getSpan(sink.contextFor('r'));
    expect(agentSpan?.spanContext().traceId).toMatch(/^[0-9a-f]{32}$/);
    telemetry.emit({
      type: 'tool.call',
      runId: 'r',
      callId: 'c1',
      name: 'search_kb',
      version: '1.0.0',
      sideEffects: 'none',
      argsHash: 'a'.repeat(64),
    });
    // A library span started inside the tool's context becomes a child of execute_tool.
    const toolCtx = sink.contextFor('r', 'c1');
    tracerProvider.getTracer('some-http-client').startSpan('GET /kb', {}, toolCtx).end();
    telemetry.emit({
      type: 'tool.result',
      runId: 'r',
      callId: 'c1',
      name: 'search_kb',
      version: '1.0.0',
      durationMs: 3,
      outcome: 'ok',
      retries: 0,
    });
    telemetry.emit({ type: 'run.completed', runId: 'r', status: 'completed', durationMs: 1, steps: 0 });
    const all = spans();
    expect(all).toHaveLength(3);
    const tool = byName(all, 'execute_tool search_kb');
    expect(byName(all, 'GET /kb').parentSpanContext?.spanId).toBe(tool.spanContext().spanId);
    expect(tool.parentSpanContext?.spanId).toBe(agentSpan?.spanContext().spanId);
    expect(trace.getSpan(sink.contextFor('r'))).toBeUndefined();
  });

  it('is a no-op through the global API when no SDK is registered', () => {
    const sink = createOtelSink();
    const telemetry = createTelemetry({ agent: 'a', sinks: [sink] });
    expect(() => {
      for (const event of refundRun('r1')) telemetry.emit(event);
    }).not.toThrow();
  });
});

describe('OpenTelemetry sink: metrics', () => {
  it('records every METRICS instrument with its name, unit and bucket advice', async () => {
    const { telemetry, metrics } = setup();
    for (const event of refundRun('r1')) telemetry.emit(event);
    telemetry.emit({ type: 'run.started', runId: 'r2' });
    telemetry.emit({ type: 'run.completed', runId: 'r2', status: 'completed', durationMs: 1500, steps: 2 });
    telemetry.emit({ type: 'feedback', runId: 'r2', score: 4 });
    telemetry.emit(FALLBACK);
    telemetry.emit(CACHE_HIT);
    telemetry.emit(CASCADE);
    const data = await metrics();
    const byOtel = new Map(data.map((m) => [m.descriptor.name, m]));
    for (const [key, def] of Object.entries(METRICS)) {
      const metric = byOtel.get(def.otel);
      expect(metric, def.otel).toBeDefined();
      expect(metric?.descriptor.unit).toBe(def.unit);
      expect(metric?.descriptor.description).toBe(def.description);
      expect(metric?.dataPointType).toBe(def.type === 'counter' ? DataPointType.SUM : DataPointType.HISTOGRAM);
      if (def.type === 'histogram') {
        const point = metric?.dataPoints[0] as DataPoint<HistogramValue> | undefined;
        expect(point?.value.buckets.boundaries).toEqual(METRIC_BUCKETS[key as keyof typeof METRIC_BUCKETS]);
      }
      // Attribute keys, with dots as underscores, are exactly the contract's labels.
      for (const point of metric?.dataPoints ?? []) {
        expect(
          Object.keys(point.attributes)
            .map((k) => k.replaceAll('.', '_'))
            .sort(),
        ).toEqual([...def.labels].sort());
      }
    }
  });

  it('reports values: runs by status, tokens by type, tool errors by code, guardrail trips by rule', async () => {
    const { telemetry, metrics } = setup();
    for (const event of refundRun('r1')) telemetry.emit(event);
    const data = await metrics();
    const points = (name: string) => data.find((m) => m.descriptor.name === name)?.dataPoints ?? [];
    expect(points('charter.agent.runs').map((p) => [p.attributes.status, p.value])).toEqual([['escalated', 1]]);
    const tokens = points('gen_ai.client.token.usage') as DataPoint<HistogramValue>[];
    expect(tokens.map((p) => [p.attributes['gen_ai.token.type'], p.value.sum]).sort()).toEqual([
      ['input', 420],
      ['output', 35],
    ]);
    expect(points('charter.tool.calls').map((p) => [p.attributes.tool, p.attributes.outcome, p.attributes.error_code, p.value])).toEqual([
      ['lookup_order', 'ok', 'none', 1],
      ['refund_order', 'error', 'TOOL_TIMEOUT', 1],
    ]);
    expect(points('charter.guardrail.trips').map((p) => [p.attributes.rule, p.attributes.action])).toEqual([
      ['pii.email', 'redact'],
      ['approval.refund_order', 'needs-approval'],
    ]);
    expect(points('charter.agent.cost').map((p) => p.value)).toEqual([0.00042]);
    const modelDuration = points('gen_ai.client.operation.duration') as DataPoint<HistogramValue>[];
    expect(modelDuration[0]?.value.sum).toBeCloseTo(0.64);
    expect(modelDuration[0]?.attributes['gen_ai.operation.name']).toBe('chat');
  });
});
