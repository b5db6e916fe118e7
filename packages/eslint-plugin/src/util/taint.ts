// Where untrusted values come from, recognised through the declarations of the properties that hold
// them (never by variable names), and how they flow through simple expressions and `const`s.
import { AST_NODE_TYPES, ASTUtils, type ParserServicesWithTypeInformation, type TSESTree } from '@typescript-eslint/utils';
import { Scope } from '@typescript-eslint/utils/ts-eslint';
import type ts from 'typescript';
import { keyName, unwrap } from './ast.js';
import { namesLeadingTo } from './names.js';
import { identify, programUses } from './symbols.js';

export type TaintKind = 'model output' | 'tool result' | 'user input';

export interface Taint {
  readonly kind: TaintKind;
  /** The declaration the value comes from, e.g. `GenerateTextResult.text` (ai). */
  readonly source: string;
}

type SourceTable = Readonly<Record<string, Readonly<Record<string, TaintKind>>>>;

const MODEL_RESULT_PROPS = [
  'text',
  'content',
  'toolCalls',
  'staticToolCalls',
  'dynamicToolCalls',
  'reasoning',
  'reasoningText',
  'steps',
  'response',
  'textStream',
  'fullStream',
];
const TOOL_RESULT_PROPS = ['toolResults', 'staticToolResults', 'dynamicToolResults'];

function table(containers: readonly string[], props: readonly string[], kind: TaintKind): Record<string, TaintKind> {
  return Object.fromEntries(containers.flatMap((c) => props.map((p) => [`${c}.${p}`, kind] as const)));
}

/**
 * The documented taint sources (property declarations, by package). A value is tainted when it is read
 * from one of them, or from any property or element of a tainted value. Structured output that the
 * SDK validated against a schema (`GenerateTextResult.output`, an OpenAI Agents `outputType`) is not a source.
 */
export const MODEL_SOURCES: SourceTable = {
  ai: {
    ...table(['GenerateTextResult', 'StreamTextResult', 'StepResult'], MODEL_RESULT_PROPS, 'model output'),
    ...table(['GenerateTextResult', 'StreamTextResult', 'StepResult'], TOOL_RESULT_PROPS, 'tool result'),
  },
  '@ai-sdk/provider': {
    'LanguageModelV3GenerateResult.content': 'model output',
    'LanguageModelV3Text.text': 'model output',
    'LanguageModelV3Reasoning.text': 'model output',
    'LanguageModelV3ToolCall.input': 'model output',
  },
  '@charter/tools': { 'ToolResult.value': 'tool result' },
  '@charter/agent': { 'RunResult.output': 'model output', 'PendingApproval.args': 'model output', 'PlannedCall.args': 'model output' },
  '@openai/agents-core': {
    'RunResultBase.finalOutput': 'model output',
    'RunResultBase.newItems': 'model output',
    'RunResultBase.output': 'model output',
  },
};

/** User input read from a declaration (besides values passed as the user input of a run; see rule 6). */
export const USER_SOURCES: SourceTable = {
  '@ai-sdk/provider-utils': { 'UserModelMessage.content': 'user input' },
  ai: { 'UIMessage.parts': 'user input' },
  '@types/node': { 'Process.argv': 'user input', 'IncomingMessage.url': 'user input', 'IncomingMessage.headers': 'user input' },
};

/** String and array methods whose result carries the receiver's taint. */
const PASS_THROUGH_METHODS = new Set([
  'at',
  'concat',
  'join',
  'flat',
  'map',
  'filter',
  'find',
  'slice',
  'splice',
  'split',
  'substring',
  'substr',
  'trim',
  'trimStart',
  'trimEnd',
  'toLowerCase',
  'toUpperCase',
  'toString',
  'replace',
  'replaceAll',
  'padStart',
  'padEnd',
  'normalize',
  'repeat',
  'valueOf',
]);
const MAX_DEPTH = 10;
/** `successors`' answer for a node that may itself be a source. */
const SOURCE = Symbol('source');

export interface TaintTracker {
  taintOf(node: TSESTree.Node): Taint | undefined;
  /**
   * Whether `taintOf(node)` can find a source at all, answered from the syntax alone (no type checker):
   * false when no path that `taintOf` follows from `node` reaches a property or a destructured key whose
   * name is one of the sources' property names, or a variable marked as user input. A false answer is
   * exact (`taintOf` then returns undefined, in any order of calls); true only means "ask `taintOf`".
   * It never touches `taintOf`'s cache.
   */
  mayBeTainted(node: TSESTree.Node): boolean;
  /** Marks the variables of these identifiers as user input (e.g. what a file passes to `agent.run`). */
  markUserInput(identifier: TSESTree.Identifier): void;
}

/**
 * Every name a property read (`x.name`) or a destructured key can have when `identify` resolves it to
 * one of the tables' sources (see `namesLeadingTo`): the sources' own property names
 * (`GenerateTextResult.text` → `text`) and every alias or `const` that can lead to one.
 */
function sourceNamesOf(program: ts.Program, tables: readonly SourceTable[]): ReadonlySet<string> {
  return namesLeadingTo(
    program,
    tables.flatMap((t) => Object.values(t).flatMap((names) => Object.keys(names).map((name) => name.slice(name.lastIndexOf('.') + 1)))),
  );
}

export function createTaintTracker(
  services: ParserServicesWithTypeInformation,
  sourceCode: { getScope(node: TSESTree.Node): Scope.Scope },
  tables: readonly SourceTable[],
): TaintTracker {
  const checker = services.program.getTypeChecker();
  // Only the sources of packages the program holds: `identify` names the package of a declaration's file,
  // and every such file is one of the program's, so a source of any other package can never be found; its
  // property names (`toolResults` of `ai`) would only make `mayBeTainted` answer "maybe" and send the rule
  // to the checker (measured: ~60 ms of a check of the reference agent, which has no `ai` in its program).
  const present: readonly SourceTable[] = tables.map((t) =>
    Object.fromEntries(Object.entries(t).filter(([pkg]) => programUses(services.program, [pkg]))),
  );
  const cache = new WeakMap<TSESTree.Node, Taint | null>();
  const userVariables = new Set<Scope.Variable>();
  // The names a property read or a destructured key must have to be a source (see `sourceNamesOf`),
  // worked out on the first `mayBeTainted` question.
  let sourceNames: ReadonlySet<string> | undefined;
  // mayBeTainted's answers: only `false` is stored (for every node of a search that found nothing).
  let unreachable = new WeakSet<TSESTree.Node>();

  function sourceOf(symbol: ts.Symbol | undefined): Taint | undefined {
    const id = identify(checker, symbol);
    if (id === undefined) return undefined;
    for (const t of present) {
      const kind = t[id.pkg]?.[id.name];
      if (kind !== undefined) return { kind, source: `${id.name} (${id.pkg})` };
    }
    return undefined;
  }

  function propertySource(object: TSESTree.Node, name: string): Taint | undefined {
    const type = checker.getTypeAtLocation(services.esTreeNodeToTSNodeMap.get(object));
    const parts = type.isUnion() ? type.types : [type];
    for (const part of parts) {
      const found = sourceOf(checker.getApparentType(part).getProperty(name));
      if (found !== undefined) return found;
    }
    return undefined;
  }

  function variableTaint(identifier: TSESTree.Identifier, depth: number): Taint | undefined {
    const variable = ASTUtils.findVariable(sourceCode.getScope(identifier), identifier);
    if (variable === null) return undefined;
    if (userVariables.has(variable)) return { kind: 'user input', source: 'a value passed as the user input of a run' };
    const def = variable.defs[0];
    if (def === undefined) return undefined;
    if (def.type === Scope.DefinitionType.Variable) {
      const declarator = def.node;
      const writes = variable.references.filter((r) => r.isWrite()).length;
      if (writes > 1) return undefined;
      if (declarator.init === null) {
        // `for (const call of result.toolCalls)`
        const loop = declarator.parent.parent;
        if (loop.type === AST_NODE_TYPES.ForOfStatement || loop.type === AST_NODE_TYPES.ForInStatement) return taint(loop.right, depth + 1);
        return undefined;
      }
      if (declarator.id.type === AST_NODE_TYPES.Identifier) return taint(declarator.init, depth + 1);
      // Destructuring: `const { text } = await generateText(...)`.
      const whole = taint(declarator.init, depth + 1);
      if (whole !== undefined) return whole;
      const property = def.name.parent;
      if (
        property.type === AST_NODE_TYPES.Property &&
        declarator.id.type === AST_NODE_TYPES.ObjectPattern &&
        property.parent === declarator.id
      ) {
        const key = keyName(property);
        return key === undefined ? undefined : propertySource(unwrap(declarator.init), key);
      }
      return undefined;
    }
    if (def.type === Scope.DefinitionType.Parameter) {
      // `result.toolCalls.map((call) => …)`: a callback parameter of a tainted array method.
      const fn = def.node;
      const call = fn.parent;
      if (
        (fn.type === AST_NODE_TYPES.ArrowFunctionExpression || fn.type === AST_NODE_TYPES.FunctionExpression) &&
        call.type === AST_NODE_TYPES.CallExpression &&
        call.arguments[0] === fn &&
        call.callee.type === AST_NODE_TYPES.MemberExpression &&
        fn.params[0] === def.name
      ) {
        return taint(call.callee.object, depth + 1);
      }
    }
    return undefined;
  }

  function compute(node: TSESTree.Node, depth: number): Taint | undefined {
    const inner = unwrap(node);
    switch (inner.type) {
      case AST_NODE_TYPES.AwaitExpression:
        return taint(inner.argument, depth + 1);
      case AST_NODE_TYPES.MemberExpression: {
        if (!inner.computed && inner.property.type === AST_NODE_TYPES.Identifier) {
          const own = sourceOf(checker.getSymbolAtLocation(services.esTreeNodeToTSNodeMap.get(inner.property)));
          if (own !== undefined) return own;
        }
        return taint(inner.object, depth + 1);
      }
      case AST_NODE_TYPES.Identifier:
        return variableTaint(inner, depth);
      case AST_NODE_TYPES.TemplateLiteral:
        return first(inner.expressions, depth);
      case AST_NODE_TYPES.BinaryExpression:
        return inner.operator === '+' ? first([inner.left, inner.right], depth) : undefined;
      case AST_NODE_TYPES.LogicalExpression:
        return first([inner.left, inner.right], depth);
      case AST_NODE_TYPES.ConditionalExpression:
        return first([inner.consequent, inner.alternate], depth);
      case AST_NODE_TYPES.ArrayExpression:
        return first(
          inner.elements.filter((e) => e !== null),
          depth,
        );
      case AST_NODE_TYPES.SpreadElement:
        return taint(inner.argument, depth + 1);
      case AST_NODE_TYPES.CallExpression: {
        const callee = inner.callee;
        if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier) {
          if (PASS_THROUGH_METHODS.has(callee.property.name)) {
            const receiver = taint(callee.object, depth + 1);
            if (receiver !== undefined) return receiver;
            if (callee.property.name === 'concat' || callee.property.name === 'join') return first(inner.arguments, depth);
          }
          if (callee.property.name === 'stringify') {
            const id = identify(checker, checker.getSymbolAtLocation(services.esTreeNodeToTSNodeMap.get(callee.property)));
            if (id?.pkg === 'typescript' && id.name === 'JSON.stringify') return first(inner.arguments, depth);
          }
        }
        if (callee.type === AST_NODE_TYPES.Identifier) {
          const id = identify(checker, checker.getSymbolAtLocation(services.esTreeNodeToTSNodeMap.get(callee)));
          if (id?.pkg === 'typescript' && id.name === 'String') return first(inner.arguments, depth);
        }
        return undefined;
      }
      default:
        return undefined;
    }
  }

  function first(nodes: readonly TSESTree.Node[], depth: number): Taint | undefined {
    for (const node of nodes) {
      const found = taint(node, depth + 1);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  function taint(node: TSESTree.Node, depth: number): Taint | undefined {
    if (depth > MAX_DEPTH) return undefined;
    const cached = cache.get(node);
    if (cached !== undefined) return cached ?? undefined;
    cache.set(node, null); // cycles
    const result = compute(node, depth);
    cache.set(node, result ?? null);
    return result;
  }

  /**
   * The nodes `compute` (and `variableTaint`) would go on to from `node`, with every condition that needs
   * the checker taken as true, or SOURCE when `node` itself may be a source. Mirrors `compute`: keep the two in step.
   */
  function successors(node: TSESTree.Node): readonly TSESTree.Node[] | typeof SOURCE {
    const inner = unwrap(node);
    switch (inner.type) {
      case AST_NODE_TYPES.AwaitExpression:
        return [inner.argument];
      case AST_NODE_TYPES.MemberExpression:
        if (!inner.computed && inner.property.type === AST_NODE_TYPES.Identifier && sourceNames?.has(inner.property.name) !== false)
          return SOURCE;
        return [inner.object];
      case AST_NODE_TYPES.Identifier:
        return variableSuccessors(inner);
      case AST_NODE_TYPES.TemplateLiteral:
        return inner.expressions;
      case AST_NODE_TYPES.BinaryExpression:
        return inner.operator === '+' ? [inner.left, inner.right] : [];
      case AST_NODE_TYPES.LogicalExpression:
        return [inner.left, inner.right];
      case AST_NODE_TYPES.ConditionalExpression:
        return [inner.consequent, inner.alternate];
      case AST_NODE_TYPES.ArrayExpression:
        return inner.elements.filter((e) => e !== null);
      case AST_NODE_TYPES.SpreadElement:
        return [inner.argument];
      case AST_NODE_TYPES.CallExpression: {
        const callee = inner.callee;
        if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed && callee.property.type === AST_NODE_TYPES.Identifier) {
          const name = callee.property.name;
          const next: TSESTree.Node[] = [];
          if (PASS_THROUGH_METHODS.has(name)) next.push(callee.object);
          if (name === 'concat' || name === 'join' || name === 'stringify') next.push(...inner.arguments);
          return next;
        }
        return callee.type === AST_NODE_TYPES.Identifier ? inner.arguments : [];
      }
      default:
        return [];
    }
  }

  function variableSuccessors(identifier: TSESTree.Identifier): readonly TSESTree.Node[] | typeof SOURCE {
    const variable = ASTUtils.findVariable(sourceCode.getScope(identifier), identifier);
    if (variable === null) return [];
    if (userVariables.has(variable)) return SOURCE;
    const def = variable.defs[0];
    if (def === undefined) return [];
    if (def.type === Scope.DefinitionType.Variable) {
      const declarator = def.node;
      if (variable.references.filter((r) => r.isWrite()).length > 1) return [];
      if (declarator.init === null) {
        const loop = declarator.parent.parent;
        return loop.type === AST_NODE_TYPES.ForOfStatement || loop.type === AST_NODE_TYPES.ForInStatement ? [loop.right] : [];
      }
      if (declarator.id.type === AST_NODE_TYPES.Identifier) return [declarator.init];
      const property = def.name.parent;
      if (
        property.type === AST_NODE_TYPES.Property &&
        declarator.id.type === AST_NODE_TYPES.ObjectPattern &&
        property.parent === declarator.id
      ) {
        const key = keyName(property);
        if (key !== undefined && sourceNames?.has(key) !== false) return SOURCE;
      }
      return [declarator.init];
    }
    if (def.type === Scope.DefinitionType.Parameter) {
      const fn = def.node;
      const call = fn.parent;
      if (
        (fn.type === AST_NODE_TYPES.ArrowFunctionExpression || fn.type === AST_NODE_TYPES.FunctionExpression) &&
        call.type === AST_NODE_TYPES.CallExpression &&
        call.arguments[0] === fn &&
        call.callee.type === AST_NODE_TYPES.MemberExpression &&
        fn.params[0] === def.name
      ) {
        return [call.callee.object];
      }
    }
    return [];
  }

  /**
   * A search over `successors` with a worklist (no recursion, no depth limit: `taintOf`'s limit can only
   * lose taint, never add it). When nothing is found, every node searched is unreachable from any
   * source too and is remembered so; a `true` is not stored (cheap to find again, and it is only a maybe).
   */
  function mayBeTainted(node: TSESTree.Node): boolean {
    if (unreachable.has(node)) return false;
    sourceNames ??= sourceNamesOf(services.program, present);
    const seen = new Set<TSESTree.Node>([node]);
    const pending: TSESTree.Node[] = [node];
    for (let current = pending.pop(); current !== undefined; current = pending.pop()) {
      const next = successors(current);
      if (next === SOURCE) return true;
      for (const n of next) {
        if (seen.has(n) || unreachable.has(n)) continue;
        seen.add(n);
        pending.push(n);
      }
    }
    for (const n of seen) unreachable.add(n);
    return false;
  }

  return {
    taintOf: (node) => taint(node, 0),
    mayBeTainted,
    markUserInput(identifier) {
      const variable = ASTUtils.findVariable(sourceCode.getScope(identifier), identifier);
      if (variable !== null) {
        userVariables.add(variable);
        unreachable = new WeakSet(); // a new source: earlier "unreachable" answers may no longer hold
      }
    },
  };
}
