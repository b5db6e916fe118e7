import type { TSESTree } from '@typescript-eslint/utils';
import { relative } from 'node:path';
import { createRule } from '../util/create-rule.js';
import { hasApproval, manifestFor } from '../util/manifest.js';
import { defaultManifestOptions, type ManifestOptions, manifestOptionsSchema, resolveManifestOptions } from '../util/manifest-options.js';
import { programUses, TOOLS_PKG, typeServices } from '../util/symbols.js';
import { propertyOrDefinition, toolDefinitionSite } from '../util/tool-definition.js';

export type MessageId = 'noApproval' | 'notDeclared' | 'noManifest' | 'dynamicName' | 'manifestUnreadable';
export type Options = [ManifestOptions];

export default createRule<Options, MessageId>({
  name: 'require-approval-for-irreversible',
  meta: {
    defaultOptions: [defaultManifestOptions],
    type: 'problem',
    docs: { description: 'Require an approval policy in the agent manifest for every irreversible tool', requiresTypeChecking: true },
    schema: [manifestOptionsSchema],
    messages: {
      noApproval:
        'Tool "{{name}}" is irreversible but {{manifest}} gives it no approval policy: set `approval: always` or `approval: when <argument> <op> <value>` on its spec.tools entry.',
      notDeclared:
        'Tool "{{name}}" is irreversible but {{manifest}} does not declare it, so no approval policy applies: add it to spec.tools with an `approval` policy.',
      noManifest:
        'Tool {{name}} is irreversible and no {{manifestFile}} was found up to the package root: declare it in the agent manifest with an approval policy.',
      dynamicName:
        "This irreversible tool's `name` is not a string literal, so its approval policy cannot be found in the manifest: write the name as a literal.",
      manifestUnreadable: 'Cannot check approval policies: {{message}}',
    },
  },
  create(context, [rawOptions]) {
    const services = typeServices(context);
    const options = resolveManifestOptions(rawOptions);
    if (!programUses(services.program, [TOOLS_PKG])) return {};
    return {
      CallExpression(node: TSESTree.CallExpression) {
        const site = toolDefinitionSite(services, context.sourceCode, node);
        if (site === undefined) return;
        const effects = site.sideEffects();
        if (effects !== undefined && !effects.has('irreversible')) return;
        const at = propertyOrDefinition(site, 'sideEffects');
        const name = site.name();
        const lookup = manifestFor(context.filename, options.manifestFile);
        if (lookup.kind === 'unreadable') {
          context.report({ node: at, messageId: 'manifestUnreadable', data: { message: lookup.error.message } });
          return;
        }
        if (lookup.kind === 'none') {
          if (options.requireManifest)
            context.report({
              node: at,
              messageId: 'noManifest',
              data: { name: name === undefined ? '(unnamed)' : `"${name}"`, manifestFile: options.manifestFile },
            });
          return;
        }
        if (name === undefined) {
          context.report({ node: site.property('name')?.value ?? at, messageId: 'dynamicName' });
          return;
        }
        const manifest = relative(context.cwd, lookup.facts.file) || lookup.facts.file;
        const declared = lookup.facts.tools.get(name);
        if (declared === undefined) context.report({ node: at, messageId: 'notDeclared', data: { name, manifest } });
        else if (!hasApproval(declared.approval)) context.report({ node: at, messageId: 'noApproval', data: { name, manifest } });
      },
    };
  },
});
