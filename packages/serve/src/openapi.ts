import { PROBLEM_CONTENT_TYPE, PROBLEMS } from './problems.js';
import {
  agentParams,
  approvalSchema,
  correctionSchema,
  feedbackSchema,
  ID_PATTERN,
  problemSchema,
  runIdParams,
  runRequestSchema,
  runViewSchema,
} from './schemas.js';

const problemRef = { $ref: '#/components/schemas/Problem' };
const problemResponse = (description: string) => ({ description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemRef } } });
const retryAfter = {
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', minimum: 1 } },
};
const runResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Run' } } },
});
const idParam = { name: 'id', in: 'path', required: true, schema: runIdParams.properties.id };
const common = {
  '400': problemResponse('Malformed JSON, a body that fails the schema (each field named by a JSON pointer), or JSON nested too deeply.'),
  '401': problemResponse('Missing, unknown or revoked API key.'),
  '404': problemResponse('No such run for this tenant (another tenant’s run is a 404 too).'),
  '413': problemResponse('The body is larger than the limit.'),
};

/** The OpenAPI 3.1 document of the service for one agent. */
export function openApiDocument(options: { readonly agent: string; readonly version: string; readonly maxInputChars: number }) {
  return {
    openapi: '3.1.0',
    info: {
      title: `Charter agent service: ${options.agent}`,
      version: options.version,
      description: `A governed agent served to many tenants. Errors are RFC 9457 problem documents; their types: ${Object.values(PROBLEMS)
        .map((p) => p.type)
        .join(', ')}.`,
    },
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer', description: 'A tenant API key (`charter tenants add`).' } },
      schemas: { Run: runViewSchema, Problem: problemSchema },
    },
    security: [{ apiKey: [] }],
    paths: {
      '/v1/agents/{name}/runs': {
        post: {
          operationId: 'createRun',
          summary: 'Start a run: waits for it (sync, up to timeoutMs) or answers 202 with its Location.',
          parameters: [{ name: 'name', in: 'path', required: true, schema: agentParams.properties.name }],
          requestBody: { required: true, content: { 'application/json': { schema: runRequestSchema(options.maxInputChars) } } },
          responses: {
            '200': runResponse('The run finished (completed, paused for approval, escalated, denied or failed).'),
            '202': { ...runResponse('The run is queued or running.'), headers: { Location: { schema: { type: 'string' } } } },
            ...common,
            '429': {
              ...problemResponse(
                'A quota of the tenant is used up, or its requests come faster than its requestsPerMinute pace (the problem names the quota).',
              ),
              headers: retryAfter,
            },
            '503': { ...problemResponse('The queue is full, or the service is shutting down.'), headers: retryAfter },
          },
        },
      },
      '/v1/runs/{id}': {
        get: {
          operationId: 'getRun',
          summary: 'A run of this tenant.',
          parameters: [idParam],
          responses: { '200': runResponse('The run.'), ...common },
        },
      },
      '/v1/runs/{id}/events': {
        get: {
          operationId: 'runEvents',
          summary: 'The run’s telemetry events as server-sent events; the last one, `run`, carries the finished run.',
          parameters: [idParam],
          responses: {
            '200': { description: 'An event stream.', content: { 'text/event-stream': { schema: { type: 'string' } } } },
            ...common,
          },
        },
      },
      '/v1/runs/{id}/approval': {
        post: {
          operationId: 'approveRun',
          summary: 'Decide the call a paused run waits for; the run resumes on a worker.',
          parameters: [idParam],
          requestBody: { required: true, content: { 'application/json': { schema: approvalSchema } } },
          responses: {
            '202': { ...runResponse('The resume is queued.'), headers: { Location: { schema: { type: 'string' } } } },
            ...common,
            '409': problemResponse('The run is not waiting for an approval.'),
          },
        },
      },
      '/v1/runs/{id}/feedback': {
        post: {
          operationId: 'runFeedback',
          summary: 'Rate a run and say what it should have done: stored with the run, the labelled set of `charter eval`.',
          parameters: [idParam],
          requestBody: { required: true, content: { 'application/json': { schema: feedbackSchema } } },
          responses: {
            '201': {
              description: 'Stored: the feedback record (`@charter/spec` Feedback).',
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['id', 'runId', 'agent', 'kind', 'by', 'at'],
                    properties: {
                      id: { type: 'string' },
                      runId: { type: 'string' },
                      agent: { type: 'string' },
                      tenant: { type: 'string' },
                      kind: { type: 'string', enum: ['rating', 'approval-denied', 'escalation-override'] },
                      rating: { type: 'integer' },
                      correction: correctionSchema,
                      reason: { type: 'string' },
                      category: { type: 'string' },
                      by: { type: 'string' },
                      at: { type: 'string', format: 'date-time' },
                    },
                  },
                },
              },
            },
            ...common,
          },
        },
      },
      '/healthz': {
        get: { operationId: 'health', security: [], summary: 'The process answers.', responses: { '200': { description: 'Alive.' } } },
      },
      '/readyz': {
        get: {
          operationId: 'ready',
          security: [],
          summary: 'The database answers and the service is not draining.',
          responses: { '200': { description: 'Ready.' }, '503': problemResponse('Not ready.') },
        },
      },
      '/metrics': {
        get: {
          operationId: 'metrics',
          security: [],
          summary: 'Prometheus text exposition with Charter’s metric names.',
          responses: { '200': { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } } },
        },
      },
      '/openapi.json': {
        get: { operationId: 'openapi', security: [], summary: 'This document.', responses: { '200': { description: 'OpenAPI 3.1.' } } },
      },
    },
    'x-id-pattern': ID_PATTERN,
  };
}
