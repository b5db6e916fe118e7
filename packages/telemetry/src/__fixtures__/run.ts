import { hashArguments } from '../canonical.js';
import type { EventInput } from '../events.js';

/** A complete run of the reference customer-support agent, as the agent (issue 6) will emit it. */
export function refundRun(runId: string): EventInput[] {
  const refundArgs = { orderId: 'A-1001', amount: 150 };
  return [
    { type: 'run.started', runId, model: { provider: 'openai', id: 'gpt-4o-mini' }, conversationId: 'conv-7', agentVersion: '1.2.0', input: { text: 'Refund order A-1001, my email is jo@example.com' } },
    { type: 'step', runId, step: 0, phase: 'perceive' },
    { type: 'guardrail.decision', runId, hook: 'input', action: 'redact', ruleIds: ['pii.email'] },
    { type: 'step', runId, step: 1, phase: 'decide' },
    { type: 'model.request', runId, callId: 'm1', provider: 'openai', model: 'gpt-4o-mini', step: 1, messages: [{ role: 'user', content: 'Refund order A-1001, my email is jo@example.com' }] },
    { type: 'model.response', runId, callId: 'm1', provider: 'openai', model: 'gpt-4o-mini', inputTokens: 420, outputTokens: 35, costUsd: 0.00042, latencyMs: 640, finishReason: 'tool-calls', output: { toolCalls: [{ name: 'lookup_order' }] } },
    { type: 'step', runId, step: 2, phase: 'act' },
    { type: 'tool.call', runId, callId: 't1', name: 'lookup_order', version: '1.0.0', sideEffects: 'none', argsHash: hashArguments({ orderId: 'A-1001' }), args: { orderId: 'A-1001' } },
    { type: 'tool.result', runId, callId: 't1', name: 'lookup_order', version: '1.0.0', durationMs: 12, outcome: 'ok', retries: 0, result: { status: 'delivered', total: 150 } },
    { type: 'guardrail.decision', runId, hook: 'tool-call', action: 'needs-approval', ruleIds: ['approval.refund_order'], callId: 't2' },
    { type: 'approval.requested', runId, approvalId: 'ap-1', tool: 'refund_order', toolVersion: '2.1.0', sideEffects: 'irreversible', callId: 't2', argsHash: hashArguments(refundArgs), reason: 'when amount > 100' },
    { type: 'approval.granted', runId, approvalId: 'ap-1', approver: 'alice@support' },
    { type: 'tool.call', runId, callId: 't2', name: 'refund_order', version: '2.1.0', sideEffects: 'irreversible', argsHash: hashArguments(refundArgs), args: refundArgs },
    { type: 'tool.result', runId, callId: 't2', name: 'refund_order', version: '2.1.0', durationMs: 2300, outcome: 'error', retries: 2, errorCode: 'TOOL_TIMEOUT' },
    { type: 'escalation', runId, reason: 'tool_failed', channel: 'queue', target: 'support-l2' },
    { type: 'run.escalated', runId, durationMs: 4100, reason: 'tool_failed' },
  ];
}
