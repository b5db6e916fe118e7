import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { findProperty, objectLiteralOf, returnedExpressions, unwrap } from '../util/ast.js';
import { createRule } from '../util/create-rule.js';
import { namedCallIdentity } from '../util/names.js';
import { AGENT_PKG, type DeclaredAs, identitySet, matches, memberNames, programUses, typeServices } from '../util/symbols.js';
import { createTaintTracker, MODEL_SOURCES, USER_SOURCES } from '../util/taint.js';

export type MessageId = 'untrustedSystemPrompt';

/** Calls whose options object carries a system prompt, and under which keys. */
const PROMPT_CALLS = identitySet({ ai: ['generateText', 'streamText', 'generateObject', 'streamObject'] });
const INSTRUCTION_CALLS = identitySet({ [AGENT_PKG]: ['createAgent'], '@openai/agents-core': ['Agent.create'] });
const INSTRUCTION_CONSTRUCTORS = identitySet({ '@openai/agents-core': ['Agent'], ai: ['ToolLoopAgent'] });
/** Where the user input of a run is passed: `[identities, argument index]`. */
const RUN_INPUTS: readonly [ReturnType<typeof identitySet>, number][] = [
  [identitySet({ [AGENT_PKG]: ['Agent.run'] }), 0],
  [identitySet({ '@openai/agents-core': ['run', 'Runner.run'] }), 1],
];
const PACKAGES = ['ai', AGENT_PKG, '@openai/agents-core'];
const MEMBERS = memberNames(PROMPT_CALLS, INSTRUCTION_CALLS, INSTRUCTION_CONSTRUCTORS, ...RUN_INPUTS.map(([set]) => set));

interface Sink {
  readonly node: TSESTree.Node;
  readonly where: string;
}

export default createRule<[], MessageId>({
  name: 'no-untrusted-content-in-system-prompt',
  meta: {
    defaultOptions: [],
    type: 'problem',
    docs: { description: 'Disallow system prompts built from user input, model output or tool results', requiresTypeChecking: true },
    schema: [],
    messages: {
      untrustedSystemPrompt:
        'The system prompt ({{where}}) is built from {{kind}} ({{source}}): keep instructions fixed and pass untrusted content as a user message or tool result, where guardrails inspect it.',
    },
  },
  create(context) {
    const services = typeServices(context);
    if (!programUses(services.program, PACKAGES)) return {};
    const tracker = createTaintTracker(services, context.sourceCode, [MODEL_SOURCES, USER_SOURCES]);
    const sinks: Sink[] = [];

    function addValue(value: TSESTree.Node, where: string): void {
      const inner = unwrap(value);
      if (inner.type === AST_NODE_TYPES.ArrowFunctionExpression || inner.type === AST_NODE_TYPES.FunctionExpression) {
        for (const returned of returnedExpressions(inner)) sinks.push({ node: returned, where });
      } else {
        sinks.push({ node: value, where });
      }
    }

    function addProperty(object: TSESTree.ObjectExpression | undefined, key: string, where: string): void {
      const property = object === undefined ? undefined : findProperty(object, key);
      if (property !== undefined) addValue(property.value, where);
    }

    function addSystemMessages(object: TSESTree.ObjectExpression | undefined, scope: Scope.Scope, callee: string): void {
      const messages = object === undefined ? undefined : findProperty(object, 'messages');
      const list = messages === undefined ? undefined : unwrap(messages.value);
      if (list?.type !== AST_NODE_TYPES.ArrayExpression) return;
      for (const element of list.elements) {
        const message = element === null ? undefined : objectLiteralOf(element, scope);
        const role = message === undefined ? undefined : findProperty(message, 'role');
        if (role?.value.type === AST_NODE_TYPES.Literal && role.value.value === 'system')
          addProperty(message, 'content', `a system message of ${callee}`);
      }
    }

    function markInput(id: DeclaredAs | undefined, node: TSESTree.CallExpression): void {
      for (const [set, index] of RUN_INPUTS) {
        if (!matches(set, id)) continue;
        const arg = node.arguments[index];
        if (arg?.type === AST_NODE_TYPES.Identifier) tracker.markUserInput(arg);
      }
    }

    return {
      CallExpression(node: TSESTree.CallExpression) {
        if (node.arguments.length === 0) return;
        const id = namedCallIdentity(services, context.sourceCode, node, MEMBERS);
        if (id === undefined) return;
        const scope = context.sourceCode.getScope(node);
        const options = objectLiteralOf(node.arguments[0], scope);
        if (matches(PROMPT_CALLS, id)) {
          addProperty(options, 'system', `\`system\` of ${id.name}`);
          addSystemMessages(options, scope, id.name);
          const prompt = options === undefined ? undefined : findProperty(options, 'prompt');
          if (prompt?.value.type === AST_NODE_TYPES.Identifier) tracker.markUserInput(prompt.value);
        } else if (matches(INSTRUCTION_CALLS, id)) {
          addProperty(options, 'instructions', `\`instructions\` of ${id.name}`);
        } else {
          markInput(id, node);
        }
      },
      NewExpression(node: TSESTree.NewExpression) {
        if (node.arguments.length === 0) return;
        const id = namedCallIdentity(services, context.sourceCode, node, MEMBERS);
        if (!matches(INSTRUCTION_CONSTRUCTORS, id) || id === undefined) return;
        const options = objectLiteralOf(node.arguments[0], context.sourceCode.getScope(node));
        addProperty(options, 'instructions', `\`instructions\` of new ${id.name}`);
        addProperty(options, 'system', `\`system\` of new ${id.name}`);
      },
      'Program:exit'() {
        for (const sink of sinks) {
          const found = tracker.taintOf(sink.node);
          if (found !== undefined)
            context.report({
              node: sink.node,
              messageId: 'untrustedSystemPrompt',
              data: { where: sink.where, kind: found.kind, source: found.source },
            });
        }
      },
    };
  },
});
