import rule from '../../src/rules/require-run-budget.js';
import { fixture, runRule } from '../rule-tester.js';

const AI = `import { generateText, streamText, stepCountIs, tool, type LanguageModel } from 'ai';
import { z } from 'zod';
declare const model: LanguageModel;
const tools = { weather: tool({ inputSchema: z.object({ city: z.string() }), execute: async () => 'sunny' }) };
`;
const OA = `import { Agent, run, Runner } from '@openai/agents';
const agent = new Agent({ name: 'a', instructions: 'Be brief.' });
`;
const CA = `import { createAgent } from '@charter/agent';
import type { AgentManifest } from '@charter/spec';
declare const rest: Omit<Parameters<typeof createAgent>[0], 'manifest'>;
declare const manifest: AgentManifest;
`;

runRule('require-run-budget', rule, {
  valid: [
    `${AI}export const r = generateText({ model, tools, stopWhen: stepCountIs(5), prompt: 'hi' });`,
    `${AI}export const r = streamText({ model, tools, stopWhen: [stepCountIs(10), () => false], prompt: 'hi' });`,
    // No tools: a single model call, nothing loops.
    `${AI}export const r = generateText({ model, prompt: 'hi' });`,
    `${OA}export const r = run(agent, 'hi', { maxTurns: 5 });`,
    `${OA}export const r = new Runner({ maxTurns: 8 }).run(agent, 'hi');`,
    `${OA}export const r = run(agent, 'hi');`,
    // createAgent reads spec.budgets from the manifest beside the code (maxSteps 12, maxCostUsd 0.25).
    { code: `${CA}export const a = createAgent({ ...rest, manifest });`, filename: fixture('manifest', 'file.ts') },
    // No manifest found: the budgets are the loaded manifest's (the schema requires them).
    `${CA}export const a = createAgent({ ...rest, manifest });`,
    // An inline manifest whose budgets come from a spread: not known statically, not reported.
    `${CA}export const a = createAgent({ ...rest, manifest: { ...manifest, metadata: { ...manifest.metadata, name: 'copy' } } });`,
    `${CA}export const a = createAgent({ ...rest, manifest: { ...manifest, spec: { ...manifest.spec, tools: [] } } });`,
    // Look-alikes.
    `import { generateText, run } from './lookalike.js';\nexport const a = generateText({ tools: {} });\nexport const b = run({}, 'x', { maxTurns: null });`,
  ],
  invalid: [
    {
      code: `${AI}export const r = generateText({ model, tools, prompt: 'hi' });`,
      errors: [{ messageId: 'noStopCondition', data: { callee: 'generateText' }, line: 5, column: 18 }],
    },
    {
      code: `${AI}import * as ai from 'ai';\nexport const r = ai.streamText({ model, tools, prompt: 'hi' });`,
      errors: [{ messageId: 'noStopCondition', data: { callee: 'streamText' }, line: 6 }],
    },
    {
      code: `${AI}const options = { model, tools, prompt: 'hi' };\nexport const r = generateText(options);`,
      errors: [{ messageId: 'noStopCondition', line: 6 }],
    },
    {
      code: `${AI}export const r = generateText({ model, tools, stopWhen: stepCountIs(Infinity), prompt: 'hi' });`,
      errors: [{ messageId: 'unboundedStopCondition', data: { value: 'Infinity', max: '100' }, line: 5, column: 69 }],
    },
    {
      code: `${AI}export const r = generateText({ model, tools, stopWhen: [stepCountIs(50)], prompt: 'hi' });`,
      options: [{ maxSteps: 25 }],
      errors: [{ messageId: 'unboundedStopCondition', data: { value: '50', max: '25' } }],
    },
    {
      code: `${OA}export const r = run(agent, 'hi', { maxTurns: null });`,
      errors: [{ messageId: 'unboundedMaxTurns', data: { value: 'null', max: '100' }, line: 3, column: 47 }],
    },
    {
      code: `${OA}export const r = new Runner().run(agent, 'hi', { maxTurns: Number.MAX_SAFE_INTEGER });`,
      errors: [{ messageId: 'unboundedMaxTurns' }],
    },
    {
      code: `${OA}export const runner = new Runner({ maxTurns: Infinity });`,
      errors: [{ messageId: 'unboundedMaxTurns', data: { value: 'Infinity', max: '100' } }],
    },
    // The manifest beside the code has maxSteps but no maxCostUsd.
    {
      code: `${CA}export const a = createAgent({ ...rest, manifest });`,
      filename: fixture('manifest-gaps', 'file.ts'),
      errors: [{ messageId: 'missingAgentBudget', line: 5, column: 18 }],
    },
    {
      code: `${CA}export const a = createAgent({ ...rest, manifest: { ...manifest, spec: { ...manifest.spec, budgets: { maxSteps: Infinity, maxTokens: 1, timeoutMs: 1, maxCostUsd: 1 } } } });`,
      errors: [{ messageId: 'missingAgentBudget', data: { missing: 'step (maxSteps)', manifest: 'the inline manifest' } }],
    },
    {
      code: `${CA}export const a = createAgent({ ...rest, manifest });`,
      filename: fixture('manifest-broken', 'file.ts'),
      errors: [{ messageId: 'manifestUnreadable' }],
    },
    {
      code: `${CA}export const a = createAgent({ ...rest, manifest: { ...manifest, spec: { ...manifest.spec, budgets: { maxSteps: 5, maxTokens: 1, timeoutMs: 1 } } } as AgentManifest });`,
      errors: [{ messageId: 'missingAgentBudget', data: { missing: 'cost (maxCostUsd)', manifest: 'the inline manifest' } }],
    },
  ],
});
