/**
 * The metric contract between `@charter/telemetry` (which records these through the OpenTelemetry
 * metrics API and exposes them in Prometheus text format) and the alert rules `charter alerts`
 * generates. Renaming one is a breaking change for every dashboard and alert.
 *
 * `otel` is the instrument name; `prometheus` the exposed series name (counters end in `_total`,
 * histograms expose `_bucket`, `_sum` and `_count`). Attribute keys double as Prometheus labels.
 */
export const METRICS = {
  runs: {
    otel: 'charter.agent.runs',
    prometheus: 'charter_agent_runs_total',
    type: 'counter',
    unit: '{run}',
    labels: ['agent', 'status'],
    description: 'Agent runs finished, by final status (completed, escalated, denied, failed).',
  },
  runDuration: {
    otel: 'charter.agent.run.duration',
    prometheus: 'charter_agent_run_duration_seconds',
    type: 'histogram',
    unit: 's',
    labels: ['agent', 'status'],
    description: 'Wall time of a run from input to final status.',
  },
  cost: {
    otel: 'charter.agent.cost',
    prometheus: 'charter_agent_cost_usd_total',
    type: 'counter',
    unit: 'USD',
    labels: ['agent', 'model'],
    description: 'Model spend in US dollars.',
  },
  tokens: {
    otel: 'gen_ai.client.token.usage',
    prometheus: 'gen_ai_client_token_usage',
    type: 'histogram',
    unit: '{token}',
    labels: ['agent', 'gen_ai_token_type', 'gen_ai_request_model'],
    description: 'Tokens per model call (OpenTelemetry GenAI convention), by input or output.',
  },
  modelDuration: {
    otel: 'gen_ai.client.operation.duration',
    prometheus: 'gen_ai_client_operation_duration_seconds',
    type: 'histogram',
    unit: 's',
    labels: ['agent', 'gen_ai_operation_name', 'gen_ai_request_model'],
    description: 'Duration of one model call (OpenTelemetry GenAI convention).',
  },
  modelFallbacks: {
    otel: 'charter.model.fallbacks',
    prometheus: 'charter_model_fallbacks_total',
    type: 'counter',
    unit: '{call}',
    labels: ['agent', 'model', 'fallback_model', 'reason'],
    description:
      'Model calls sent to the fallback model (spec.model.fallback) instead of the primary, by primary model, fallback model and reason (breaker_open, timeout, server_error, rate_limited, unavailable).',
  },
  modelCacheLookups: {
    otel: 'charter.model.cache.lookups',
    prometheus: 'charter_model_cache_lookups_total',
    type: 'counter',
    unit: '{call}',
    labels: ['agent', 'model', 'outcome'],
    description: 'Decision-cache lookups of model calls (spec.cost.cache), by outcome (hit, miss, bypass).',
  },
  modelCacheSavings: {
    otel: 'charter.model.cache.savings',
    prometheus: 'charter_model_cache_savings_usd_total',
    type: 'counter',
    unit: 'USD',
    labels: ['agent', 'model'],
    description: 'Model spend in US dollars avoided by decision-cache hits (what the cached calls cost when they were made).',
  },
  modelCascade: {
    otel: 'charter.model.cascade',
    prometheus: 'charter_model_cascade_total',
    type: 'counter',
    unit: '{call}',
    labels: ['agent', 'model', 'large_model', 'outcome'],
    description:
      "Model-cascade steps (spec.cost.cascade), by small model, large model and outcome: accepted (the small model's answer was used) or escalated (the large model was called).",
  },
  toolCalls: {
    otel: 'charter.tool.calls',
    prometheus: 'charter_tool_calls_total',
    type: 'counter',
    unit: '{call}',
    labels: ['agent', 'tool', 'outcome', 'error_code'],
    description: 'Tool calls by outcome (ok, error) and error code (TOOL_TIMEOUT, TOOL_UNAVAILABLE, …).',
  },
  toolDuration: {
    otel: 'charter.tool.duration',
    prometheus: 'charter_tool_duration_seconds',
    type: 'histogram',
    unit: 's',
    labels: ['agent', 'tool', 'outcome'],
    description: 'Duration of one tool call including retries.',
  },
  guardrailTrips: {
    otel: 'charter.guardrail.trips',
    prometheus: 'charter_guardrail_trips_total',
    type: 'counter',
    unit: '{decision}',
    labels: ['agent', 'hook', 'rule', 'action'],
    description: 'Guardrail decisions other than allow, by rule id and action.',
  },
  escalations: {
    otel: 'charter.agent.escalations',
    prometheus: 'charter_agent_escalations_total',
    type: 'counter',
    unit: '{escalation}',
    labels: ['agent', 'reason'],
    description: 'Runs handed to a human, by reason code.',
  },
  satisfaction: {
    otel: 'charter.agent.satisfaction',
    prometheus: 'charter_agent_satisfaction_score',
    type: 'histogram',
    unit: '{score}',
    labels: ['agent'],
    description: 'Customer satisfaction ratings (1-5) reported after a run.',
  },
} as const;

export type MetricKey = keyof typeof METRICS;
export type MetricDefinition = (typeof METRICS)[MetricKey];
