// Which names can lead to a declaration through aliases, answered from the syntax of the program's files:
// a prefilter that keeps questions away from the checker when a name cannot resolve to what a rule looks for.
import { AST_NODE_TYPES, ASTUtils, type ParserServicesWithTypeInformation, type TSESTree } from '@typescript-eslint/utils';
import { Scope } from '@typescript-eslint/utils/ts-eslint';
import type ts from 'typescript';
import { callIdentity, type DeclaredAs } from './symbols.js';
import { typescript } from './typescript.js';

/** [name, the name it leads to], and the names that may lead anywhere (their target is not written). */
interface NameGraph {
  readonly edges: readonly (readonly [string, string])[];
  readonly wildcards: ReadonlySet<string>;
}

const graphs = new WeakMap<ts.Program, NameGraph>();
const closures = new WeakMap<ts.Program, Map<string, ReadonlySet<string>>>();

function graphOf(program: ts.Program): NameGraph {
  const known = graphs.get(program);
  if (known !== undefined) return known;
  const edges: (readonly [string, string])[] = [];
  const wildcards = new Set<string>();
  const visit = (statements: readonly ts.Statement[]): void => {
    for (const statement of statements) {
      if (typescript.isVariableStatement(statement)) {
        for (const declaration of statement.declarationList.declarations) {
          const init = declaration.initializer;
          if (init === undefined || !typescript.isIdentifier(declaration.name)) continue;
          if (typescript.isIdentifier(init)) edges.push([declaration.name.text, init.text]);
          else if (typescript.isPropertyAccessExpression(init)) edges.push([declaration.name.text, init.name.text]);
        }
      } else if (typescript.isExportDeclaration(statement)) {
        const clause = statement.exportClause;
        if (clause === undefined) continue;
        if (typescript.isNamespaceExport(clause)) wildcards.add(clause.name.text);
        else for (const spec of clause.elements) edges.push([spec.name.text, (spec.propertyName ?? spec.name).text]);
      } else if (typescript.isImportDeclaration(statement)) {
        const clause = statement.importClause;
        if (clause === undefined) continue;
        if (clause.name !== undefined) wildcards.add(clause.name.text);
        const bindings = clause.namedBindings;
        if (bindings === undefined) continue;
        if (typescript.isNamespaceImport(bindings)) wildcards.add(bindings.name.text);
        else for (const spec of bindings.elements) edges.push([spec.name.text, (spec.propertyName ?? spec.name).text]);
      } else if (typescript.isImportEqualsDeclaration(statement)) {
        wildcards.add(statement.name.text);
      } else if (typescript.isExportAssignment(statement)) {
        const expression = statement.expression;
        if (typescript.isIdentifier(expression)) edges.push(['default', expression.text]);
        else if (typescript.isPropertyAccessExpression(expression)) edges.push(['default', expression.name.text]);
      } else if (typescript.isModuleDeclaration(statement)) {
        let body = statement.body;
        while (body !== undefined && typescript.isModuleDeclaration(body)) body = body.body;
        if (body !== undefined && typescript.isModuleBlock(body)) visit(body.statements);
      }
    }
  };
  for (const file of program.getSourceFiles()) visit(file.statements);
  const graph = { edges, wildcards };
  graphs.set(program, graph);
  return graph;
}

/**
 * Every name under which `identify` (which follows import/export aliases and `const x = y` / `const x = ns.y`
 * re-bindings) can reach a declaration named one of `own`: `own` itself and the name of every alias or
 * `const` that can lead to one (`export const text2 = result.text`, `export { defineTool as tool }`), to a
 * fixed point over the declarations at the top of every file of the program and of its namespaces. Names
 * are compared, not symbols, so the set is a superset of what really resolves there. Import bindings whose
 * target the syntax does not name (default, namespace, `import x =`) and `export * as ns` are all in it.
 * The program's files are read once; each set of own names is closed once per program.
 */
export function namesLeadingTo(program: ts.Program, own: Iterable<string>): ReadonlySet<string> {
  const names = new Set(own);
  const key = [...names].sort().join(',');
  let byKey = closures.get(program);
  const known = byKey?.get(key);
  if (known !== undefined) return known;
  const { edges, wildcards } = graphOf(program);
  for (const name of wildcards) names.add(name);
  for (let grew = true; grew;) {
    grew = false;
    for (const [name, target] of edges) {
      if (!names.has(name) && names.has(target)) {
        names.add(name);
        grew = true;
      }
    }
  }
  if (byKey === undefined) closures.set(program, (byKey = new Map<string, ReadonlySet<string>>()));
  byKey.set(key, names);
  return names;
}

/**
 * Whether an identifier callee can be identified as a declaration whose name is one of `own` (exact when
 * false). `identify` keeps an identifier's own name unless it follows an alias or a `const` re-binding, so
 * the checker is needed only for: a name in `own`; an import binding whose name can lead there
 * (`namesLeadingTo`); a `const` (or `using`) initialised with a name or a member, which `identify` follows
 * wherever it is declared; and a global (no variable in the file's scopes). Any other local declaration
 * (function, class, parameter, `let`, destructuring) is identified under its own name.
 */
export function calleeMayBeNamed(
  program: ts.Program,
  sourceCode: { getScope(node: TSESTree.Node): Scope.Scope },
  callee: TSESTree.Identifier,
  own: ReadonlySet<string>,
): boolean {
  if (own.has(callee.name)) return true;
  const variable = ASTUtils.findVariable(sourceCode.getScope(callee), callee);
  if (variable === null || variable.defs.length === 0) return true;
  for (const def of variable.defs) {
    if (def.type === Scope.DefinitionType.ImportBinding) {
      if (namesLeadingTo(program, own).has(callee.name)) return true;
    } else if (def.type === Scope.DefinitionType.Variable) {
      const init = def.node.init;
      if (
        def.parent.kind !== 'let' &&
        def.parent.kind !== 'var' &&
        (init?.type === AST_NODE_TYPES.Identifier || init?.type === AST_NODE_TYPES.MemberExpression)
      )
        return true;
    }
  }
  return false;
}

/**
 * `callIdentity` behind the syntactic prefilters: a member callee whose name is not in `members`, and an
 * identifier callee that cannot be identified under one of `members` (`calleeMayBeNamed`), are skipped
 * without the checker. `members` are the last segments of the names looked for (`memberNames`).
 */
export function namedCallIdentity(
  services: ParserServicesWithTypeInformation,
  sourceCode: { getScope(node: TSESTree.Node): Scope.Scope },
  node: TSESTree.CallExpression | TSESTree.NewExpression,
  members: ReadonlySet<string>,
): DeclaredAs | undefined {
  if (node.callee.type === AST_NODE_TYPES.Identifier && !calleeMayBeNamed(services.program, sourceCode, node.callee, members))
    return undefined;
  return callIdentity(services, node, members);
}
