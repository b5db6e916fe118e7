import { AST_NODE_TYPES, type TSESTree } from '@typescript-eslint/utils';
import { relative } from 'node:path';
import { findProperty, objectLiteralOf } from '../util/ast.js';
import { createRule } from '../util/create-rule.js';
import { namedCallIdentity } from '../util/names.js';
import { type ManifestLookup, manifestFor } from '../util/manifest.js';
import { defaultManifestOptions, type ManifestOptions, manifestOptionsSchema, resolveManifestOptions } from '../util/manifest-options.js';
import { AGENT_PKG, identitySet, matches, memberNames, programUses, TOOLS_PKG, typeServices } from '../util/symbols.js';
import { resolveToolList } from '../util/tool-list.js';
import { toolDefinitionSite } from '../util/tool-definition.js';

export type MessageId = 'undeclared' | 'neverRegistered' | 'noManifest' | 'manifestUnreadable';
export type Options = [ManifestOptions];

/** Calls whose first argument is the complete list of tools an agent can use. */
const LIST_CALLS = identitySet({ [TOOLS_PKG]: ['createRegistry', 'createExecutor', 'toolsetOf'] });
const AGENT_CALLS = identitySet({ [AGENT_PKG]: ['createAgent'] });
const MEMBERS = memberNames(LIST_CALLS, AGENT_CALLS);

export default createRule<Options, MessageId>({
  name: 'tools-declared-in-manifest',
  meta: {
    defaultOptions: [defaultManifestOptions],
    type: 'problem',
    docs: { description: 'Require tools registered in code and tools declared in the agent manifest to match', requiresTypeChecking: true },
    schema: [manifestOptionsSchema],
    messages: {
      undeclared:
        'Tool "{{name}}" is defined in code but {{manifest}} does not declare it: add it to spec.tools (name, version range, sideEffects, scopes) or remove it.',
      neverRegistered:
        '{{manifest}} declares {{names}}, but this tool list never registers {{them}}: add the implementation or remove the grant from spec.tools.',
      noManifest:
        'Tool "{{name}}" is defined but no {{manifestFile}} was found up to the package root: declare the agent\'s tools in a manifest.',
      manifestUnreadable: 'Cannot compare tools with the manifest: {{message}}',
    },
  },
  create(context, [rawOptions]) {
    const services = typeServices(context);
    const options = resolveManifestOptions(rawOptions);
    if (!programUses(services.program, [TOOLS_PKG, AGENT_PKG])) return {};
    const checker = services.program.getTypeChecker();
    let lookup: ManifestLookup | undefined;
    let reportedUnreadable = false;
    const manifest = (): ManifestLookup => (lookup ??= manifestFor(context.filename, options.manifestFile));
    const display = (file: string): string => relative(context.cwd, file) || file;

    function unreadable(node: TSESTree.Node, found: ManifestLookup): boolean {
      if (found.kind !== 'unreadable') return false;
      if (!reportedUnreadable) context.report({ node, messageId: 'manifestUnreadable', data: { message: found.error.message } });
      reportedUnreadable = true;
      return true;
    }

    function checkList(list: TSESTree.Node): void {
      const found = manifest();
      if (found.kind === 'none' || unreadable(list, found)) return;
      if (found.kind !== 'found') return;
      const names = resolveToolList(checker, services.esTreeNodeToTSNodeMap.get(list));
      if (names === undefined) return;
      const registered = new Set(names);
      const missing = [...found.facts.tools.keys()].filter((n) => !registered.has(n));
      if (missing.length === 0) return;
      context.report({
        node: list,
        messageId: 'neverRegistered',
        data: {
          manifest: display(found.facts.file),
          names: missing.map((n) => `"${n}"`).join(', '),
          them: missing.length === 1 ? 'it' : 'them',
        },
      });
    }

    return {
      CallExpression(node: TSESTree.CallExpression) {
        if (node.arguments.length === 0) return;
        const site = toolDefinitionSite(services, context.sourceCode, node);
        if (site !== undefined) {
          const name = site.name();
          if (name === undefined) return;
          const at = site.property('name')?.value ?? site.reportNode;
          const found = manifest();
          if (found.kind === 'none') {
            if (options.requireManifest)
              context.report({ node: at, messageId: 'noManifest', data: { name, manifestFile: options.manifestFile } });
            return;
          }
          if (unreadable(at, found) || found.kind !== 'found') return;
          if (!found.facts.tools.has(name))
            context.report({ node: at, messageId: 'undeclared', data: { name, manifest: display(found.facts.file) } });
          return;
        }
        const first = node.arguments[0];
        if (first === undefined || first.type === AST_NODE_TYPES.SpreadElement) return;
        const id = namedCallIdentity(services, context.sourceCode, node, MEMBERS);
        if (matches(LIST_CALLS, id)) {
          checkList(first);
        } else if (matches(AGENT_CALLS, id)) {
          const object = objectLiteralOf(first, context.sourceCode.getScope(node));
          const tools = object === undefined ? undefined : findProperty(object, 'tools');
          if (tools !== undefined) checkList(tools.value);
        }
      },
    };
  },
});
