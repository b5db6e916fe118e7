import type { TSESTree } from '@typescript-eslint/utils';
import { AST_NODE_TYPES } from '@typescript-eslint/utils';
import semver from 'semver';
import { unwrap } from '../util/ast.js';
import { createRule } from '../util/create-rule.js';
import { programUses, TOOLS_PKG, typeServices } from '../util/symbols.js';
import { toolDefinitionSite } from '../util/tool-definition.js';

export type MessageId = 'missingVersion' | 'notLiteral' | 'invalidSemver';

function literalText(node: TSESTree.Node): string | undefined {
  const inner = unwrap(node);
  if (inner.type === AST_NODE_TYPES.Literal && typeof inner.value === 'string') return inner.value;
  if (inner.type === AST_NODE_TYPES.TemplateLiteral && inner.expressions.length === 0) return inner.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

export default createRule<[], MessageId>({
  name: 'require-tool-version',
  meta: {
    defaultOptions: [],
    type: 'problem',
    docs: { description: "Require a tool's `version` to be a semver string literal", requiresTypeChecking: true },
    schema: [],
    messages: {
      missingVersion: 'Tool {{name}} has no `version`: give its contract a semver version such as "1.0.0".',
      notLiteral:
        'Tool {{name}} computes its `version`: write it as a semver string literal (or a `const` with a literal type) so the contract version is reviewable.',
      invalidSemver: 'Tool {{name}} has version "{{version}}", which is not semver: write MAJOR.MINOR.PATCH, e.g. "1.0.0".',
    },
  },
  create(context) {
    const services = typeServices(context);
    if (!programUses(services.program, [TOOLS_PKG])) return {};
    const checker = services.program.getTypeChecker();
    return {
      CallExpression(node: TSESTree.CallExpression) {
        const site = toolDefinitionSite(services, context.sourceCode, node);
        if (site === undefined) return;
        const name = site.name() === undefined ? '(unnamed)' : `"${site.name() ?? ''}"`;
        const written = site.property('version');
        if (written === undefined) {
          if (!site.declares('version')) context.report({ node: site.reportNode, messageId: 'missingVersion', data: { name } });
          return;
        }
        let version = literalText(written.value);
        if (version === undefined) {
          // A `const VERSION = '1.2.0'` keeps a literal type: as reviewable as the literal itself.
          const type = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(written.value));
          if (type.isStringLiteral()) version = type.value;
        }
        if (version === undefined) {
          context.report({ node: written.value, messageId: 'notLiteral', data: { name } });
          return;
        }
        if (
          version.length > 64 ||
          version.trim() !== version ||
          semver.valid(version) === null ||
          version.startsWith('v') ||
          version.startsWith('=')
        ) {
          context.report({ node: written.value, messageId: 'invalidSemver', data: { name, version: version.slice(0, 64) } });
        }
      },
    };
  },
});
