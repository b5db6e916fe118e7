// Type-aware identity: which package and which declaration a call or property really refers to.
// Rules filter syntactically first (a CallExpression, a MemberExpression), then ask the checker.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { AST_NODE_TYPES, ESLintUtils, type ParserServicesWithTypeInformation, type TSESTree } from '@typescript-eslint/utils';
import type { RuleContext } from '@typescript-eslint/utils/ts-eslint';
import type ts from 'typescript';
import { LintError, LintErrorCode } from '../errors.js';
import { typescript } from './typescript.js';

const packageByDir = new Map<string, string | null>();

/** The `name` of the nearest package.json above a file (`typescript` for the TS lib files). */
export function packageNameOf(fileName: string): string | undefined {
  let dir = dirname(fileName);
  const visited: string[] = [];
  let found: string | null = null;
  for (;;) {
    const cached = packageByDir.get(dir);
    if (cached !== undefined) {
      found = cached;
      break;
    }
    visited.push(dir);
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: unknown };
        found = typeof parsed.name === 'string' ? parsed.name : null;
      } catch {
        found = null;
      }
      if (found !== null) break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  for (const d of visited) packageByDir.set(d, found);
  return found ?? undefined;
}

/** Parser services with type information, or a LintError that says how to enable it. */
export function typeServices(context: Readonly<RuleContext<string, readonly unknown[]>>): ParserServicesWithTypeInformation {
  const services = ESLintUtils.getParserServices(context, true);
  if (services.program === null) {
    throw new LintError(
      LintErrorCode.NoTypeInformation,
      `@charter/eslint-plugin: rule "${context.id}" needs type information: set languageOptions.parserOptions.projectService = true (typescript-eslint parser)`,
    );
  }
  return services;
}

const programPackages = new WeakMap<ts.Program, Set<string>>();

/** Whether any source file of the program comes from one of `packages` (a cheap per-program prefilter). */
export function programUses(program: ts.Program, packages: readonly string[]): boolean {
  let seen = programPackages.get(program);
  if (seen === undefined) {
    seen = new Set<string>();
    for (const file of program.getSourceFiles()) {
      const name = packageNameOf(file.fileName);
      if (name !== undefined) seen.add(name);
    }
    programPackages.set(program, seen);
  }
  return packages.some((p) => seen.has(p));
}

/** A declaration's identity: its package and its name qualified by the class/interface/type that holds it. */
export interface DeclaredAs {
  readonly pkg: string;
  /** `defineTool`, `Runner.run`, `GenerateTextResult.text`, `ToolResult.value`. */
  readonly name: string;
}

const identityCache = new WeakMap<ts.Symbol, DeclaredAs | null>();

function containerName(node: ts.Node): string | undefined {
  for (let current: ts.Node = node.parent; ; current = current.parent) {
    if (typescript.isInterfaceDeclaration(current) || typescript.isClassDeclaration(current) || typescript.isTypeAliasDeclaration(current))
      return current.name?.text;
    if (typescript.isSourceFile(current) || typescript.isModuleBlock(current)) return undefined;
  }
  return undefined;
}

/** Follows import aliases and `const x = y` / `const x = ns.y` re-bindings (bounded). */
function resolveAliases(checker: ts.TypeChecker, symbol: ts.Symbol): ts.Symbol {
  let target = symbol;
  for (let hops = 0; hops < 8; hops++) {
    if ((target.flags & typescript.SymbolFlags.Alias) !== 0) {
      try {
        target = checker.getAliasedSymbol(target);
      } catch {
        return target; // an unresolved import: nothing more to follow
      }
      continue;
    }
    const declaration = target.valueDeclaration;
    if (
      declaration !== undefined &&
      typescript.isVariableDeclaration(declaration) &&
      declaration.initializer !== undefined &&
      typescript.isVariableDeclarationList(declaration.parent) &&
      (declaration.parent.flags & typescript.NodeFlags.Const) !== 0 &&
      (typescript.isIdentifier(declaration.initializer) || typescript.isPropertyAccessExpression(declaration.initializer))
    ) {
      const init = declaration.initializer;
      const next = checker.getSymbolAtLocation(typescript.isPropertyAccessExpression(init) ? init.name : init);
      if (next === undefined || next === target) return target;
      target = next;
      continue;
    }
    return target;
  }
  return target;
}

/** Resolves import aliases and tells which package declares the symbol, and under what name. */
export function identify(checker: ts.TypeChecker, symbol: ts.Symbol | undefined): DeclaredAs | undefined {
  if (symbol === undefined) return undefined;
  const cached = identityCache.get(symbol);
  if (cached !== undefined) return cached ?? undefined;
  const target = resolveAliases(checker, symbol);
  let result: DeclaredAs | null = null;
  const declaration = target.declarations?.[0];
  if (declaration !== undefined) {
    const pkg = packageNameOf(declaration.getSourceFile().fileName);
    if (pkg !== undefined) {
      const container =
        typescript.isVariableDeclaration(declaration) || typescript.isFunctionDeclaration(declaration)
          ? undefined
          : containerName(declaration);
      result = { pkg, name: container === undefined ? target.name : `${container}.${target.name}` };
    }
  }
  identityCache.set(symbol, result);
  return result ?? undefined;
}

/** The identity of what a callee (identifier or non-computed member) refers to. */
export function calleeIdentity(services: ParserServicesWithTypeInformation, callee: TSESTree.Node): DeclaredAs | undefined {
  let target: TSESTree.Node;
  if (callee.type === AST_NODE_TYPES.Identifier) target = callee;
  else if (callee.type === AST_NODE_TYPES.MemberExpression && !callee.computed) target = callee.property;
  else return undefined;
  const checker = services.program.getTypeChecker();
  return identify(checker, checker.getSymbolAtLocation(services.esTreeNodeToTSNodeMap.get(target)));
}

/** A matcher for identities: `{ 'ai': ['generateText'], '@openai/agents-core': ['run', 'Runner.run'] }`. */
export type IdentitySet = ReadonlyMap<string, ReadonlySet<string>>;

export function identitySet(spec: Readonly<Record<string, readonly string[]>>): IdentitySet {
  return new Map(Object.entries(spec).map(([pkg, names]) => [pkg, new Set(names)]));
}

export function matches(set: IdentitySet, id: DeclaredAs | undefined): boolean {
  return id !== undefined && set.get(id.pkg)?.has(id.name) === true;
}

/** Packages whose APIs the rules know. */
export const TOOLS_PKG = '@charter/tools';
export const AGENT_PKG = '@charter/agent';
export const AI_PKGS = ['ai'] as const;
export const OPENAI_AGENTS_PKGS = ['@openai/agents-core', '@openai/agents'] as const;

/** The last segments of the names in identity sets (`Runner.run` → `run`): what a member callee can be called. */
export function memberNames(...sets: IdentitySet[]): ReadonlySet<string> {
  const names = new Set<string>();
  for (const set of sets) for (const group of set.values()) for (const name of group) names.add(name.slice(name.lastIndexOf('.') + 1));
  return names;
}

/**
 * What a call's callee refers to: filter by shape, then by type. A method or namespace member keeps its
 * declared name, so a member callee whose name is not in `members` is skipped before asking the checker
 * (an identifier may be an import alias and is always asked).
 */
export function callIdentity(
  services: ParserServicesWithTypeInformation,
  node: TSESTree.CallExpression | TSESTree.NewExpression,
  members?: ReadonlySet<string>,
): DeclaredAs | undefined {
  const callee = node.callee;
  if (callee.type === AST_NODE_TYPES.MemberExpression) {
    if (callee.computed || callee.property.type !== AST_NODE_TYPES.Identifier) return undefined;
    if (members !== undefined && !members.has(callee.property.name)) return undefined;
  } else if (callee.type !== AST_NODE_TYPES.Identifier) {
    return undefined;
  }
  return calleeIdentity(services, callee);
}
