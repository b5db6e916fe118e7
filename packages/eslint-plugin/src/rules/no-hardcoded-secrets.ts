import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { secretRules, type SecretRule } from '@charter/guardrails';
import { keyName } from '../util/ast.js';
import { createRule } from '../util/create-rule.js';

export type MessageId = 'hardcodedSecret';
export type Options = [{ readonly minEntropy?: number; readonly ignoreRules?: readonly string[] }];

/** Longest string scanned (a literal past it is scanned up to it). */
const MAX_SCAN = 64 * 1024;
/** Shortest literal worth scanning: no rule matches fewer characters. */
const MIN_LENGTH = 8;
// Values that are obviously placeholders, not credentials.
const PLACEHOLDER = /example|x{6}|\*{4}|changeme|placeholder|dummy|redacted|your[_-]|\$\{|\{\{|<[a-z]|insert|sample|fake/i;

interface Compiled {
  readonly rule: SecretRule;
  readonly regex: RegExp;
}

function entropy(value: string): number {
  const counts = new Map<string, number>();
  for (const ch of value) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / value.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** The name a literal is assigned to (`apiKey = '…'`, `{ password: '…' }`), used by the generic rules. */
function assignedName(node: TSESTree.Node): string | undefined {
  const parent = node.parent;
  if (parent === undefined) return undefined;
  if (parent.type === AST_NODE_TYPES.VariableDeclarator && parent.init === node && parent.id.type === AST_NODE_TYPES.Identifier)
    return parent.id.name;
  if (parent.type === AST_NODE_TYPES.Property && parent.value === node) return keyName(parent);
  if (parent.type === AST_NODE_TYPES.PropertyDefinition && parent.value === node) return keyName(parent);
  if (parent.type === AST_NODE_TYPES.AssignmentExpression && parent.right === node) {
    const left = parent.left;
    if (left.type === AST_NODE_TYPES.Identifier) return left.name;
    if (left.type === AST_NODE_TYPES.MemberExpression && !left.computed && left.property.type === AST_NODE_TYPES.Identifier)
      return left.property.name;
  }
  return undefined;
}

function isModuleSource(node: TSESTree.Node): boolean {
  const parent = node.parent;
  return (
    parent !== undefined &&
    (parent.type === AST_NODE_TYPES.ImportDeclaration ||
      parent.type === AST_NODE_TYPES.ExportAllDeclaration ||
      parent.type === AST_NODE_TYPES.ExportNamedDeclaration ||
      parent.type === AST_NODE_TYPES.ImportExpression ||
      parent.type === AST_NODE_TYPES.TSExternalModuleReference ||
      parent.type === AST_NODE_TYPES.TSLiteralType)
  );
}

export default createRule<Options, MessageId>({
  name: 'no-hardcoded-secrets',
  meta: {
    defaultOptions: [{ minEntropy: 3.5, ignoreRules: [] }],
    type: 'problem',
    docs: { description: 'Disallow string literals that match the `@charter/guardrails` secret rules', requiresTypeChecking: false },
    schema: [
      {
        type: 'object',
        properties: {
          minEntropy: {
            type: 'number',
            minimum: 0,
            maximum: 8,
            description: 'Shannon entropy (bits per character) a generic password/key value must reach.',
          },
          ignoreRules: { type: 'array', items: { type: 'string' }, uniqueItems: true, description: 'Secret rule ids to skip.' },
        },
        additionalProperties: false,
      },
    ],
    messages: {
      hardcodedSecret:
        'This string looks like a {{description}} (secret rule "{{rule}}"): load it from the environment or a secret manager and rotate the exposed value.',
    },
  },
  create(context, [options]) {
    const minEntropy = options.minEntropy ?? 3.5;
    const ignored = new Set(options.ignoreRules ?? []);
    const compiled: Compiled[] = secretRules
      .filter((r) => !ignored.has(r.id))
      .map((rule) => ({ rule, regex: new RegExp(rule.regex.source, rule.regex.flags) }));

    function findSecret(value: string, name: string | undefined): SecretRule | undefined {
      const text = value.length > MAX_SCAN ? value.slice(0, MAX_SCAN) : value;
      const lower = text.toLowerCase();
      const lowerName = name?.toLowerCase();
      for (const { rule, regex } of compiled) {
        // Generic rules key on the assignment (`password = "…"`): give them the name the literal is assigned to.
        const subject = rule.generic === true && lowerName !== undefined ? `${name ?? ''}="${text}"` : text;
        const subjectLower = subject === text ? lower : `${lowerName ?? ''}="${lower}"`;
        if (!rule.keywords.some((k) => subjectLower.includes(k))) continue;
        regex.lastIndex = 0;
        let match: RegExpExecArray | null;
        while ((match = regex.exec(subject)) !== null) {
          if (match[0].length === 0) regex.lastIndex++;
          const secret = match[rule.secretGroup ?? 0] ?? match[0];
          if (PLACEHOLDER.test(secret)) continue;
          if (rule.generic === true && entropy(secret) < minEntropy) continue;
          return rule;
        }
      }
      return undefined;
    }

    function check(node: TSESTree.Node, value: string): void {
      if (value.length < MIN_LENGTH) return;
      const rule = findSecret(value, assignedName(node));
      if (rule !== undefined)
        context.report({ node, messageId: 'hardcodedSecret', data: { description: rule.description, rule: rule.id } });
    }

    return {
      Literal(node: TSESTree.Literal) {
        if (typeof node.value === 'string' && !isModuleSource(node)) check(node, node.value);
      },
      TemplateLiteral(node: TSESTree.TemplateLiteral) {
        if (node.parent.type === AST_NODE_TYPES.TSLiteralType) return;
        for (const quasi of node.quasis) {
          const cooked = quasi.value.cooked;
          if (typeof cooked === 'string') check(node.expressions.length === 0 ? node : quasi, cooked);
        }
      },
    };
  },
});
