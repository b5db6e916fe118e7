import type { TSESTree } from '@typescript-eslint/utils';
import { createRule } from '../util/create-rule.js';
import { programUses, TOOLS_PKG, typeServices } from '../util/symbols.js';
import { propertyOrDefinition, toolDefinitionSite } from '../util/tool-definition.js';

export type MessageId = 'missingIdempotencyKey';
export type Options = [{ readonly sideEffects?: readonly ('reversible' | 'irreversible')[] }];

export default createRule<Options, MessageId>({
  name: 'require-idempotency-key',
  meta: {
    defaultOptions: [{ sideEffects: ['reversible', 'irreversible'] }],
    type: 'problem',
    docs: { description: 'Require an `idempotencyKey` on every tool with side effects', requiresTypeChecking: true },
    schema: [
      {
        type: 'object',
        properties: {
          sideEffects: {
            type: 'array',
            items: { type: 'string', enum: ['reversible', 'irreversible'] },
            uniqueItems: true,
            description: 'Which side-effect classes need a key.',
          },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      missingIdempotencyKey:
        'Tool {{name}} has side effects ({{sideEffects}}) but no `idempotencyKey`: name each effect, e.g. `idempotencyKey: (input) => `refund:${input.orderId}``, so a retry or replay never repeats it.',
    },
  },
  create(context, [options]) {
    const services = typeServices(context);
    if (!programUses(services.program, [TOOLS_PKG])) return {};
    const classes = new Set<string>(options.sideEffects ?? ['reversible', 'irreversible']);
    return {
      CallExpression(node: TSESTree.CallExpression) {
        const site = toolDefinitionSite(services, context.sourceCode, node);
        if (site === undefined) return;
        const effects = site.sideEffects();
        // Unknown side effects (a variable of type SideEffects) may be anything: the key is required.
        const relevant = effects === undefined ? [...classes] : [...effects].filter((e) => classes.has(e));
        if (relevant.length === 0 || site.declares('idempotencyKey')) return;
        const name = site.name();
        context.report({
          node: propertyOrDefinition(site, 'sideEffects'),
          messageId: 'missingIdempotencyKey',
          data: {
            name: name === undefined ? '(unnamed)' : `"${name}"`,
            sideEffects: effects === undefined ? 'unknown' : relevant.join(' | '),
          },
        });
      },
    };
  },
});
