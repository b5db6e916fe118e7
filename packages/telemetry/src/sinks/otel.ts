import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import type {
  Attributes,
  Context,
  Counter,
  Histogram,
  Meter,
  MeterProvider,
  Span,
  SpanKind,
  Tracer,
  TracerProvider,
} from '@opentelemetry/api';
import type { EventOf, TelemetryEvent } from '../events.js';
import { METRICS } from '../metric-names.js';
import type { MetricKey } from '../metric-names.js';
import { METRIC_BUCKETS, observeEvent, otelAttributeKey } from '../metrics.js';
import type { HistogramKey, Labels } from '../metrics.js';
import type { Sink } from '../telemetry.js';

/** Attribute keys of the OpenTelemetry GenAI semantic conventions this package writes. */
export const GenAiAttributes = {
  operationName: 'gen_ai.operation.name',
  providerName: 'gen_ai.provider.name',
  requestModel: 'gen_ai.request.model',
  responseModel: 'gen_ai.response.model',
  inputTokens: 'gen_ai.usage.input_tokens',
  outputTokens: 'gen_ai.usage.output_tokens',
  finishReasons: 'gen_ai.response.finish_reasons',
  toolName: 'gen_ai.tool.name',
  toolCallId: 'gen_ai.tool.call.id',
  toolType: 'gen_ai.tool.type',
  toolCallArguments: 'gen_ai.tool.call.arguments',
  toolCallResult: 'gen_ai.tool.call.result',
  agentName: 'gen_ai.agent.name',
  agentVersion: 'gen_ai.agent.version',
  conversationId: 'gen_ai.conversation.id',
  inputMessages: 'gen_ai.input.messages',
  outputMessages: 'gen_ai.output.messages',
  errorType: 'error.type',
} as const;

/** Span event names for decisions recorded on spans. */
export const SpanEventNames = {
  guardrail: 'charter.guardrail.decision',
  approvalRequested: 'charter.approval.requested',
  approvalGranted: 'charter.approval.granted',
  approvalDenied: 'charter.approval.denied',
  budgetExceeded: 'charter.budget.exceeded',
  escalation: 'charter.escalation',
  step: 'charter.step',
  modelFallback: 'charter.model.fallback',
} as const;

export interface OtelSinkOptions {
  /** Default: the global provider from `@opentelemetry/api` (a no-op until an SDK registers one). */
  readonly tracerProvider?: TracerProvider;
  /** Default: the global provider from `@opentelemetry/api`. */
  readonly meterProvider?: MeterProvider;
  /** Emit spans (default true). */
  readonly traces?: boolean;
  /** Record metrics (default true). */
  readonly metrics?: boolean;
}

export interface OtelSink extends Sink {
  /**
   * The context holding a run's `invoke_agent` span, or with `callId` the open `chat`/`execute_tool`
   * span of that call, so the agent can run model and tool code inside it and libraries it calls
   * parent their spans there: `context.with(sink.contextFor(runId, callId), fn)`. The active context
   * when the run or call is unknown.
   */
  contextFor(runId: string, callId?: string): Context;
}

interface RunSpans {
  readonly span: Span;
  readonly ctx: Context;
  readonly provider: string | undefined;
  readonly conversationId: string | undefined;
  readonly open: Map<string, Span>;
}

const SCOPE = '@charter/telemetry';

// `@opentelemetry/api` (≈ 10 ms, CommonJS) is needed by this sink alone, so it is loaded when the
// first sink is created, not when @charter/telemetry is imported. Node resolves the package to the
// same CommonJS build for `import` and `require` (and the API keeps its registered providers on a
// global), so this is the copy an application's own `import '@opentelemetry/api'` sees.
const require = createRequire(import.meta.url);
let api: typeof OtelApi | undefined;
function otelApi(): typeof OtelApi {
  api ??= require('@opentelemetry/api') as typeof OtelApi;
  return api;
}

/**
 * Maps events to OpenTelemetry GenAI spans (`invoke_agent <agent>`, `chat <model>`, `execute_tool
 * <tool>`, decisions as span events) and to the `METRICS` instruments, through `@opentelemetry/api`
 * only: without a registered SDK every call is the API's no-op.
 */
export function createOtelSink(options: OtelSinkOptions = {}): OtelSink {
  const otel = otelApi();
  const tracer: Tracer | undefined =
    options.traces === false ? undefined : (options.tracerProvider ?? otel.trace.getTracerProvider()).getTracer(SCOPE);
  const meter: Meter | undefined =
    options.metrics === false ? undefined : (options.meterProvider ?? otel.metrics.getMeterProvider()).getMeter(SCOPE);
  const instruments = meter ? createInstruments(meter) : undefined;
  const runs = new Map<string, RunSpans>();

  function record(metric: MetricKey, value: number, labels: Labels): void {
    if (!instruments) return;
    const attributes: Attributes = {};
    for (const [label, labelValue] of Object.entries(labels)) attributes[otelAttributeKey(label)] = labelValue;
    const instrument = instruments[metric];
    if ('add' in instrument) instrument.add(value, attributes);
    else instrument.record(value, attributes);
  }

  function parentOf(runId: string): Context {
    return runs.get(runId)?.ctx ?? otel.context.active();
  }

  function spanFor(event: { runId: string; callId?: string | undefined }): Span | undefined {
    const run = runs.get(event.runId);
    if (!run) return undefined;
    return (event.callId === undefined ? undefined : run.open.get(event.callId)) ?? run.span;
  }

  function openChild(event: EventOf<'model.request'> | EventOf<'tool.call'>, name: string, kind: SpanKind, attributes: Attributes): void {
    if (!tracer) return;
    const run = runs.get(event.runId);
    const span = tracer.startSpan(name, { kind, startTime: event.ts, attributes }, parentOf(event.runId));
    if (run) run.open.set(event.callId, span);
    else
      runs.set(event.runId, {
        span,
        ctx: otel.trace.setSpan(otel.context.active(), span),
        provider: undefined,
        conversationId: undefined,
        open: new Map([[event.callId, span]]),
      });
  }

  function closeChild(event: EventOf<'model.response'> | EventOf<'tool.result'>): Span | undefined {
    const run = runs.get(event.runId);
    const span = run?.open.get(event.callId);
    if (!run || !span) return undefined;
    run.open.delete(event.callId);
    if (run.span === span) runs.delete(event.runId);
    return span;
  }

  function traceEvent(event: TelemetryEvent): void {
    if (!tracer) return;
    switch (event.type) {
      case 'run.started': {
        const attributes: Attributes = {
          [GenAiAttributes.operationName]: 'invoke_agent',
          [GenAiAttributes.agentName]: event.agent,
          'charter.run.id': event.runId,
        };
        if (event.model) {
          attributes[GenAiAttributes.providerName] = event.model.provider;
          attributes[GenAiAttributes.requestModel] = event.model.id;
        }
        if (event.conversationId !== undefined) attributes[GenAiAttributes.conversationId] = event.conversationId;
        if (event.agentVersion !== undefined) attributes[GenAiAttributes.agentVersion] = event.agentVersion;
        if (event.input !== undefined) attributes[GenAiAttributes.inputMessages] = JSON.stringify(event.input);
        const span = tracer.startSpan(
          `invoke_agent ${event.agent}`,
          { kind: otel.SpanKind.INTERNAL, startTime: event.ts, attributes },
          otel.context.active(),
        );
        runs.set(event.runId, {
          span,
          ctx: otel.trace.setSpan(otel.context.active(), span),
          provider: event.model?.provider,
          conversationId: event.conversationId,
          open: new Map(),
        });
        return;
      }
      case 'model.request': {
        const run = runs.get(event.runId);
        const attributes: Attributes = {
          [GenAiAttributes.operationName]: 'chat',
          [GenAiAttributes.providerName]: event.provider,
          [GenAiAttributes.requestModel]: event.model,
          [GenAiAttributes.agentName]: event.agent,
        };
        if (run?.conversationId !== undefined) attributes[GenAiAttributes.conversationId] = run.conversationId;
        if (event.messages !== undefined) attributes[GenAiAttributes.inputMessages] = JSON.stringify(event.messages);
        openChild(event, `chat ${event.model}`, otel.SpanKind.CLIENT, attributes);
        return;
      }
      case 'model.response': {
        const span = closeChild(event);
        if (!span) return;
        span.setAttributes({
          [GenAiAttributes.responseModel]: event.model,
          [GenAiAttributes.inputTokens]: event.inputTokens,
          [GenAiAttributes.outputTokens]: event.outputTokens,
          [GenAiAttributes.finishReasons]: [event.finishReason],
          'charter.cost_usd': event.costUsd,
        });
        if (event.output !== undefined) span.setAttribute(GenAiAttributes.outputMessages, JSON.stringify(event.output));
        if (event.finishReason === 'error') {
          span.setAttribute(GenAiAttributes.errorType, 'model_error');
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: 'the model call finished with an error' });
        }
        span.end(event.ts);
        return;
      }
      case 'model.fallback':
        runs.get(event.runId)?.span.addEvent(
          SpanEventNames.modelFallback,
          {
            'charter.model.fallback.reason': event.reason,
            [GenAiAttributes.requestModel]: event.model,
            'charter.model.fallback.model': event.fallbackModel,
            'charter.model.fallback.provider': event.fallbackProvider,
            ...(event.error === undefined ? {} : { 'charter.model.fallback.error': event.error }),
          },
          event.ts,
        );
        return;
      case 'tool.call': {
        const attributes: Attributes = {
          [GenAiAttributes.operationName]: 'execute_tool',
          [GenAiAttributes.toolName]: event.name,
          [GenAiAttributes.toolCallId]: event.callId,
          [GenAiAttributes.toolType]: 'function',
          [GenAiAttributes.agentName]: event.agent,
          'charter.tool.version': event.version,
          'charter.tool.side_effects': event.sideEffects,
          'charter.tool.args_hash': event.argsHash,
        };
        if (event.args !== undefined) attributes[GenAiAttributes.toolCallArguments] = JSON.stringify(event.args);
        openChild(event, `execute_tool ${event.name}`, otel.SpanKind.INTERNAL, attributes);
        return;
      }
      case 'tool.result': {
        const span = closeChild(event);
        if (!span) return;
        span.setAttribute('charter.tool.retries', event.retries);
        span.setAttribute('charter.tool.outcome', event.outcome);
        if (event.result !== undefined) span.setAttribute(GenAiAttributes.toolCallResult, JSON.stringify(event.result));
        if (event.outcome === 'error') {
          span.setAttribute(GenAiAttributes.errorType, event.errorCode ?? '_OTHER');
          span.setStatus({ code: otel.SpanStatusCode.ERROR, message: event.errorCode ?? 'tool error' });
        }
        span.end(event.ts);
        return;
      }
      case 'guardrail.decision':
        spanFor(event)?.addEvent(
          SpanEventNames.guardrail,
          {
            'charter.guardrail.hook': event.hook,
            'charter.guardrail.action': event.action,
            'charter.guardrail.rule_ids': event.ruleIds,
            ...(event.mode ? { 'charter.guardrail.mode': event.mode } : {}),
          },
          event.ts,
        );
        return;
      case 'approval.requested':
        spanFor(event)?.addEvent(
          SpanEventNames.approvalRequested,
          { 'charter.approval.id': event.approvalId, [GenAiAttributes.toolName]: event.tool, 'charter.approval.reason': event.reason },
          event.ts,
        );
        return;
      case 'approval.granted':
        runs
          .get(event.runId)
          ?.span.addEvent(
            SpanEventNames.approvalGranted,
            { 'charter.approval.id': event.approvalId, 'charter.approval.approver': event.approver },
            event.ts,
          );
        return;
      case 'approval.denied':
        runs
          .get(event.runId)
          ?.span.addEvent(
            SpanEventNames.approvalDenied,
            { 'charter.approval.id': event.approvalId, 'charter.approval.approver': event.approver },
            event.ts,
          );
        return;
      case 'budget.exceeded':
        runs
          .get(event.runId)
          ?.span.addEvent(
            SpanEventNames.budgetExceeded,
            { 'charter.budget.kind': event.budget, 'charter.budget.limit': event.limit, 'charter.budget.used': event.used },
            event.ts,
          );
        return;
      case 'escalation':
        runs.get(event.runId)?.span.addEvent(SpanEventNames.escalation, { 'charter.escalation.reason': event.reason }, event.ts);
        return;
      case 'step':
        runs
          .get(event.runId)
          ?.span.addEvent(SpanEventNames.step, { 'charter.step.index': event.step, 'charter.step.phase': event.phase }, event.ts);
        return;
      case 'run.completed':
      case 'run.failed':
      case 'run.escalated': {
        const run = runs.get(event.runId);
        if (!run) return;
        runs.delete(event.runId);
        for (const open of run.open.values()) open.end(event.ts);
        const status = event.type === 'run.completed' ? event.status : event.type === 'run.failed' ? 'failed' : 'escalated';
        run.span.setAttribute('charter.run.status', status);
        if (event.type === 'run.completed' && event.output !== undefined)
          run.span.setAttribute(GenAiAttributes.outputMessages, JSON.stringify(event.output));
        if (event.type === 'run.failed') {
          run.span.setAttribute(GenAiAttributes.errorType, event.errorCode);
          run.span.setStatus({ code: otel.SpanStatusCode.ERROR, message: event.message });
        }
        run.span.end(event.ts);
        return;
      }
      case 'feedback':
      case 'rollout.transition':
        return;
    }
  }

  return {
    write(event) {
      traceEvent(event);
      if (instruments) observeEvent(event, record);
    },
    contextFor(runId, callId) {
      const run = runs.get(runId);
      const span = callId === undefined ? undefined : run?.open.get(callId);
      return span ? otel.trace.setSpan(run?.ctx ?? otel.context.active(), span) : parentOf(runId);
    },
  };
}

type Instruments = Record<MetricKey, Counter | Histogram>;

function createInstruments(meter: Meter): Instruments {
  const out: Partial<Instruments> = {};
  for (const key of Object.keys(METRICS) as MetricKey[]) {
    const def = METRICS[key];
    out[key] =
      def.type === 'counter'
        ? meter.createCounter(def.otel, { unit: def.unit, description: def.description })
        : meter.createHistogram(def.otel, {
            unit: def.unit,
            description: def.description,
            advice: { explicitBucketBoundaries: [...METRIC_BUCKETS[key as HistogramKey]] },
          });
  }
  return out as Instruments;
}
