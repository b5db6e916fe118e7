import { AST_NODE_TYPES, ASTUtils, type TSESTree } from '@typescript-eslint/utils';
import { Scope } from '@typescript-eslint/utils/ts-eslint';

/** Strips `as`, `satisfies`, `!` and `<T>` wrappers. */
export function unwrap(node: TSESTree.Node): TSESTree.Node {
  let current = node;
  for (;;) {
    switch (current.type) {
      case AST_NODE_TYPES.TSAsExpression:
      case AST_NODE_TYPES.TSSatisfiesExpression:
      case AST_NODE_TYPES.TSNonNullExpression:
      case AST_NODE_TYPES.TSTypeAssertion:
        current = current.expression;
        break;
      case AST_NODE_TYPES.ChainExpression:
        current = current.expression;
        break;
      default:
        return current;
    }
  }
}

/** The static name of a property key (`a`, `'a'`, `[`a`]`), or undefined when computed from a variable. */
export function keyName(property: TSESTree.Property | TSESTree.MethodDefinition | TSESTree.PropertyDefinition): string | undefined {
  const key = property.key;
  if (!property.computed && key.type === AST_NODE_TYPES.Identifier) return key.name;
  if (key.type === AST_NODE_TYPES.Literal && (typeof key.value === 'string' || typeof key.value === 'number')) return String(key.value);
  if (key.type === AST_NODE_TYPES.TemplateLiteral && key.expressions.length === 0) return key.quasis[0]?.value.cooked ?? undefined;
  return undefined;
}

/** The last property `name` written directly in an object literal (later ones win, as at runtime). */
export function findProperty(object: TSESTree.ObjectExpression, name: string): TSESTree.Property | undefined {
  let found: TSESTree.Property | undefined;
  for (const property of object.properties) {
    if (property.type === AST_NODE_TYPES.Property && keyName(property) === name) found = property;
  }
  return found;
}

/** Whether an object literal has a spread (its keys are then only known through types). */
export function hasSpread(object: TSESTree.ObjectExpression): boolean {
  return object.properties.some((p) => p.type === AST_NODE_TYPES.SpreadElement);
}

/** The object literal an expression is, or the `const` it names was initialised with. */
export function objectLiteralOf(node: TSESTree.Node | undefined, scope: Scope.Scope): TSESTree.ObjectExpression | undefined {
  if (node === undefined) return undefined;
  const inner = unwrap(node);
  if (inner.type === AST_NODE_TYPES.ObjectExpression) return inner;
  if (inner.type === AST_NODE_TYPES.Identifier) {
    const init = constInit(inner, scope);
    if (init !== undefined) {
      const value = unwrap(init);
      if (value.type === AST_NODE_TYPES.ObjectExpression) return value;
    }
  }
  return undefined;
}

/** The initialiser of a variable never reassigned (`const`, or `let` written once), if the identifier names one. */
export function constInit(identifier: TSESTree.Identifier, scope: Scope.Scope): TSESTree.Expression | undefined {
  const variable = ASTUtils.findVariable(scope, identifier);
  const def = variable?.defs[0];
  if (variable === null || def?.type !== Scope.DefinitionType.Variable) return undefined;
  const declarator = def.node;
  if (declarator.id.type !== AST_NODE_TYPES.Identifier || declarator.init === null) return undefined;
  const writes = variable.references.filter((r) => r.isWrite()).length;
  if (writes > 1) return undefined;
  return declarator.init;
}

/** A statically known value (literal, constant, `Infinity`, `Number.MAX_SAFE_INTEGER`, simple arithmetic). */
export function staticValue(node: TSESTree.Node, scope: Scope.Scope): { value: unknown } | undefined {
  const result = ASTUtils.getStaticValue(node, scope);
  return result === null ? undefined : { value: result.value };
}

/** The expressions a function returns: the body of an arrow, or every `return` argument of a block body (not nested functions). */
export function returnedExpressions(fn: TSESTree.ArrowFunctionExpression | TSESTree.FunctionExpression): TSESTree.Expression[] {
  if (fn.body.type !== AST_NODE_TYPES.BlockStatement) return [fn.body];
  const out: TSESTree.Expression[] = [];
  const visit = (node: TSESTree.Node): void => {
    switch (node.type) {
      case AST_NODE_TYPES.ReturnStatement:
        if (node.argument !== null) out.push(node.argument);
        return;
      case AST_NODE_TYPES.FunctionDeclaration:
      case AST_NODE_TYPES.FunctionExpression:
      case AST_NODE_TYPES.ArrowFunctionExpression:
        return;
      case AST_NODE_TYPES.BlockStatement:
        node.body.forEach(visit);
        return;
      case AST_NODE_TYPES.IfStatement:
        visit(node.consequent);
        if (node.alternate !== null) visit(node.alternate);
        return;
      default:
        return;
    }
  };
  visit(fn.body);
  return out;
}
