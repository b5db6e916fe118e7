import type { TSESTree } from '@typescript-eslint/utils';
import { staticValue } from '../util/ast.js';
import { createRule } from '../util/create-rule.js';
import { programUses, TOOLS_PKG, typeServices } from '../util/symbols.js';
import { toolDefinitionSite } from '../util/tool-definition.js';

export type MessageId = 'missingTimeout' | 'unboundedTimeout';
export type Options = [{ readonly maxMs?: number }];

export default createRule<Options, MessageId>({
  name: 'require-tool-timeout',
  meta: {
    defaultOptions: [{ maxMs: 3_600_000 }],
    type: 'problem',
    docs: { description: 'Require every tool defined with `defineTool` to declare a finite `timeoutMs`', requiresTypeChecking: true },
    schema: [
      {
        type: 'object',
        properties: { maxMs: { type: 'integer', minimum: 1, description: 'Longest accepted timeout in milliseconds.' } },
        additionalProperties: false,
      },
    ],
    messages: {
      missingTimeout:
        'Tool {{name}} has no `timeoutMs`: declare a finite per-attempt timeout in milliseconds so a hung dependency cannot stall the agent.',
      unboundedTimeout: 'Tool {{name}} has `timeoutMs` {{value}}: use a finite number of milliseconds between 1 and {{maxMs}}.',
    },
  },
  create(context, [options]) {
    const services = typeServices(context);
    if (!programUses(services.program, [TOOLS_PKG])) return {};
    const maxMs = options.maxMs ?? 3_600_000;
    return {
      CallExpression(node: TSESTree.CallExpression) {
        const site = toolDefinitionSite(services, context.sourceCode, node);
        if (site === undefined) return;
        const name = site.name() === undefined ? '(unnamed)' : `"${site.name() ?? ''}"`;
        const written = site.property('timeoutMs');
        if (written === undefined) {
          if (!site.declares('timeoutMs')) context.report({ node: site.reportNode, messageId: 'missingTimeout', data: { name } });
          return;
        }
        const value = staticValue(written.value, context.sourceCode.getScope(written.value));
        if (value === undefined) return;
        const ms = value.value;
        if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0 || ms > maxMs) {
          context.report({ node: written.value, messageId: 'unboundedTimeout', data: { name, value: String(ms), maxMs: String(maxMs) } });
        }
      },
    };
  },
});
