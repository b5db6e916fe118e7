// Resolves a list of tools handed to a registration call to their names, across files, through the
// TypeScript AST: array literals, spreads, `const` variables, shorthand properties and `defineTool`
// calls with a literal name. Anything else makes the list unresolvable (and the check is skipped).
import type ts from 'typescript';
import { identify, TOOLS_PKG } from './symbols.js';
import { typescript } from './typescript.js';

const MAX_DEPTH = 12;

function strip(node: ts.Node): ts.Node {
  let current = node;
  while (
    typescript.isParenthesizedExpression(current) ||
    typescript.isAsExpression(current) ||
    typescript.isSatisfiesExpression(current) ||
    typescript.isNonNullExpression(current)
  )
    current = current.expression;
  return current;
}

function valueDeclarationOf(checker: ts.TypeChecker, node: ts.Node): ts.Expression | undefined {
  const nameNode = typescript.isPropertyAccessExpression(node) ? node.name : node;
  let symbol = checker.getSymbolAtLocation(nameNode);
  if (symbol === undefined) return undefined;
  if ((symbol.flags & typescript.SymbolFlags.Alias) !== 0) symbol = checker.getAliasedSymbol(symbol);
  const declaration = symbol.valueDeclaration ?? symbol.declarations?.[0];
  if (declaration === undefined) return undefined;
  if (typescript.isVariableDeclaration(declaration)) {
    const list = declaration.parent;
    const isConst = typescript.isVariableDeclarationList(list) && (list.flags & typescript.NodeFlags.Const) !== 0;
    return isConst && typescript.isIdentifier(declaration.name) ? declaration.initializer : undefined;
  }
  if (typescript.isPropertyAssignment(declaration)) return declaration.initializer;
  if (typescript.isShorthandPropertyAssignment(declaration)) {
    const value = checker.getShorthandAssignmentValueSymbol(declaration);
    const inner = value?.valueDeclaration;
    if (
      inner !== undefined &&
      typescript.isVariableDeclaration(inner) &&
      typescript.isVariableDeclarationList(inner.parent) &&
      (inner.parent.flags & typescript.NodeFlags.Const) !== 0
    )
      return inner.initializer;
  }
  return undefined;
}

/** The name of one tool expression, or undefined. */
export function resolveToolName(checker: ts.TypeChecker, node: ts.Node, depth = 0): string | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const expr = strip(node);
  if (typescript.isCallExpression(expr)) {
    const callee = strip(expr.expression);
    const target = typescript.isPropertyAccessExpression(callee) ? callee.name : callee;
    const id = identify(checker, checker.getSymbolAtLocation(target));
    if (id?.pkg !== TOOLS_PKG || id.name !== 'defineTool') return undefined;
    const argument = expr.arguments[0];
    if (argument === undefined) return undefined;
    const object = strip(argument);
    const literal = typescript.isObjectLiteralExpression(object)
      ? object
      : typescript.isIdentifier(object)
        ? valueDeclarationOf(checker, object)
        : undefined;
    if (literal === undefined || !typescript.isObjectLiteralExpression(strip(literal))) return undefined;
    for (const property of (strip(literal) as ts.ObjectLiteralExpression).properties) {
      if (typescript.isPropertyAssignment(property) && typescript.isIdentifier(property.name) && property.name.text === 'name') {
        const value = strip(property.initializer);
        if (typescript.isStringLiteral(value) || typescript.isNoSubstitutionTemplateLiteral(value)) return value.text;
        const type = checker.getTypeAtLocation(value);
        return type.isStringLiteral() ? type.value : undefined;
      }
    }
    return undefined;
  }
  if (typescript.isIdentifier(expr) || typescript.isPropertyAccessExpression(expr)) {
    const init = valueDeclarationOf(checker, expr);
    return init === undefined ? undefined : resolveToolName(checker, init, depth + 1);
  }
  return undefined;
}

/** The names of a tool list, or undefined when any element cannot be resolved statically. */
export function resolveToolList(checker: ts.TypeChecker, node: ts.Node, depth = 0): string[] | undefined {
  if (depth > MAX_DEPTH) return undefined;
  const expr = strip(node);
  if (typescript.isArrayLiteralExpression(expr)) {
    const names: string[] = [];
    for (const element of expr.elements) {
      if (typescript.isSpreadElement(element)) {
        const inner = resolveToolList(checker, element.expression, depth + 1);
        if (inner === undefined) return undefined;
        names.push(...inner);
      } else {
        const name = resolveToolName(checker, element, depth + 1);
        if (name === undefined) return undefined;
        names.push(name);
      }
    }
    return names;
  }
  if (typescript.isIdentifier(expr) || typescript.isPropertyAccessExpression(expr)) {
    const init = valueDeclarationOf(checker, expr);
    return init === undefined ? undefined : resolveToolList(checker, init, depth + 1);
  }
  return undefined;
}
