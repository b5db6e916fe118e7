import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import { unwrap } from '../util/ast.js';
import { createRule } from '../util/create-rule.js';
import { callIdentity, programUses, typeServices } from '../util/symbols.js';
import { createTaintTracker, MODEL_SOURCES, type Taint } from '../util/taint.js';
import { typescript } from '../util/typescript.js';

export type MessageId = 'parseWithoutSchema' | 'evalOfModelOutput' | 'unvalidatedAccess';

const SOURCE_PACKAGES = Object.keys(MODEL_SOURCES);
const GLOBAL_MEMBERS: ReadonlySet<string> = new Set(['parse']);

export default createRule<[], MessageId>({
  name: 'no-unvalidated-model-output',
  meta: {
    defaultOptions: [],
    type: 'problem',
    docs: {
      description:
        'Disallow `JSON.parse`, `eval`, `new Function` or untyped property access on model output or tool results that has not passed through a schema',
      requiresTypeChecking: true,
    },
    schema: [],
    messages: {
      parseWithoutSchema:
        '`JSON.parse` of {{kind}} ({{source}}) without a schema: pass the parsed value straight to a schema (`Schema.parse(JSON.parse(text))`) or use structured output.',
      evalOfModelOutput: '{{what}} runs {{kind}} ({{source}}) as code: never execute model output or tool results.',
      unvalidatedAccess: 'Property access on untyped {{kind}} ({{source}}): validate it with a schema first and read the typed result.',
    },
  },
  create(context) {
    const services = typeServices(context);
    if (!programUses(services.program, SOURCE_PACKAGES)) return {};
    const checker = services.program.getTypeChecker();
    const tracker = createTaintTracker(services, context.sourceCode, [MODEL_SOURCES]);
    const reported = new WeakSet<TSESTree.Node>();

    /** A call of a Standard Schema validator (zod, valibot, arktype…): its receiver's type has `~standard`. */
    function isSchemaCall(node: TSESTree.Node | undefined, argument: TSESTree.Node): boolean {
      if (node?.type !== AST_NODE_TYPES.CallExpression || node.callee.type !== AST_NODE_TYPES.MemberExpression) return false;
      if (!node.arguments.some((a) => unwrap(a) === argument || a === argument)) return false;
      const receiver = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node.callee.object));
      return checker.getApparentType(receiver).getProperty('~standard') !== undefined;
    }

    /** `Schema.parse(JSON.parse(x))`, or `const raw = JSON.parse(x)` read only by schema calls. */
    function validated(call: TSESTree.CallExpression): boolean {
      let outer: TSESTree.Node = call;
      while (outer.parent.type === AST_NODE_TYPES.TSAsExpression || outer.parent.type === AST_NODE_TYPES.TSSatisfiesExpression)
        outer = outer.parent;
      if (isSchemaCall(outer.parent, outer)) return true;
      const declarator = outer.parent;
      if (
        declarator.type !== AST_NODE_TYPES.VariableDeclarator ||
        declarator.init !== outer ||
        declarator.id.type !== AST_NODE_TYPES.Identifier
      )
        return false;
      const variable = ASTUtils.findVariable(context.sourceCode.getScope(declarator), declarator.id);
      if (variable === null) return false;
      const reads = variable.references.filter((r) => r.isRead());
      return reads.length > 0 && reads.every((r) => isSchemaCall(r.identifier.parent, r.identifier));
    }

    /** The global (`JSON.parse`, `eval`, `Function`) a call's callee refers to, if it is one of the lib's. */
    function globalCalled(node: TSESTree.CallExpression | TSESTree.NewExpression): string | undefined {
      const id = callIdentity(services, node, GLOBAL_MEMBERS);
      return id?.pkg === 'typescript' ? id.name : undefined;
    }

    /** Whether any argument can be tainted at all, answered from the syntax (exact when false: see `mayBeTainted`). */
    function mayBeTainted(args: readonly TSESTree.Node[]): boolean {
      return args.some((arg) => tracker.mayBeTainted(arg));
    }

    function anyTainted(args: readonly TSESTree.Node[]): Taint | undefined {
      for (const arg of args) {
        const found = tracker.taintOf(arg);
        if (found !== undefined) return found;
      }
      return undefined;
    }

    return {
      // The syntactic taint question comes before the callee's identity: a member callee's symbol needs the
      // type of its object (`Schema.parse(...)` would make the checker resolve a zod schema's type).
      CallExpression(node: TSESTree.CallExpression) {
        const callee = node.callee;
        const arg = node.arguments[0];
        if (arg === undefined) return;
        if (callee.type === AST_NODE_TYPES.MemberExpression) {
          if (callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier || !GLOBAL_MEMBERS.has(callee.property.name)) return;
          if (!tracker.mayBeTainted(arg) || globalCalled(node) !== 'JSON.parse') return;
          const found = tracker.taintOf(arg);
          if (found !== undefined && !validated(node))
            context.report({ node, messageId: 'parseWithoutSchema', data: { kind: found.kind, source: found.source } });
          return;
        }
        if (callee.type !== AST_NODE_TYPES.Identifier || !mayBeTainted(node.arguments)) return;
        const global = globalCalled(node);
        const what = global === 'eval' ? '`eval`' : global === 'Function' ? '`Function`' : undefined;
        if (what === undefined) return;
        const found = anyTainted(node.arguments);
        if (found !== undefined)
          context.report({ node, messageId: 'evalOfModelOutput', data: { what, kind: found.kind, source: found.source } });
      },
      NewExpression(node: TSESTree.NewExpression) {
        if (node.callee.type !== AST_NODE_TYPES.Identifier || !mayBeTainted(node.arguments) || globalCalled(node) !== 'Function') return;
        const found = anyTainted(node.arguments);
        if (found !== undefined)
          context.report({
            node,
            messageId: 'evalOfModelOutput',
            data: { what: '`new Function`', kind: found.kind, source: found.source },
          });
      },
      'MemberExpression:exit'(node: TSESTree.MemberExpression) {
        const object = unwrap(node.object);
        if (reported.has(object)) {
          reported.add(node);
          return;
        }
        // The syntactic question first: most objects cannot carry model output at all, and the type of
        // each would cost the checker more than the rest of the rule (measured on the reference agent).
        if (!tracker.mayBeTainted(node.object)) return;
        const type = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(node.object));
        if ((type.flags & typescript.TypeFlags.Any) === 0) return;
        const found = tracker.taintOf(node.object);
        if (found === undefined) return;
        reported.add(node);
        context.report({ node: node.property, messageId: 'unvalidatedAccess', data: { kind: found.kind, source: found.source } });
      },
    };
  },
});
