// The JSON Schemas of the API: fastify validates requests with them (nothing reaches the agent
// unvalidated) and the OpenAPI document is built from the same objects.

export const ID_PATTERN = '^[A-Za-z0-9_.-]{1,200}$';

export function runRequestSchema(maxInputChars: number) {
  return {
    type: 'object',
    additionalProperties: false,
    required: ['input'],
    properties: {
      input: { type: 'string', minLength: 1, maxLength: maxInputChars, description: 'What the user asks the agent.' },
      user: { type: 'string', minLength: 1, maxLength: 200, description: 'The end user (targeting key of a rollout; written on the run).' },
      context: {
        type: 'object',
        maxProperties: 32,
        description: 'Facts guardrail argument rules read (e.g. customerEmail).',
        additionalProperties: {
          oneOf: [
            { type: 'string', maxLength: 1000 },
            { type: 'array', maxItems: 32, items: { type: 'string', maxLength: 1000 } },
          ],
        },
      },
      mode: {
        type: 'string',
        enum: ['sync', 'async'],
        description: 'sync (default): wait for the run up to timeoutMs, then 202; async: 202 at once.',
      },
      timeoutMs: { type: 'integer', minimum: 1, maximum: 120_000, description: 'How long a sync request waits.' },
    },
  } as const;
}

export const approvalSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['approved'],
  properties: {
    approved: { type: 'boolean' },
    approver: { type: 'string', minLength: 1, maxLength: 200, description: 'Who decided (default: the tenant).' },
    reason: { type: 'string', maxLength: 2000 },
  },
} as const;

const TOOL_NAMES = { type: 'array', maxItems: 32, items: { type: 'string', pattern: '^[a-z][a-z0-9_-]{0,63}$' } } as const;

/** `@charter/spec`'s `FeedbackCorrection` as JSON Schema: what the run should have done. */
export const correctionSchema = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  description: 'The labelled expectation `charter eval` checks against a replay of the run.',
  properties: {
    status: { type: 'string', enum: ['completed', 'escalated', 'denied', 'failed'], description: 'The outcome the run should have had.' },
    reason: {
      type: 'string',
      minLength: 1,
      maxLength: 64,
      description: 'The escalation reason (or error code) it should have ended with.',
    },
    answer: { type: 'string', minLength: 1, maxLength: 20_000, description: 'Text a correct answer contains.' },
    mustRun: { ...TOOL_NAMES, description: 'Tools that should have run.' },
    mustNotRun: { ...TOOL_NAMES, description: 'Tools that should not have run.' },
  },
} as const;

export const feedbackSchema = {
  type: 'object',
  additionalProperties: false,
  anyOf: [{ required: ['rating'] }, { required: ['correction'] }],
  properties: {
    rating: { type: 'integer', minimum: 1, maximum: 5, description: 'Satisfaction, 1-5.' },
    correction: {
      description: 'What the run should have done; a string is the expected answer (`{ answer }`).',
      oneOf: [{ type: 'string', minLength: 1, maxLength: 20_000 }, correctionSchema],
    },
    kind: {
      type: 'string',
      enum: ['rating', 'escalation-override'],
      description: '`escalation-override`: a human resolved the escalated run differently (default `rating`).',
    },
    reason: { type: 'string', maxLength: 2000, description: 'Why.' },
    comment: { type: 'string', maxLength: 2000, description: 'Deprecated: the same as `reason`.' },
    category: { type: 'string', pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: 'Category `charter eval` reports the run under.' },
    by: { type: 'string', minLength: 1, maxLength: 200, description: 'Who gave it (default: the tenant).' },
  },
} as const;

export const runIdParams = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', pattern: ID_PATTERN } },
} as const;

export const agentParams = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', pattern: ID_PATTERN } },
} as const;

const usage = {
  type: 'object',
  properties: {
    inputTokens: { type: 'integer' },
    outputTokens: { type: 'integer' },
    tokens: { type: 'integer' },
    costUsd: { type: 'number' },
  },
} as const;

export const runViewSchema = {
  type: 'object',
  required: ['id', 'agent', 'status', 'createdAt', 'updatedAt'],
  properties: {
    id: { type: 'string' },
    agent: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'running', 'completed', 'paused', 'escalated', 'denied', 'failed'] },
    variant: { type: 'string', enum: ['control', 'shadow', 'candidate'] },
    output: { type: 'string' },
    reason: { type: 'string' },
    steps: { type: 'integer' },
    durationMs: { type: 'number' },
    usage,
    approval: {
      type: 'object',
      properties: { approvalId: { type: 'string' }, tool: { type: 'string' }, args: {}, reason: { type: 'string' } },
    },
    createdAt: { type: 'string', format: 'date-time' },
    updatedAt: { type: 'string', format: 'date-time' },
  },
} as const;

export const problemSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', format: 'uri-reference' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    quota: {
      type: 'string',
      enum: ['requestsPerMinute', 'concurrentRuns', 'tokensPerDay', 'costPerDayUsd'],
      description: 'quota-exceeded: the quota that refused the run.',
    },
    limit: {
      type: 'number',
      description: "quota-exceeded: the tenant's limit; queue-full: the queue's bound; body-too-large: the largest body in bytes.",
    },
    used: {
      type: 'number',
      description:
        'quota-exceeded: requestsPerMinute: runs admitted in the last 60 s; concurrentRuns: runs queued or running; tokensPerDay, costPerDayUsd: charged today (UTC).',
    },
    burst: {
      type: 'integer',
      description:
        'quota-exceeded by requestsPerMinute: the most its token bucket admits at once (a tenth of the limit, at least 1); it refills at limit / 60 a second.',
    },
    errors: {
      type: 'array',
      items: { type: 'object', required: ['pointer', 'detail'], properties: { pointer: { type: 'string' }, detail: { type: 'string' } } },
    },
  },
} as const;
