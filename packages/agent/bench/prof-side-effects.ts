// Focused: the provenance workload (5 lookups + 5 e-mails per run), check on and off, CPU time per step.
import { loadPolicy } from '@charter/spec';
import { createMemorySink, createTelemetry } from '@charter/telemetry';
import { defineTool, MemoryLedger } from '@charter/tools';
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { z } from 'zod';
import { shopManifest } from '../src/__fixtures__/shop.js';
import { createAgent, MemoryStore, memoryEscalation } from '@charter/agent';

const TOOL_CALLS = 10;
const STEPS = 11;
const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };
const INPUT = 'Check my orders A-1 to A-5 and email each status to customer@example.com please.';
const model: LanguageModelV3 = {
  specificationVersion: 'v3', provider: 'mock', modelId: 'x', supportedUrls: {},
  doGenerate({ prompt }) {
    let turn = 0;
    for (const m of prompt) if (m.role === 'assistant') turn++;
    if (turn < TOOL_CALLS) {
      const order = `A-${(turn >> 1) + 1}`;
      const call = turn % 2 === 0 ? { toolName: 'lookup_order', input: JSON.stringify({ orderId: order }) }
        : { toolName: 'send_email', input: JSON.stringify({ to: ['customer@example.com'], subject: `Order ${order}`, body: `Order ${order} is delivered.` }) };
      return Promise.resolve({ content: [{ type: 'tool-call', toolCallId: `c${turn}`, ...call }], finishReason: { unified: 'tool-calls', raw: undefined }, usage, warnings: [] });
    }
    return Promise.resolve({ content: [{ type: 'text', text: 'done' }], finishReason: { unified: 'stop', raw: undefined }, usage, warnings: [] });
  },
  doStream() { return Promise.reject(new Error('no')); },
};
const base = shopManifest();
const manifest = { ...base, spec: { ...base.spec, budgets: { ...base.spec.budgets, maxSteps: 50 } } };
const doc = loadPolicy(`apiVersion: charter.dev/v1alpha1
kind: GuardrailPolicy
metadata: { name: default, owner: "group:default/platform" }
spec: { version: 1.0.0, extends: [recommended] }
`).value!;
const off = { ...doc, spec: { ...doc.spec, provenance: { enabled: false, action: 'needs-approval' as const } } };
const tools = [
  defineTool({ name: 'lookup_order', version: '1.0.0', description: 'l', input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/) }), output: z.object({ orderId: z.string(), status: z.string() }), sideEffects: 'none', scopes: ['orders:read'], execute: ({ orderId }) => ({ orderId, status: 'delivered' }) }),
  defineTool({ name: 'refund_order', version: '1.0.0', description: 'u', input: z.object({}), output: z.object({}), sideEffects: 'irreversible', scopes: ['payments:refund'], execute: () => ({}) }),
  defineTool({ name: 'send_email', version: '1.0.0', description: 'e', input: z.object({ to: z.array(z.string()).min(1).max(5), subject: z.string().max(200), body: z.string().max(5000) }), output: z.object({}), sideEffects: 'irreversible', scopes: ['email:send'], execute: () => ({}) }),
  defineTool({ name: 'escalate_to_human', version: '1.0.0', description: 'u', input: z.object({}), output: z.object({}), sideEffects: 'reversible', scopes: ['tickets:write'], execute: () => ({}) }),
];
const sink = createMemorySink();
const mk = (policy: typeof doc) => createAgent({ manifest, model, policy, tools, telemetry: createTelemetry({ agent: 'a', sinks: [sink] }), escalation: memoryEscalation(), store: new MemoryStore(), ledger: new MemoryLedger() });
const on = mk(doc), noProv = mk(off);
let n = 0;
const mode = process.argv[2] ?? 'both';
async function once(a: typeof on, p: string) {
  const r = await a.run(INPUT, { runId: `${p}${n++}` });
  if (r.status !== 'completed' || r.steps !== STEPS) throw new Error(`${r.status} ${JSON.stringify(r.decisions)}`);
  sink.clear();
}
const cpu = async (a: typeof on, p: string, it: number) => { const s = process.cpuUsage(); for (let i = 0; i < it; i++) await once(a, p); const d = process.cpuUsage(s); return (d.user + d.system) / it / STEPS; };
for (let i = 0; i < 500; i++) { await once(on, 'w'); await once(noProv, 'v'); }
const med = (v: number[]) => [...v].sort((a, b) => a - b)[v.length >> 1]!;
if (mode === 'prof') { for (let i = 0; i < 30000; i++) await once(on, 'p'); }
else {
  const a: number[] = [], b: number[] = [];
  for (let s = 0; s < 15; s++) { a.push(await cpu(on, 'p', 300)); b.push(await cpu(noProv, 'q', 300)); }
  console.log(JSON.stringify({ cpuStepProvenanceUs: +med(a).toFixed(2), cpuStepProvenanceOffUs: +med(b).toFixed(2) }));
}
await on.close(); await noProv.close();
