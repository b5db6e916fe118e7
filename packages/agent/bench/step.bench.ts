// `npm run bench -w @charter/agent`: the same 10-tool-call conversation with an instant mock model,
// run in one process by @charter/agent (recommended guardrail policy, telemetry on with an in-memory
// sink), by the AI SDK's generateText tool loop, and by @openai/agents' run(); and, for the provenance
// check, a governed run whose every second call is an e-mail (checked for grounding), with the check on
// and off (`stepProvenanceUs`, goal ≤ 20 µs). Prints the median
// per-step overhead (run time / model calls; the model and the tool are instant, so all of it is
// framework), the ratios, and the import time of @charter/agent over bare node and over node + zod.
// Ends with one JSON line; its `…CpuUs` keys are the same medians in this process's CPU time (less
// stretched by other processes on a shared machine than wall time) and `loadAvg1` the 1-minute load
// average (the higher of before and after the step measurements).
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanguageModelV3, LanguageModelV3Message } from '@ai-sdk/provider';
import {
  Agent as OpenAIAgent,
  run as openaiRun,
  setTracingDisabled,
  tool as openaiTool,
  Usage,
  type Model,
  type ModelRequest,
  type ModelResponse,
} from '@openai/agents';
import type { GuardrailPolicy } from '@charter/spec';
import { createMemorySink, createTelemetry } from '@charter/telemetry';
import { MemoryLedger } from '@charter/tools';
import { generateText, stepCountIs, tool as aiTool } from 'ai';
import { z } from 'zod';
// The built package (dist), as users run it: `npm run bench` compiles it first; build the workspace
// dependencies with `npx turbo run build --filter=@charter/agent...`.
import { createAgent, MemoryStore, memoryEscalation } from '@charter/agent';
import type { Provenance as ProvenanceClass } from '../src/provenance.js';
import type { RunState } from '../src/state.js';
import {
  benchManifest,
  benchTools,
  PROVENANCE_INPUT,
  recommendedPolicy,
  sideEffectModel,
  STEPS,
  TOOL_CALLS,
  usage,
  provenanceOff,
} from './workload.js';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..', '..', '..');

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** µs per step of one sample of `iterations` runs: wall time, and this process's CPU time (what other processes on a shared machine do not stretch). */
async function sample(once: () => Promise<void>, iterations: number): Promise<{ wall: number; cpu: number }> {
  const start = process.hrtime.bigint();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < iterations; i++) await once();
  const cpu = process.cpuUsage(cpuStart);
  return {
    wall: Number(process.hrtime.bigint() - start) / 1000 / iterations / STEPS,
    cpu: (cpu.user + cpu.system) / iterations / STEPS,
  };
}

/**
 * Warms every contender up, then takes `samples` rounds in which each contender runs one sample in
 * turn (interleaved, so background load hits all of them alike); reports the median of each.
 */
async function measureAll(
  contenders: readonly { name: string; once: () => Promise<void>; iterations: number }[],
  samples = 11,
): Promise<{ wall: number; cpu: number }[]> {
  for (const c of contenders) for (let i = 0; i < c.iterations; i++) await c.once();
  const results: { wall: number; cpu: number }[][] = contenders.map(() => []);
  for (let s = 0; s < samples; s++) {
    for (const [i, c] of contenders.entries()) results[i]?.push(await sample(c.once, c.iterations));
  }
  return contenders.map((c, i) => {
    const values = (results[i] ?? []).map((r) => r.wall);
    const m = median(values);
    const cpu = median((results[i] ?? []).map((r) => r.cpu));
    process.stdout.write(
      `${c.name.padEnd(42)} ${m.toFixed(2).padStart(9)} µs/step  (min ${Math.min(...values).toFixed(1)}, max ${Math.max(...values).toFixed(1)}; CPU ${cpu.toFixed(2)})\n`,
    );
    return { wall: m, cpu };
  });
}

// --- the instant mock model: turn n (= assistant messages so far) calls the tool, turn 10 answers.
// Fixed usage (workload.ts), no token counting: it costs next to nothing, so what is measured is the framework.
const mockModel: LanguageModelV3 = {
  specificationVersion: 'v3',
  provider: 'mock',
  modelId: 'instant',
  supportedUrls: {},
  doGenerate({ prompt }) {
    let turn = 0;
    for (const message of prompt) if (message.role === 'assistant') turn++;
    if (turn < TOOL_CALLS) {
      return Promise.resolve({
        content: [{ type: 'tool-call', toolCallId: `c${turn}`, toolName: 'lookup_order', input: `{"orderId":"A-${turn + 1}"}` }],
        finishReason: { unified: 'tool-calls', raw: undefined },
        usage,
        warnings: [],
      });
    }
    return Promise.resolve({
      content: [{ type: 'text', text: 'All ten orders are delivered.' }],
      finishReason: { unified: 'stop', raw: undefined },
      usage,
      warnings: [],
    });
  },
  doStream() {
    return Promise.reject(new Error('not used'));
  },
};
const lookup = (orderId: string): { orderId: string; status: string } => ({ orderId, status: 'delivered' });

// --- the provenance workload: workload.ts (sideEffectModel, PROVENANCE_INPUT).
const Input = z.object({ orderId: z.string().regex(/^A-\d{1,6}$/) });

// --- @charter/agent ---
const manifest = benchManifest();
const policy = recommendedPolicy();
const charterTools = benchTools();
// Telemetry on: every event goes through createTelemetry to an in-memory sink (cleared per run).
const sink = createMemorySink();
const charter = createAgent({
  manifest,
  model: mockModel,
  policy: policy,
  tools: charterTools,
  telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [sink] }),
  escalation: memoryEscalation(),
  store: new MemoryStore(),
  ledger: new MemoryLedger(),
});
// The provenance workload, governed as above, with the policy's provenance check on (the default) and off.
const policyNoProvenance = provenanceOff(policy);
const provenanceSink = createMemorySink();
const governedSideEffects = (policy: GuardrailPolicy) =>
  createAgent({
    manifest,
    model: sideEffectModel,
    policy,
    tools: charterTools,
    telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [provenanceSink] }),
    escalation: memoryEscalation(),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
  });
const withProvenance = governedSideEffects(policy);
const withoutProvenance = governedSideEffects(policyNoProvenance);
function sideEffectsOnce(agent: typeof withProvenance, prefix: string): () => Promise<void> {
  return async () => {
    const result = await agent.run(PROVENANCE_INPUT, { runId: `${prefix}${n++}` });
    if (result.status !== 'completed' || result.steps !== STEPS)
      throw new Error(
        `${prefix} run ended ${result.status} after ${result.steps} steps: ${JSON.stringify(result.decisions.filter((d) => d.action !== 'allow'))}`,
      );
    provenanceSink.clear();
  };
}
// The check must have run and passed every e-mail: one run, its decisions, before anything is timed.
{
  const probe = await withProvenance.run(PROVENANCE_INPUT, { runId: 'probe' });
  const sent = probe.steps === STEPS && probe.status === 'completed';
  if (!sent) throw new Error(`the provenance workload did not complete: ${probe.status}`);
  provenanceSink.clear();
}

// The same loop with guardrails off and no telemetry: what the loop itself costs.
const bareLoop = createAgent({
  manifest,
  model: mockModel,
  governance: 'off',
  tools: charterTools,
  escalation: memoryEscalation(),
  store: new MemoryStore(),
  ledger: new MemoryLedger(),
});
let n = 0;
async function bareOnce(): Promise<void> {
  const result = await bareLoop.run('Check my ten orders please.', { runId: `x${n++}` });
  if (result.status !== 'completed') throw new Error(`bare run ended ${result.status}`);
}
async function charterOnce(): Promise<void> {
  const result = await charter.run('Check my ten orders please.', { runId: `b${n++}` });
  if (result.status !== 'completed' || result.steps !== STEPS)
    throw new Error(`charter run ended ${result.status} after ${result.steps} steps`);
  sink.clear();
}

// --- AI SDK generateText ---
const aiTools = {
  lookup_order: aiTool({ description: 'Look up an order', inputSchema: Input, execute: ({ orderId }) => Promise.resolve(lookup(orderId)) }),
};
async function aiOnce(): Promise<void> {
  const result = await generateText({
    model: mockModel,
    prompt: 'Check my ten orders please.',
    tools: aiTools,
    stopWhen: stepCountIs(STEPS),
  });
  if (result.steps.length !== STEPS) throw new Error(`AI SDK ran ${result.steps.length} steps`);
}

// --- OpenAI Agents run() with a mock Model ---
setTracingDisabled(true);
class MockModel implements Model {
  getResponse(request: ModelRequest): Promise<ModelResponse> {
    const items = Array.isArray(request.input) ? request.input : [];
    let turn = 0;
    for (const item of items) if ((item as { type?: string }).type === 'function_call_result') turn++;
    const usage = new Usage({ requests: 1, inputTokens: 10, outputTokens: 5, totalTokens: 15 });
    if (turn < TOOL_CALLS) {
      return Promise.resolve({
        usage,
        output: [
          {
            type: 'function_call',
            callId: `c${turn}`,
            name: 'lookup_order',
            arguments: `{"orderId":"A-${turn + 1}"}`,
            status: 'completed',
          },
        ],
      });
    }
    return Promise.resolve({
      usage,
      output: [
        {
          type: 'message',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'All ten orders are delivered.' }],
        },
      ],
    });
  }
  getStreamedResponse(): AsyncIterable<never> {
    throw new Error('not used');
  }
}
const openaiAgent = new OpenAIAgent({
  name: 'bench',
  instructions: 'Help.',
  model: new MockModel(),
  tools: [
    openaiTool({ name: 'lookup_order', description: 'Look up an order', parameters: Input, execute: ({ orderId }) => lookup(orderId) }),
  ],
});
async function openaiOnce(): Promise<void> {
  const result = await openaiRun(openaiAgent, 'Check my ten orders please.', { maxTurns: STEPS + 2 });
  if (result.finalOutput !== 'All ten orders are delivered.') throw new Error('OpenAI Agents run did not finish');
}

// --- import time of the built @charter/agent over bare node and over `import('zod')` ---
// Fresh child processes, round-robin (bare node, zod, @charter/agent), one warm-up round, median of
// `runs` each. "Over zod" is Charter's own share: every Charter package imports zod, the schema
// library of the manifest. `npx tsx bench/import.bench.ts` prints the same for every package.
function importMedians(codes: readonly string[], runs = 11): number[] {
  const times: number[][] = codes.map(() => []);
  for (let round = -1; round < runs; round++) {
    for (const [i, code] of codes.entries()) {
      const start = process.hrtime.bigint();
      const out = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: repo, encoding: 'utf8' });
      if (out.status !== 0) throw new Error(`import failed: ${out.stderr}`);
      if (round >= 0) times[i]?.push(Number(process.hrtime.bigint() - start) / 1e6);
    }
  }
  return times.map(median);
}

// --- the provenance check alone, on the same workload: per run, a fresh state whose messages grow as
// in the loop (the request, then 5 lookup results each followed by a checked e-mail call). Timed against
// an anchor measured in the same process (zod safeParse of a small valid object), since a loaded
// machine inflates everything alike. From the built code, like the agent.
// Typed from the sources, loaded from dist (which `npm run bench` has just built).
const { Provenance } = (await import(new URL('../dist/provenance.js', import.meta.url).href)) as { Provenance: typeof ProvenanceClass };
const checker = new Provenance(manifest.spec.tools, 'You are a support agent.');
const emailCall = (i: number) => ({
  callId: `c${2 * i + 1}`,
  tool: 'send_email',
  args: { to: ['customer@example.com'], subject: `Order A-${i + 1}`, body: `Order A-${i + 1} is delivered.` },
});
function provenanceRun(): number {
  const messages: LanguageModelV3Message[] = [
    { role: 'system', content: 'You are a support agent.' },
    { role: 'user', content: [{ type: 'text', text: PROVENANCE_INPUT }] },
  ];
  const state = { context: {}, messages, turnResults: [] } as unknown as RunState;
  let reasons = 0;
  for (let i = 0; i < TOOL_CALLS / 2; i++) {
    const orderId = `A-${i + 1}`;
    messages.push(
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: `c${2 * i}`, toolName: 'lookup_order', input: { orderId } }] },
      {
        role: 'tool',
        content: [
          { type: 'tool-result', toolCallId: `c${2 * i}`, toolName: 'lookup_order', output: { type: 'json', value: lookup(orderId) } },
        ],
      },
    );
    reasons += checker.check(state, emailCall(i)).length;
  }
  return reasons;
}
if (provenanceRun() !== 0) throw new Error('the provenance check found the e-mails ungrounded: the workload is wrong');
const anchorSchema = z.object({ orderId: z.string(), status: z.string() });
const anchorValue = { orderId: 'A-1', status: 'delivered' };
function microMedian(fn: () => void, iterations: number, samples = 15): number {
  for (let i = 0; i < iterations; i++) fn();
  const values: number[] = [];
  for (let s = 0; s < samples; s++) {
    const start = process.hrtime.bigint();
    for (let i = 0; i < iterations; i++) fn();
    values.push(Number(process.hrtime.bigint() - start) / 1000 / iterations);
  }
  return median(values);
}
const checkRunUs = microMedian(() => void provenanceRun(), 2_000);
const anchorUs = microMedian(() => void anchorSchema.safeParse(anchorValue), 200_000);
const checkStepUs = checkRunUs / STEPS;
process.stdout.write(
  `provenance check alone: ${checkRunUs.toFixed(2)} µs a run (5 results read, 5 e-mails checked) = ${checkStepUs.toFixed(2)} µs a step; anchor zod safeParse ${anchorUs.toFixed(3)} µs (check run = ${(checkRunUs / anchorUs).toFixed(0)}x anchor)\n`,
);

process.stdout.write(`Node ${process.version}, ${TOOL_CALLS} tool calls, ${STEPS} model calls per run\n`);
const loadBefore = loadavg()[0] ?? 0;
const measured = await measureAll([
  { name: '@charter/agent (governed)', once: charterOnce, iterations: 200 },
  { name: '@charter/agent (no guardrails/telemetry)', once: bareOnce, iterations: 200 },
  { name: '@charter/agent (governed, 5 e-mails, provenance)', once: sideEffectsOnce(withProvenance, 'p'), iterations: 200 },
  { name: '@charter/agent (governed, 5 e-mails, no provenance)', once: sideEffectsOnce(withoutProvenance, 'q'), iterations: 200 },
  { name: 'ai generateText', once: aiOnce, iterations: 50 },
  { name: '@openai/agents run()', once: openaiOnce, iterations: 20 },
]);
const [charterUs = 0, bareUs = 0, provenanceUs = 0, provenanceOffUs = 0, aiUs = 0, openaiUs = 0] = measured.map((m) => m.wall);
const [charterCpuUs = 0, , provenanceCpuUs = 0, provenanceOffCpuUs = 0] = measured.map((m) => m.cpu);
const loadAfter = loadavg()[0] ?? 0;
const [bare = 0, withZod = 0, withAgent = 0] = importMedians(['', "await import('zod')", "await import('@charter/agent')"]);
const importOverMs = withAgent - bare;
const importOverZodMs = withAgent - withZod;
process.stdout.write(
  `import @charter/agent (dist): ${withAgent.toFixed(1)} ms, bare node ${bare.toFixed(1)} ms, zod alone ${(withZod - bare).toFixed(1)} ms over bare; @charter/agent ${importOverMs.toFixed(1)} ms over bare node, ${importOverZodMs.toFixed(1)} ms over node + zod\n`,
);
process.stdout.write(
  `provenance: governed step ${provenanceUs.toFixed(2)} µs with the check on (goal ≤ 20), ${provenanceOffUs.toFixed(2)} µs off: ${(provenanceUs - provenanceOffUs).toFixed(2)} µs a step for labelling and checking\n`,
);
process.stdout.write(
  `ratios: AI SDK / charter ${(aiUs / charterUs).toFixed(1)}x, OpenAI Agents / charter ${(openaiUs / charterUs).toFixed(1)}x\n`,
);
await charter.close();
await withProvenance.close();
await withoutProvenance.close();
process.stdout.write(
  `${JSON.stringify({
    charterStepUs: Number(charterUs.toFixed(2)),
    charterBareLoopStepUs: Number(bareUs.toFixed(2)),
    stepProvenanceUs: Number(provenanceUs.toFixed(2)),
    stepProvenanceOffUs: Number(provenanceOffUs.toFixed(2)),
    provenanceCheckUs: Number((provenanceUs - provenanceOffUs).toFixed(2)),
    provenanceCheckAloneStepUs: Number(checkStepUs.toFixed(2)),
    provenanceCheckRunVsZodParse: Number((checkRunUs / anchorUs).toFixed(0)),
    aiSdkStepUs: Number(aiUs.toFixed(2)),
    openaiAgentsStepUs: Number(openaiUs.toFixed(2)),
    vsAiSdk: Number((aiUs / charterUs).toFixed(1)),
    vsOpenaiAgents: Number((openaiUs / charterUs).toFixed(1)),
    importOverNodeMs: Number(importOverMs.toFixed(1)),
    importOverZodMs: Number(importOverZodMs.toFixed(1)),
    charterStepCpuUs: Number(charterCpuUs.toFixed(2)),
    stepProvenanceCpuUs: Number(provenanceCpuUs.toFixed(2)),
    stepProvenanceOffCpuUs: Number(provenanceOffCpuUs.toFixed(2)),
    loadAvg1: Number(Math.max(loadBefore, loadAfter).toFixed(2)),
  })}\n`,
);
