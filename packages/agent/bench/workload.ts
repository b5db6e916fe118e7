// The bench workloads shared by step.bench.ts and step-profile.ts: the instant model's usage, the
// provenance ("e-mail") workload's model and input, the tool set, and the governed manifest and
// recommended policy they run under.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { loadPolicy, type GuardrailPolicy } from '@charter/spec';
import { defineTool } from '@charter/tools';
import { z } from 'zod';
import { shopManifest } from '../src/__fixtures__/shop.js';

export const TOOL_CALLS = 10;
export const STEPS = TOOL_CALLS + 1;

/** Fixed usage, no token counting: the instant models cost next to nothing, so what is measured is the framework. */
export const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 },
  outputTokens: { total: 5, text: 5, reasoning: 0 },
};

// The provenance workload: 10 calls alternating a lookup and an e-mail (irreversible) of its status to
// the address the user gave, so every second call is checked for grounding: the user's request must
// ask for e-mail, and the recipient must come from trusted context — while the lookups' results
// (untrusted tool output) are labelled and indexed. Every call is grounded: no approval.
export const PROVENANCE_INPUT = 'Check my orders A-1 to A-5 and email each status to customer@example.com please.';
export const sideEffectModel: LanguageModelV3 = {
  specificationVersion: 'v3',
  provider: 'mock',
  modelId: 'instant-side-effects',
  supportedUrls: {},
  doGenerate({ prompt }) {
    let turn = 0;
    for (const message of prompt) if (message.role === 'assistant') turn++;
    if (turn >= TOOL_CALLS)
      return Promise.resolve({
        content: [{ type: 'text', text: 'All five orders are delivered; I e-mailed each status.' }],
        finishReason: { unified: 'stop', raw: undefined },
        usage,
        warnings: [],
      });
    const order = `A-${(turn >> 1) + 1}`;
    const call =
      turn % 2 === 0
        ? { toolName: 'lookup_order', input: JSON.stringify({ orderId: order }) }
        : {
            toolName: 'send_email',
            input: JSON.stringify({ to: ['customer@example.com'], subject: `Order ${order}`, body: `Order ${order} is delivered.` }),
          };
    return Promise.resolve({
      content: [{ type: 'tool-call', toolCallId: `c${turn}`, ...call }],
      finishReason: { unified: 'tool-calls', raw: undefined },
      usage,
      warnings: [],
    });
  },
  doStream: () => Promise.reject(new Error('not used')),
};

const unused = (name: string, sideEffects: 'irreversible' | 'reversible', scope: string) =>
  defineTool({
    name,
    version: '1.0.0',
    description: 'unused',
    input: z.object({}),
    output: z.object({}),
    sideEffects,
    scopes: [scope],
    execute: () => ({}),
  });

/** The shop's tools: an instant `lookup_order`, an instant `send_email`, and two that are granted but never called. */
export function benchTools() {
  return [
    defineTool({
      name: 'lookup_order',
      version: '1.0.0',
      description: 'Look up an order',
      input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/) }),
      output: z.object({ orderId: z.string(), status: z.string() }),
      sideEffects: 'none',
      scopes: ['orders:read'],
      execute: ({ orderId }) => ({ orderId, status: 'delivered' }),
    }),
    unused('refund_order', 'irreversible', 'payments:refund'),
    defineTool({
      name: 'send_email',
      version: '1.0.0',
      description: 'Send an e-mail',
      input: z.object({ to: z.array(z.string()).min(1).max(5), subject: z.string().max(200), body: z.string().max(5000) }),
      output: z.object({}),
      sideEffects: 'irreversible',
      scopes: ['email:send'],
      execute: () => ({}),
    }),
    unused('escalate_to_human', 'reversible', 'tickets:write'),
  ];
}

/** The shop's manifest with room for the 10-call conversation. */
export function benchManifest() {
  const base = shopManifest();
  return { ...base, spec: { ...base.spec, budgets: { ...base.spec.budgets, maxSteps: 50 } } };
}

/** A policy that extends `recommended` (provenance on, its default). */
export function recommendedPolicy(): GuardrailPolicy {
  const loaded = loadPolicy(`apiVersion: charter.dev/v1alpha1
kind: GuardrailPolicy
metadata: { name: default, owner: "group:default/platform" }
spec: { version: 1.0.0, extends: [recommended] }
`);
  if (loaded.value === undefined) throw new Error(JSON.stringify(loaded.issues));
  return loaded.value;
}

/** The same policy with the provenance check off. */
export function provenanceOff(policy: GuardrailPolicy): GuardrailPolicy {
  return { ...policy, spec: { ...policy.spec, provenance: { enabled: false, action: 'needs-approval' as const } } };
}
