import { SpanKind } from '@opentelemetry/api';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createOtelSink, createTelemetry } from '@charter/telemetry';
import { MemoryLedger } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { createShop, shopAgent } from './__fixtures__/shop.js';
import { createAgent, MemoryStore, memoryEscalation } from './index.js';
import { scripted } from './models.js';

describe('telemetry through the real OpenTelemetry SDK', () => {
  it('a run becomes GenAI spans (invoke_agent → chat, execute_tool) and run metrics', async () => {
    const spans = new InMemorySpanExporter();
    const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spans)] });
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3_600_000 });
    const meterProvider = new MeterProvider({ readers: [reader] });
    const loaded = shopAgent();
    const manifest = loaded.manifest;
    const telemetry = createTelemetry({ agent: manifest.metadata.name, sinks: [createOtelSink({ tracerProvider, meterProvider })] });
    const shop = createShop();
    const agent = createAgent({
      agent: loaded,
      model: scripted(
        { turns: [{ toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] }, { text: 'Delivered.' }] },
        { modelId: 'scripted-1' },
      ),
      tools: shop.tools,
      telemetry,
      store: new MemoryStore(),
      ledger: new MemoryLedger(),
      escalation: memoryEscalation(),
    });
    const result = await agent.run('Where is A-1?', { context: { customerEmail: 'ana@example.com' } });
    expect(result.status).toBe('completed');

    const finished = spans.getFinishedSpans();
    expect(finished.map((s) => s.name).sort()).toEqual([
      'chat scripted-1',
      'chat scripted-1',
      'execute_tool lookup_order',
      'invoke_agent test-shop',
    ]);
    const root = finished.find((s) => s.name === 'invoke_agent test-shop');
    expect(root?.kind).toBe(SpanKind.INTERNAL);
    for (const child of finished.filter((s) => s !== root)) expect(child.parentSpanContext?.spanId).toBe(root?.spanContext().spanId);

    await reader.forceFlush();
    const metrics = exporter.getMetrics().flatMap((rm) => rm.scopeMetrics.flatMap((sm) => sm.metrics));
    const runs = metrics.find((m) => m.descriptor.name === 'charter.agent.runs');
    expect(runs?.dataPoints.map((p) => [p.attributes.status, p.value])).toEqual([['completed', 1]]);
    const tools = metrics.find((m) => m.descriptor.name === 'charter.tool.calls');
    expect(tools?.dataPoints[0]?.attributes).toMatchObject({ tool: 'lookup_order', outcome: 'ok' });
    await meterProvider.shutdown();
  });
});
