// Recognises `defineTool(...)` from @charter/tools through types (an import alias or a namespace import
// still counts; a local function of the same name does not) and reads its definition.
import { SIDE_EFFECTS, type SideEffects } from '@charter/spec/values';
import { AST_NODE_TYPES, type ParserServicesWithTypeInformation, type TSESTree } from '@typescript-eslint/utils';
import type { Scope } from '@typescript-eslint/utils/ts-eslint';
import type ts from 'typescript';
import { findProperty, objectLiteralOf, staticValue } from './ast.js';
import { namedCallIdentity } from './names.js';
import { TOOLS_PKG } from './symbols.js';
import { typescript } from './typescript.js';

export type SideEffectsValue = SideEffects;

function isSideEffects(value: unknown): value is SideEffects {
  return (SIDE_EFFECTS as readonly unknown[]).includes(value);
}

/** One `defineTool` call and what can be known statically about its definition. */
export interface ToolDefinitionSite {
  readonly call: TSESTree.CallExpression;
  /** The definition argument. */
  readonly argument: TSESTree.Node | undefined;
  /** The definition as an object literal (written inline or in a `const`), when it is one. */
  readonly object: TSESTree.ObjectExpression | undefined;
  /** The property written in the literal, if any. */
  property(name: string): TSESTree.Property | undefined;
  /** Whether the definition certainly has the property (through its type: spreads and variables count). */
  declares(name: string): boolean;
  /** The tool's name when statically known. */
  name(): string | undefined;
  /** The possible `sideEffects` values (from literal types), or undefined when unknown. */
  sideEffects(): ReadonlySet<SideEffectsValue> | undefined;
  /** Where to report something about the whole definition. */
  readonly reportNode: TSESTree.Node;
}

const DEFINE_TOOL: ReadonlySet<string> = new Set(['defineTool']);

/** Whether the call is `defineTool` of @charter/tools (checked through types, after the syntactic prefilters). */
export function isDefineToolCall(
  services: ParserServicesWithTypeInformation,
  sourceCode: ScopeSource,
  node: TSESTree.CallExpression,
): boolean {
  const id = namedCallIdentity(services, sourceCode, node, DEFINE_TOOL);
  return id?.pkg === TOOLS_PKG && id.name === 'defineTool';
}

/** Where a call's scope comes from: the rule's `context.sourceCode`. */
export interface ScopeSource {
  getScope(node: TSESTree.Node): Scope.Scope;
}

/**
 * Every call's answer, shared by the rules that read tool definitions (five in `recommended`): each asks
 * about every call of a file, and the first one's answer (the callee's identity, then the definition's
 * facts as they are read) serves the others. Keyed by the call node, which exists for one lint of one file.
 */
const sites = new WeakMap<TSESTree.CallExpression, ToolDefinitionSite | null>();

/** The `defineTool` call `node` is, read lazily and once per call; undefined for any other call. */
export function toolDefinitionSite(
  services: ParserServicesWithTypeInformation,
  sourceCode: ScopeSource,
  node: TSESTree.CallExpression,
): ToolDefinitionSite | undefined {
  const known = sites.get(node);
  if (known !== undefined) return known ?? undefined;
  const site = isDefineToolCall(services, sourceCode, node) ? readSite(services, sourceCode.getScope(node), node) : undefined;
  sites.set(node, site ?? null);
  return site;
}

/** Memoises a function of a property name (the answers never change during the lint of a file). */
function byName<T>(read: (name: string) => T): (name: string) => T {
  const answers = new Map<string, T>();
  return (name) => {
    if (answers.has(name)) return answers.get(name) as T;
    const answer = read(name);
    answers.set(name, answer);
    return answer;
  };
}

function readSite(services: ParserServicesWithTypeInformation, scope: Scope.Scope, node: TSESTree.CallExpression): ToolDefinitionSite {
  const argument = node.arguments[0];
  const object = objectLiteralOf(argument, scope);
  const property = (name: string): TSESTree.Property | undefined => (object === undefined ? undefined : findProperty(object, name));
  // Types are asked only when syntax cannot tell (spreads, a definition held in a variable): asking
  // for the type of the whole definition makes the checker infer defineTool's generics (slow).
  const typeOfWritten = (name: string): ts.Type | undefined => {
    const written = property(name);
    return written === undefined ? undefined : services.getTypeAtLocation(written.value);
  };
  const typeOf = byName((name: string): ts.Type | undefined => {
    const written = typeOfWritten(name);
    if (written !== undefined) return written;
    const holders =
      object === undefined
        ? argument === undefined
          ? []
          : [argument]
        : object.properties.flatMap((p) => (p.type === AST_NODE_TYPES.SpreadElement ? [p.argument] : []));
    const checker = services.program.getTypeChecker();
    let found: ts.Type | undefined;
    for (const holder of holders) {
      const tsNode = services.esTreeNodeToTSNodeMap.get(holder);
      const symbol = checker.getTypeAtLocation(tsNode).getProperty(name);
      if (symbol === undefined) continue;
      if ((symbol.flags & typescript.SymbolFlags.Optional) !== 0) return undefined;
      found = checker.getTypeOfSymbolAtLocation(symbol, tsNode);
    }
    return found;
  });
  let knownName: { readonly value: string | undefined } | undefined;
  let knownSideEffects: { readonly value: ReadonlySet<SideEffectsValue> | undefined } | undefined;
  return {
    call: node,
    argument,
    object,
    reportNode: argument ?? node,
    property,
    declares(name) {
      if (property(name) !== undefined) return true;
      const type = typeOf(name);
      return type !== undefined && (type.flags & typescript.TypeFlags.Undefined) === 0;
    },
    name() {
      knownName ??= { value: readName() };
      return knownName.value;
    },
    sideEffects() {
      knownSideEffects ??= { value: readSideEffects() };
      return knownSideEffects.value;
    },
  };

  function readName(): string | undefined {
    const written = property('name');
    if (written !== undefined) {
      const value = staticValue(written.value, scope);
      if (typeof value?.value === 'string') return value.value;
    }
    const type = typeOf('name');
    return type?.isStringLiteral() === true ? type.value : undefined;
  }

  function readSideEffects(): ReadonlySet<SideEffectsValue> | undefined {
    const written = property('sideEffects');
    if (written !== undefined) {
      const value = staticValue(written.value, scope);
      if (isSideEffects(value?.value)) return new Set([value.value]);
    }
    const type = typeOf('sideEffects');
    if (type === undefined) return undefined;
    const parts = type.isUnion() ? type.types : [type];
    const values = new Set<SideEffectsValue>();
    for (const part of parts) {
      if (!part.isStringLiteral()) return undefined;
      if (isSideEffects(part.value)) values.add(part.value);
    }
    // In the declared order: a union's members come in the order the checker first met each literal,
    // which depends on what it was asked before (messages would differ between runs of the same code).
    return values.size === 0 ? undefined : new Set(SIDE_EFFECTS.filter((value) => values.has(value)));
  }
}

/** The node to point at for a property: its value when written, else the definition. */
export function propertyOrDefinition(site: ToolDefinitionSite, name: string): TSESTree.Node {
  return site.property(name)?.value ?? site.reportNode;
}

export function isIdentifierOrMember(node: TSESTree.Node): boolean {
  return node.type === AST_NODE_TYPES.Identifier || node.type === AST_NODE_TYPES.MemberExpression;
}
