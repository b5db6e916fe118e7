import type { TelemetryEvent } from './events.js';
import type { METRICS, MetricKey } from './metric-names.js';

export type HistogramKey = { [K in MetricKey]: (typeof METRICS)[K]['type'] extends 'histogram' ? K : never }[MetricKey];

const DURATION_BUCKETS = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

/**
 * Histogram bucket upper bounds. Model duration and token usage follow the OpenTelemetry GenAI
 * metric advice; tool and run durations reuse the duration buckets with longer tails.
 */
export const METRIC_BUCKETS: Readonly<Record<HistogramKey, readonly number[]>> = {
  runDuration: [0.1, 0.25, 0.5, 1, 2, 3, 4, 5, 6, 8, 10, 15, 20, 30, 45, 60, 90, 120, 180, 320],
  tokens: [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864],
  modelDuration: DURATION_BUCKETS,
  toolDuration: DURATION_BUCKETS,
  satisfaction: [1, 2, 3, 4, 5],
};

/** Label values of one observation, keyed by the Prometheus label names of `METRICS`. */
export type Labels = Readonly<Record<string, string>>;

/** Receives one metric observation (counter increment or histogram value). */
export type Observe = (metric: MetricKey, value: number, labels: Labels) => void;

/**
 * The single mapping from events to the metric contract, shared by the OpenTelemetry sink and the
 * Prometheus sink so both report the same numbers.
 */
export function observeEvent(event: TelemetryEvent, observe: Observe): void {
  const agent = event.agent;
  switch (event.type) {
    case 'run.completed':
    case 'run.failed':
    case 'run.escalated': {
      const status = event.type === 'run.completed' ? event.status : event.type === 'run.failed' ? 'failed' : 'escalated';
      observe('runs', 1, { agent, status });
      observe('runDuration', event.durationMs / 1000, { agent, status });
      return;
    }
    case 'model.response': {
      observe('cost', event.costUsd, { agent, model: event.model });
      observe('tokens', event.inputTokens, { agent, gen_ai_token_type: 'input', gen_ai_request_model: event.model });
      observe('tokens', event.outputTokens, { agent, gen_ai_token_type: 'output', gen_ai_request_model: event.model });
      observe('modelDuration', event.latencyMs / 1000, { agent, gen_ai_operation_name: 'chat', gen_ai_request_model: event.model });
      return;
    }
    case 'model.fallback':
      observe('modelFallbacks', 1, { agent, model: event.model, fallback_model: event.fallbackModel, reason: event.reason });
      return;
    case 'model.cache':
      observe('modelCacheLookups', 1, { agent, model: event.model, outcome: event.outcome });
      if (event.outcome === 'hit') observe('modelCacheSavings', event.savedUsd, { agent, model: event.model });
      return;
    case 'model.cascade':
      observe('modelCascade', 1, { agent, model: event.model, large_model: event.largeModel, outcome: event.outcome });
      return;
    case 'tool.result': {
      observe('toolCalls', 1, { agent, tool: event.name, outcome: event.outcome, error_code: event.errorCode ?? 'none' });
      observe('toolDuration', event.durationMs / 1000, { agent, tool: event.name, outcome: event.outcome });
      return;
    }
    case 'guardrail.decision': {
      if (event.action === 'allow') return;
      const rules = event.ruleIds.length > 0 ? event.ruleIds : ['none'];
      for (const rule of rules) observe('guardrailTrips', 1, { agent, hook: event.hook, rule, action: event.action });
      return;
    }
    case 'escalation':
      observe('escalations', 1, { agent, reason: event.reason });
      return;
    case 'feedback':
      observe('satisfaction', event.score, { agent });
      return;
    default:
      return;
  }
}

const OTEL_ATTRIBUTE: Readonly<Record<string, string>> = {
  gen_ai_token_type: 'gen_ai.token.type',
  gen_ai_request_model: 'gen_ai.request.model',
  gen_ai_operation_name: 'gen_ai.operation.name',
};

/**
 * The OpenTelemetry attribute key of a Prometheus label: the GenAI conventions' dotted keys
 * (`gen_ai.token.type`) for the `gen_ai_*` labels, the label itself otherwise. An OTel→Prometheus
 * exporter turns the dots back into the underscores of `METRICS`.
 */
export function otelAttributeKey(label: string): string {
  return OTEL_ATTRIBUTE[label] ?? label;
}
