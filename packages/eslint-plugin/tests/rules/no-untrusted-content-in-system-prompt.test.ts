import rule from '../../src/rules/no-untrusted-content-in-system-prompt.js';
import { runRule } from '../rule-tester.js';

const AI = `import { generateText, type LanguageModel } from 'ai';
declare const model: LanguageModel;
`;
const CA = `import { createAgent } from '@charter/agent';
declare const rest: Omit<Parameters<typeof createAgent>[0], 'instructions'>;
`;

runRule('no-untrusted-content-in-system-prompt', rule, {
  valid: [
    `${AI}const SYSTEM = 'You are a support agent.';\nexport const r = generateText({ model, system: SYSTEM, prompt: 'hi' });`,
    // User input as the prompt (a user message) is the right place.
    `${AI}declare const question: string;\nexport const r = generateText({ model, system: 'Answer briefly.', prompt: question });`,
    `${CA}const agent = createAgent({ ...rest, instructions: 'Be helpful.' });\ndeclare const input: string;\nexport const r = agent.run(input);`,
    // A look-alike createAgent.
    `import { createAgent, generateText } from './lookalike.js';\ndeclare const input: string;\nexport const a = createAgent({ instructions: input });\nexport const r = generateText({ system: input, prompt: input });`,
    // Trusted configuration.
    `${AI}const tenant = { name: 'Acme' };\nexport const r = generateText({ model, system: \`You work for \${tenant.name}.\`, prompt: 'hi' });`,
  ],
  invalid: [
    // Model output from a previous call.
    {
      code: `${AI}const first = await generateText({ model, prompt: 'summarise' });\nexport const r = generateText({ model, system: \`Context: \${first.text}\`, prompt: 'go' });`,
      errors: [
        {
          messageId: 'untrustedSystemPrompt',
          data: { where: '`system` of generateText', kind: 'model output', source: 'GenerateTextResult.text (ai)' },
          line: 4,
          column: 48,
        },
      ],
    },
    // A value also passed as the run's user input.
    {
      code: `${CA}declare const input: string;\nconst agent = createAgent({ ...rest, instructions: 'Help with: ' + input });\nexport const r = agent.run(input);`,
      errors: [
        {
          messageId: 'untrustedSystemPrompt',
          data: { where: '`instructions` of createAgent', kind: 'user input', source: 'a value passed as the user input of a run' },
          line: 4,
          column: 52,
        },
      ],
    },
    {
      code: `${AI}declare const question: string;\nexport const r = generateText({ model, messages: [{ role: 'system', content: question }, { role: 'user', content: 'x' }], prompt: question });`,
      errors: [
        {
          messageId: 'untrustedSystemPrompt',
          data: { where: 'a system message of generateText', kind: 'user input', source: 'a value passed as the user input of a run' },
        },
      ],
    },
    // Tool results from the Charter executor in OpenAI Agents instructions (a function).
    {
      code: `import { Agent } from '@openai/agents';\nimport { createExecutor, type AnyTool } from '@charter/tools';\ndeclare const tools: AnyTool[];\nconst kb = await createExecutor(tools).execute('search_kb', {}, { runId: 'r' });\nexport const agent = new Agent({ name: 'a', instructions: () => \`Use: \${JSON.stringify(kb.ok ? kb.value : null)}\` });`,
      errors: [
        {
          messageId: 'untrustedSystemPrompt',
          data: { where: '`instructions` of new Agent', kind: 'tool result', source: 'ToolResult.value (@charter/tools)' },
        },
      ],
    },
    // process.argv.
    {
      code: `${AI}export const r = generateText({ model, system: process.argv[2] ?? '', prompt: 'hi' });`,
      errors: [
        {
          messageId: 'untrustedSystemPrompt',
          data: { where: '`system` of generateText', kind: 'user input', source: 'Process.argv (@types/node)' },
        },
      ],
    },
  ],
});
