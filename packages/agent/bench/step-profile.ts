// The provenance workload of step.bench.ts alone, for CPU time and CPU profiles: 5 lookups and 5
// e-mails a run (every e-mail checked for grounding), governed by the recommended policy, telemetry on.
//   npx tsx bench/step-profile.ts            CPU µs a step (process.cpuUsage), provenance on and off, interleaved
//   node --cpu-prof --cpu-prof-interval 100 --import tsx bench/step-profile.ts profile [runs]
// CPU time, not wall time: on a shared machine other processes stretch wall time, not this one's CPU.
// Runs the built package (dist): `npx turbo run build --filter=@charter/agent...` first.
import type { LanguageModelV3 } from '@ai-sdk/provider';
import { createAgent, MemoryStore, memoryEscalation } from '@charter/agent';
import { loadPolicy } from '@charter/spec';
import { createMemorySink, createTelemetry } from '@charter/telemetry';
import { defineTool, MemoryLedger } from '@charter/tools';
import { z } from 'zod';
import { shopManifest } from '../src/__fixtures__/shop.js';

const TOOL_CALLS = 10;
const STEPS = TOOL_CALLS + 1;
const INPUT = 'Check my orders A-1 to A-5 and email each status to customer@example.com please.';
const usage = { inputTokens: { total: 10, noCache: 10, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 5, text: 5, reasoning: 0 } };

const model: LanguageModelV3 = {
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
const tools = [
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
  unused('refund_order', 'irreversible', 'payments:refund'),
  unused('escalate_to_human', 'reversible', 'tickets:write'),
];

const base = shopManifest();
const manifest = { ...base, spec: { ...base.spec, budgets: { ...base.spec.budgets, maxSteps: 50 } } };
const loaded = loadPolicy(`apiVersion: charter.dev/v1alpha1
kind: GuardrailPolicy
metadata: { name: default, owner: "group:default/platform" }
spec: { version: 1.0.0, extends: [recommended] }
`);
if (loaded.value === undefined) throw new Error(JSON.stringify(loaded.issues));
const policy = loaded.value;
const sink = createMemorySink();
const agentWith = (provenance: boolean) =>
  createAgent({
    manifest,
    model,
    policy: provenance
      ? policy
      : { ...policy, spec: { ...policy.spec, provenance: { enabled: false, action: 'needs-approval' as const } } },
    tools,
    telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [sink] }),
    escalation: memoryEscalation(),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
  });
const on = agentWith(true);
const off = agentWith(false);

let n = 0;
async function once(agent: typeof on): Promise<void> {
  const result = await agent.run(INPUT, { runId: `r${n++}` });
  if (result.status !== 'completed' || result.steps !== STEPS)
    throw new Error(`run ended ${result.status}: ${JSON.stringify(result.decisions)}`);
  sink.clear();
}
async function cpuStepUs(agent: typeof on, runs: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < runs; i++) await once(agent);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / runs / STEPS;
}
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

for (let i = 0; i < 300; i++) {
  await once(on);
  await once(off);
}
if (process.argv[2] === 'profile') {
  const runs = Number(process.argv[3] ?? 20_000);
  for (let i = 0; i < runs; i++) await once(on);
} else {
  const withCheck: number[] = [];
  const without: number[] = [];
  for (let s = 0; s < 15; s++) {
    withCheck.push(await cpuStepUs(on, 200));
    without.push(await cpuStepUs(off, 200));
  }
  process.stdout.write(
    `${JSON.stringify({ cpuStepProvenanceUs: Number(median(withCheck).toFixed(2)), cpuStepProvenanceOffUs: Number(median(without).toFixed(2)) })}\n`,
  );
}
await on.close();
await off.close();
