// What a TypeScript file imports, read from its syntax tree (TypeScript's own parser: comments, strings
// and multi-line imports cannot fool it). Every module reference is recorded with its line and whether
// it exists at run time:
//   import … from 'x' / import 'x' / export … from 'x'        static (type-only with `import type` / `export type`)
//   import('x') with a literal                               dynamic
//   require('x'), require.resolve('x') with a literal        require (createRequire)
//   typeof import('x'), import('x').T                         type-only
// `import { type A } from 'x'` stays a runtime import: under `verbatimModuleSyntax` the statement is
// emitted (as `import {} from 'x'`), so the module is loaded.
// Files that create a `require` (createRequire) sometimes pass a module path through a helper
// (`load('semver/functions/valid.js')`); a string literal of the form `<declared dependency>/…` given to
// a call in such a file is recorded as an `indirect` runtime use of that dependency.
import { builtinModules } from 'node:module';
import { readFileSync } from 'node:fs';
import ts from 'typescript';

/**
 * @typedef {object} ModuleReference
 * @property {string} specifier as written
 * @property {number} line 1-based
 * @property {boolean} typeOnly whether the reference is erased at compile time
 * @property {'static' | 'dynamic' | 'require' | 'indirect' | 'type'} how
 * @property {boolean} [api] for a type-only reference: whether its types appear in a declaration the file
 *   exports (outside function bodies), so the published `.d.ts` imports the package too
 */

const BUILTINS = new Set(builtinModules);

/** Whether `specifier` names a Node.js built-in module. */
export function isBuiltin(specifier) {
  return specifier.startsWith('node:') || BUILTINS.has(specifier.split('/')[0] ?? specifier);
}

/** Whether `specifier` is relative or absolute (a file of the same package), not a package. */
export function isRelative(specifier) {
  return specifier.startsWith('.') || specifier.startsWith('/');
}

/** The package a bare specifier names: `@scope/name/sub` → `@scope/name`, `name/sub` → `name`. */
export function packageOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

// A bare module specifier: an optional scope, a package name, an optional subpath. Bounded classes, no nesting.
const BARE_SPECIFIER = /^(?:@[a-z0-9][\w.-]{0,213}\/)?[a-z0-9][\w.-]{0,213}(?:\/[\w.\-/]{1,256})?$/;

const parsed = new Map();

/** The syntax tree of a TypeScript file (parsed once while its text stays the same). */
export function parseSource(file) {
  const text = readFileSync(file, 'utf8');
  const cached = parsed.get(file);
  if (cached?.text === text) return cached.source;
  const kind = file.endsWith('x') ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, kind);
  parsed.set(file, { text, source });
  return source;
}

/** Every module reference in `file` (TypeScript). */
export function readImports(file) {
  const source = parseSource(file);
  /** @type {ModuleReference[]} */
  const found = [];
  /** @type {{ specifier: string; line: number }[]} */
  const literalArguments = [];
  let createsRequire = false;
  const lineOf = (node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const exportedNames = locallyExportedNames(source);
  /** type-only imports whose local names must be looked up in exported declarations */
  const typeImports = [];
  const add = (literal, typeOnly, how, api) => {
    if (!literal || !ts.isStringLiteralLike(literal)) return undefined;
    const reference = { specifier: literal.text, line: lineOf(literal), typeOnly, how };
    if (typeOnly) reference.api = api ?? false;
    found.push(reference);
    return reference;
  };
  const visit = (node) => {
    if (ts.isImportDeclaration(node)) {
      const clause = node.importClause;
      const typeOnly = clause?.isTypeOnly === true;
      const reference = add(node.moduleSpecifier, typeOnly, typeOnly ? 'type' : 'static');
      if (reference && typeOnly && clause) {
        const names = new Set();
        if (clause.name) names.add(clause.name.text);
        const bindings = clause.namedBindings;
        if (bindings && ts.isNamespaceImport(bindings)) names.add(bindings.name.text);
        if (bindings && ts.isNamedImports(bindings)) for (const element of bindings.elements) names.add(element.name.text);
        typeImports.push({ reference, names });
      }
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier) {
      add(node.moduleSpecifier, node.isTypeOnly, node.isTypeOnly ? 'type' : 'static', true);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression, node.isTypeOnly, node.isTypeOnly ? 'type' : 'require');
    } else if (ts.isImportTypeNode(node)) {
      const argument = node.argument;
      if (ts.isLiteralTypeNode(argument)) add(argument.literal, true, 'type', inExportedDeclaration(node, exportedNames));
    } else if (ts.isCallExpression(node)) {
      const [first] = node.arguments;
      const callee = node.expression;
      if (callee.kind === ts.SyntaxKind.ImportKeyword) add(first, false, 'dynamic');
      else if (ts.isIdentifier(callee) && callee.text === 'require') add(first, false, 'require');
      else if (
        ts.isPropertyAccessExpression(callee) &&
        ts.isIdentifier(callee.expression) &&
        callee.expression.text === 'require' &&
        callee.name.text === 'resolve'
      )
        add(first, false, 'require');
      else if (first && ts.isStringLiteralLike(first) && BARE_SPECIFIER.test(first.text) && first.text.includes('/'))
        literalArguments.push({ specifier: first.text, line: lineOf(first) });
      if (ts.isIdentifier(callee) && callee.text === 'createRequire') createsRequire = true;
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  if (typeImports.length > 0) {
    const visitNames = (node) => {
      if (ts.isImportDeclaration(node)) return;
      if (ts.isIdentifier(node)) {
        for (const { reference, names } of typeImports)
          if (!reference.api && names.has(node.text) && inExportedDeclaration(node, exportedNames)) reference.api = true;
      }
      ts.forEachChild(node, visitNames);
    };
    visitNames(source);
  }
  if (createsRequire) for (const { specifier, line } of literalArguments) found.push({ specifier, line, typeOnly: false, how: 'indirect' });
  return found;
}

/** Names of top-level declarations a file exports by an `export { a, b }` list. */
function locallyExportedNames(source) {
  const names = new Set();
  for (const statement of source.statements) {
    if (
      !ts.isExportDeclaration(statement) ||
      statement.moduleSpecifier ||
      !statement.exportClause ||
      !ts.isNamedExports(statement.exportClause)
    )
      continue;
    for (const element of statement.exportClause.elements) names.add((element.propertyName ?? element.name).text);
  }
  return names;
}

/** The name a top-level declaration statement declares, if one. */
function declaredName(statement) {
  if (ts.isVariableStatement(statement)) {
    const [first] = statement.declarationList.declarations;
    return first && ts.isIdentifier(first.name) ? first.name.text : undefined;
  }
  return statement.name && ts.isIdentifier(statement.name) ? statement.name.text : undefined;
}

/**
 * Whether `node` sits in the signature of a declaration the file exports — an `export` statement or a
 * top-level declaration named in an `export { … }` list — and not inside a function body or initializer,
 * so the emitted `.d.ts` keeps it.
 */
function inExportedDeclaration(node, exportedNames) {
  let current = node;
  while (current.parent) {
    const parent = current.parent;
    if (ts.isSourceFile(parent)) {
      if (ts.isExportAssignment(current)) return true;
      const modifiers = ts.canHaveModifiers(current) ? (ts.getModifiers(current) ?? []) : [];
      if (modifiers.some((modifier) => modifier.kind === ts.SyntaxKind.ExportKeyword)) return true;
      const name = declaredName(current);
      return name !== undefined && exportedNames.has(name);
    }
    if (ts.isBlock(current) && ts.isFunctionLike(parent)) return false;
    if ((ts.isVariableDeclaration(parent) || ts.isPropertyDeclaration(parent)) && parent.initializer === current) return false;
    if (ts.isArrowFunction(parent) && parent.body === current) return false;
    current = parent;
  }
  return false;
}
