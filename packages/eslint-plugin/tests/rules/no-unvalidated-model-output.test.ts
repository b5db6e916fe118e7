import rule from '../../src/rules/no-unvalidated-model-output.js';
import { runRule } from '../rule-tester.js';

const AI = `import { generateText, type LanguageModel } from 'ai';
import { z } from 'zod';
declare const model: LanguageModel;
const Order = z.object({ id: z.string() });
const result = await generateText({ model, prompt: 'hi' });
`;
const TOOLS = `import { createExecutor, type AnyTool } from '@charter/tools';
declare const tools: AnyTool[];
const res = await createExecutor(tools).execute('search_kb', {}, { runId: 'r' });
`;

runRule('no-unvalidated-model-output', rule, {
  valid: [
    // Parsed straight into a schema, or parsed into a const only a schema reads.
    `${AI}export const order = Order.parse(JSON.parse(result.text));`,
    `${AI}const raw: unknown = JSON.parse(result.text);\nexport const order = Order.safeParse(raw);`,
    // Structured output validated by the SDK is not a source.
    `${AI}export const o: unknown = result.output;`,
    // Not model output.
    `${AI}export const cfg: unknown = JSON.parse('{"a":1}');`,
    // A look-alike JSON.parse, and a local eval.
    `${AI}import { JSONish } from './lookalike.js';\nexport const x = JSONish.parse(result.text);`,
    `${AI}const evaluate = (s: string) => s.length;\nexport const n = evaluate(result.text);`,
    // A local object named JSON shadows the global: not the built-in parser.
    `${AI}const JSON = { parse: (s: string): unknown => s };\nexport const x = JSON.parse(result.text);`,
    // The executor's value passed the tool's output schema: typed property access is fine.
    `${TOOLS}export const ok = res.ok ? res.meta.tool : '';`,
  ],
  invalid: [
    {
      code: `${AI}export const data: unknown = JSON.parse(result.text);`,
      errors: [
        { messageId: 'parseWithoutSchema', data: { kind: 'model output', source: 'GenerateTextResult.text (ai)' }, line: 6, column: 30 },
      ],
    },
    // Through destructuring, a const and a string method.
    {
      code: `${AI}const { text } = result;\nconst body = text.trim();\nexport const data: unknown = JSON.parse(body);`,
      errors: [{ messageId: 'parseWithoutSchema', line: 8 }],
    },
    {
      code: `${AI}const { text } = await generateText({ model, prompt: 'again' });\nexport const data: unknown = JSON.parse(text);`,
      errors: [{ messageId: 'parseWithoutSchema', line: 7 }],
    },
    // Tool results from the AI SDK, element by element.
    {
      code: `${AI}for (const r of result.toolResults) { console.log(JSON.parse(String(r.output))); }`,
      errors: [{ messageId: 'parseWithoutSchema', data: { kind: 'tool result', source: 'GenerateTextResult.toolResults (ai)' } }],
    },
    // A const read by something other than a schema.
    {
      code: `${AI}const raw = JSON.parse(result.text) as { id: string };\nexport const id = raw.id;`,
      errors: [{ messageId: 'parseWithoutSchema', line: 6 }],
    },
    {
      code: `${AI}export const v: unknown = eval(result.text);`,
      errors: [{ messageId: 'evalOfModelOutput', data: { what: '`eval`', kind: 'model output', source: 'GenerateTextResult.text (ai)' } }],
    },
    // The callee's identity is asked only after the syntactic taint question, and still through aliases.
    {
      code: `${AI}const run = eval;\nexport const v: unknown = run(result.text);`,
      errors: [{ messageId: 'evalOfModelOutput', data: { what: '`eval`', kind: 'model output', source: 'GenerateTextResult.text (ai)' } }],
    },
    {
      code: `${AI}const J = JSON;\nexport const data: unknown = J.parse(\`[\${result.text}]\`);`,
      errors: [{ messageId: 'parseWithoutSchema', line: 7 }],
    },
    {
      code: `${AI}export const f = new Function('x', result.text);`,
      errors: [
        { messageId: 'evalOfModelOutput', data: { what: '`new Function`', kind: 'model output', source: 'GenerateTextResult.text (ai)' } },
      ],
    },
    // Untyped access to a tool result: reported once, at the first property.
    {
      code: `${TOOLS}const v = (res.ok ? res.value : undefined) as any;\nexport const name: unknown = v.customer.name;`,
      errors: [
        { messageId: 'unvalidatedAccess', data: { kind: 'tool result', source: 'ToolResult.value (@charter/tools)' }, line: 5, column: 32 },
      ],
    },
    // @charter/agent's run output, and the provider's raw doGenerate content.
    {
      code: `import type { RunResult } from '@charter/agent';\ndeclare const run: RunResult;\nexport const x: unknown = JSON.parse(run.output ?? '');`,
      errors: [{ messageId: 'parseWithoutSchema', data: { kind: 'model output', source: 'RunResult.output (@charter/agent)' } }],
    },
    {
      code: `import type { LanguageModelV3 } from '@ai-sdk/provider';\ndeclare const m: LanguageModelV3;\nconst out = await m.doGenerate({ prompt: [] });\nfor (const part of out.content) { if (part.type === 'tool-call') console.log(JSON.parse(part.input)); }`,
      errors: [{ messageId: 'parseWithoutSchema', line: 4 }],
    },
    // Through a const and an export alias of another module, read as a namespace's property or destructured:
    // the names `answer` and `reply` are none of the sources' own, yet they resolve to RunResult.output.
    ...['rebound.answer', 'rebound.reply', 'reply'].map((read) => ({
      code: `import * as rebound from './rebound.js';\n${read === 'reply' ? 'const { reply } = rebound;\n' : ''}const v = ${read} as any;\nexport const name: unknown = v.customer.name;`,
      errors: [
        {
          messageId: 'unvalidatedAccess' as const,
          data: { kind: 'model output', source: 'RunResult.output (@charter/agent)' },
          line: read === 'reply' ? 4 : 3,
          column: 32,
        },
      ],
    })),
  ],
});
