import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { createRule } from '../util/create-rule.js';
import { calleeIdentity, programUses, TOOLS_PKG, typeServices } from '../util/symbols.js';

export type MessageId = 'directExecute';

const METHODS = new Set(['execute', 'simulate', 'reconcile']);
const DIRECT = new Set(['ToolDefinition.execute', 'ToolDefinition.simulate', 'ToolDefinition.reconcile']);

export default createRule<[], MessageId>({
  name: 'no-direct-tool-execute',
  meta: {
    defaultOptions: [],
    type: 'problem',
    docs: {
      description: "Disallow calling a tool's `execute`, `simulate` or `reconcile` directly instead of through the executor",
      requiresTypeChecking: true,
    },
    schema: [],
    messages: {
      directExecute:
        'Calling `{{method}}` on a tool bypasses the executor (input/output validation, timeout, retries, breaker, idempotency ledger, credentials, hooks): use `createExecutor(...).execute(name, input, context)`.',
    },
  },
  create(context) {
    const services = typeServices(context);
    if (!programUses(services.program, [TOOLS_PKG])) return {};
    return {
      CallExpression(node: TSESTree.CallExpression) {
        const callee = node.callee;
        if (callee.type !== AST_NODE_TYPES.MemberExpression || callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier)
          return;
        // Method names are fixed by the ToolDefinition interface: a cheap exact prefilter before the checker.
        if (!METHODS.has(callee.property.name)) return;
        const id = calleeIdentity(services, callee);
        if (id?.pkg !== TOOLS_PKG || !DIRECT.has(id.name)) return;
        context.report({ node: callee.property, messageId: 'directExecute', data: { method: id.name.slice('ToolDefinition.'.length) } });
      },
    };
  },
});
