import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import { relative } from 'node:path';
import { findProperty, hasSpread, objectLiteralOf, staticValue, unwrap } from '../util/ast.js';
import { createRule } from '../util/create-rule.js';
import { namedCallIdentity } from '../util/names.js';
import { checkManifestFileName, DEFAULT_MANIFEST_FILE, manifestFor } from '../util/manifest.js';
import { AGENT_PKG, identitySet, matches, memberNames, programUses, typeServices } from '../util/symbols.js';
import { typescript } from '../util/typescript.js';

export type MessageId = 'noStopCondition' | 'unboundedStopCondition' | 'unboundedMaxTurns' | 'missingAgentBudget' | 'manifestUnreadable';
export type Options = [{ readonly maxSteps?: number; readonly maxTurns?: number; readonly manifestFile?: string }];

const AI_LOOPS = identitySet({ ai: ['generateText', 'streamText'] });
const STEP_COUNT = identitySet({ ai: ['stepCountIs'] });
const OPENAI_RUNS = identitySet({ '@openai/agents-core': ['run', 'Runner.run'] });
const OPENAI_RUNNER = identitySet({ '@openai/agents-core': ['Runner'] });
const CREATE_AGENT = identitySet({ [AGENT_PKG]: ['createAgent'] });
const PACKAGES = ['ai', '@openai/agents-core', AGENT_PKG];
const MEMBERS = memberNames(AI_LOOPS, STEP_COUNT, OPENAI_RUNS, OPENAI_RUNNER, CREATE_AGENT);

function finitePositive(value: unknown, max: number): boolean {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value <= max;
}

export default createRule<Options, MessageId>({
  name: 'require-run-budget',
  meta: {
    defaultOptions: [{ maxSteps: 100, maxTurns: 100, manifestFile: DEFAULT_MANIFEST_FILE }],
    type: 'problem',
    docs: { description: 'Require agent runs to be bounded by step, turn and cost budgets', requiresTypeChecking: true },
    schema: [
      {
        type: 'object',
        properties: {
          maxSteps: { type: 'integer', minimum: 1, description: 'Largest accepted `stepCountIs(n)` in an AI SDK stop condition.' },
          maxTurns: { type: 'integer', minimum: 1, description: 'Largest accepted OpenAI Agents `maxTurns`.' },
          manifestFile: { type: 'string', minLength: 1, maxLength: 128, description: 'Manifest whose spec.budgets bound `createAgent`.' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      noStopCondition: '`{{callee}}` gets tools but no `stopWhen`: bound the tool loop explicitly, e.g. `stopWhen: stepCountIs(5)`.',
      unboundedStopCondition: '`stepCountIs({{value}})` does not bound the loop: use a finite step count of at most {{max}}.',
      unboundedMaxTurns: '`maxTurns: {{value}}` leaves the agent run unbounded: use a finite number of turns of at most {{max}}.',
      missingAgentBudget:
        '`createAgent` runs without a {{missing}} budget: set spec.budgets.maxSteps and spec.budgets.maxCostUsd to finite positive numbers in {{manifest}}.',
      manifestUnreadable: 'Cannot check the run budgets of `createAgent`: {{message}}',
    },
  },
  create(context, [options]) {
    const services = typeServices(context);
    if (!programUses(services.program, PACKAGES)) return {};
    const maxSteps = options.maxSteps ?? 100;
    const maxTurns = options.maxTurns ?? 100;
    const manifestFile = checkManifestFileName(options.manifestFile ?? DEFAULT_MANIFEST_FILE);
    const checker = services.program.getTypeChecker();

    /** Whether the options certainly have the property: syntax for literals, types for spreads and variables. */
    function declares(node: TSESTree.Node, object: TSESTree.ObjectExpression | undefined, name: string): boolean {
      if (object !== undefined && findProperty(object, name) !== undefined) return true;
      const holders =
        object === undefined ? [node] : object.properties.flatMap((p) => (p.type === AST_NODE_TYPES.SpreadElement ? [p.argument] : []));
      return holders.some((holder) => {
        const symbol = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(holder)).getProperty(name);
        return symbol !== undefined && (symbol.flags & typescript.SymbolFlags.Optional) === 0;
      });
    }

    function checkStopCondition(node: TSESTree.Node, scope: Scope.Scope): void {
      const value = unwrap(node);
      if (value.type === AST_NODE_TYPES.ArrayExpression) {
        for (const element of value.elements)
          if (element !== null && element.type !== AST_NODE_TYPES.SpreadElement) checkStopCondition(element, scope);
        return;
      }
      if (
        value.type !== AST_NODE_TYPES.CallExpression ||
        !matches(STEP_COUNT, namedCallIdentity(services, context.sourceCode, value, MEMBERS))
      )
        return;
      const count = value.arguments[0];
      if (count === undefined) return;
      const known = staticValue(count, scope);
      if (known !== undefined && !finitePositive(known.value, maxSteps)) {
        context.report({ node: count, messageId: 'unboundedStopCondition', data: { value: String(known.value), max: String(maxSteps) } });
      }
    }

    function checkMaxTurns(object: TSESTree.ObjectExpression | undefined, scope: Scope.Scope): void {
      const property = object === undefined ? undefined : findProperty(object, 'maxTurns');
      if (property === undefined) return;
      const known = staticValue(property.value, scope);
      if (known !== undefined && !finitePositive(known.value, maxTurns)) {
        context.report({
          node: property.value,
          messageId: 'unboundedMaxTurns',
          data: { value: String(known.value), max: String(maxTurns) },
        });
      }
    }

    function checkAgentBudgets(node: TSESTree.CallExpression, scope: Scope.Scope): void {
      const options = objectLiteralOf(node.arguments[0], scope);
      const manifestProperty = options === undefined ? undefined : findProperty(options, 'manifest');
      const inline = manifestProperty === undefined ? undefined : objectLiteralOf(manifestProperty.value, scope);
      let budgets: Record<string, unknown> | undefined;
      let where: string;
      let at: TSESTree.Node = node.callee;
      if (inline !== undefined) {
        // Walk manifest → spec → budgets through literals; a spread that may hold the part we look
        // for makes it unknown (not reported), a literal without it is a missing budget.
        const spec = findProperty(inline, 'spec');
        if (spec === undefined && hasSpread(inline)) return;
        const specObject = spec === undefined ? undefined : objectLiteralOf(spec.value, scope);
        if (spec !== undefined && specObject === undefined) return;
        const literal = specObject === undefined ? undefined : findProperty(specObject, 'budgets');
        if (specObject !== undefined && literal === undefined && hasSpread(specObject)) return;
        const budgetObject = literal === undefined ? undefined : objectLiteralOf(literal.value, scope);
        if (literal !== undefined && budgetObject === undefined) return;
        budgets = {};
        if (budgetObject !== undefined) {
          for (const key of ['maxSteps', 'maxCostUsd']) {
            const property = findProperty(budgetObject, key);
            if (property === undefined && hasSpread(budgetObject)) return;
            // A computed value is not known here; only a missing or statically unbounded one is reported.
            budgets[key] = property === undefined ? undefined : (staticValue(property.value, scope)?.value ?? 1);
          }
        }
        where = 'the inline manifest';
        at = manifestProperty?.value ?? at;
      } else {
        const lookup = manifestFor(context.filename, manifestFile);
        if (lookup.kind === 'none') return;
        if (lookup.kind === 'unreadable') {
          context.report({ node: at, messageId: 'manifestUnreadable', data: { message: lookup.error.message } });
          return;
        }
        budgets = lookup.facts.budgets ?? {};
        where = relative(context.cwd, lookup.facts.file) || lookup.facts.file;
      }
      const missing: string[] = [];
      if (!finitePositive(budgets.maxSteps, 1000)) missing.push('step (maxSteps)');
      if (!finitePositive(budgets.maxCostUsd, Number.MAX_VALUE)) missing.push('cost (maxCostUsd)');
      if (missing.length > 0)
        context.report({ node: at, messageId: 'missingAgentBudget', data: { missing: missing.join(' and '), manifest: where } });
    }

    return {
      CallExpression(node: TSESTree.CallExpression) {
        if (node.arguments.length === 0) return;
        const id = namedCallIdentity(services, context.sourceCode, node, MEMBERS);
        if (id === undefined) return;
        const scope = context.sourceCode.getScope(node);
        if (matches(AI_LOOPS, id)) {
          const first = node.arguments[0];
          if (first === undefined) return;
          const object = objectLiteralOf(first, scope);
          const stopWhen = object === undefined ? undefined : findProperty(object, 'stopWhen');
          if (stopWhen !== undefined) {
            checkStopCondition(stopWhen.value, scope);
            return;
          }
          if (declares(first, object, 'tools') && !declares(first, object, 'stopWhen'))
            context.report({ node: node.callee, messageId: 'noStopCondition', data: { callee: id.name } });
        } else if (matches(OPENAI_RUNS, id)) {
          checkMaxTurns(objectLiteralOf(node.arguments[2], scope), scope);
        } else if (matches(CREATE_AGENT, id)) {
          checkAgentBudgets(node, scope);
        }
      },
      NewExpression(node: TSESTree.NewExpression) {
        if (node.arguments.length === 0) return;
        if (!matches(OPENAI_RUNNER, namedCallIdentity(services, context.sourceCode, node, MEMBERS))) return;
        checkMaxTurns(objectLiteralOf(node.arguments[0], scope(node)), scope(node));
      },
    };

    function scope(node: TSESTree.Node): Scope.Scope {
      return context.sourceCode.getScope(node);
    }
  },
});
