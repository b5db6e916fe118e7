// Error codes say what they do: every code of a package's error-code map (`export const …ErrorCode = { … }
// as const` in src/) is listed in its README and thrown or returned somewhere in its src/ (a use of
// `Map.Key` or of the code's string outside the map itself), and every code the README lists (an
// UPPER_SNAKE word with one of the package's code prefixes) is a code of the map.
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';
import { parseSource } from './imports.mjs';
import { isTestOnly, toPosix } from './workspace.mjs';

// An UPPER_SNAKE word of at most 80 characters (bounded, no nested quantifiers: linear time).
const CODE_WORD = /\b[A-Z][A-Z0-9]{0,39}(?:_[A-Z0-9]{1,40}){1,8}\b/g;

/**
 * @typedef {{ map: string; key: string; value: string; file: string; line: number; start: number; end: number }} CodeEntry
 */

/** The error-code maps of one parsed file: entries with their positions. */
function codeMaps(source, file) {
  /** @type {CodeEntry[]} */
  const entries = [];
  /** @type {{ name: string; start: number; end: number }[]} */
  const ranges = [];
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (!ts.isIdentifier(declaration.name) || !declaration.name.text.endsWith('ErrorCode') || !declaration.initializer) continue;
      let initializer = declaration.initializer;
      while (ts.isAsExpression(initializer) || ts.isSatisfiesExpression(initializer) || ts.isParenthesizedExpression(initializer))
        initializer = initializer.expression;
      if (!ts.isObjectLiteralExpression(initializer)) continue;
      const map = declaration.name.text;
      ranges.push({ name: map, start: initializer.getStart(source), end: initializer.getEnd() });
      for (const property of initializer.properties) {
        if (!ts.isPropertyAssignment(property) || !ts.isStringLiteralLike(property.initializer)) continue;
        const key =
          ts.isIdentifier(property.name) || ts.isStringLiteralLike(property.name) ? property.name.text : property.name.getText(source);
        entries.push({
          map,
          key,
          value: property.initializer.text,
          file,
          line: source.getLineAndCharacterOfPosition(property.getStart(source)).line + 1,
          start: initializer.getStart(source),
          end: initializer.getEnd(),
        });
      }
    }
  }
  return { entries, ranges };
}

/**
 * Error-code violations of every workspace.
 * @param {string} root
 * @param {import('./workspace.mjs').Workspace[]} workspaces
 */
export function checkErrorCodes(root, workspaces) {
  /** @type {import('./dependencies.mjs').Violation[]} */
  const violations = [];
  const rel = (path) => toPosix(relative(root, path));
  for (const workspace of workspaces) {
    const parsed = workspace.sources.filter((file) => !isTestOnly(file)).map((file) => ({ file, source: parseSource(file) }));
    /** @type {CodeEntry[]} */
    const entries = [];
    const definitionRanges = new Map();
    for (const { file, source } of parsed) {
      const found = codeMaps(source, file);
      entries.push(...found.entries);
      definitionRanges.set(file, found.ranges);
    }
    if (entries.length === 0) continue;
    const maps = new Set(entries.map((entry) => entry.map));

    // Uses: `Map.Key`, `Map['Key']` (the map imported under any alias) or the code's string, outside the map's own literal.
    const used = new Set();
    for (const { file, source } of parsed) {
      const aliases = new Map([...maps].map((map) => [map, map]));
      for (const statement of source.statements) {
        if (
          !ts.isImportDeclaration(statement) ||
          !statement.importClause?.namedBindings ||
          !ts.isNamedImports(statement.importClause.namedBindings)
        )
          continue;
        for (const element of statement.importClause.namedBindings.elements) {
          const imported = (element.propertyName ?? element.name).text;
          if (maps.has(imported)) aliases.set(element.name.text, imported);
        }
      }
      const inside = definitionRanges.get(file) ?? [];
      const visit = (node) => {
        if (inside.some((range) => node.getStart(source) >= range.start && node.getEnd() <= range.end)) return;
        if (ts.isPropertyAccessExpression(node) && ts.isIdentifier(node.expression) && aliases.has(node.expression.text)) {
          used.add(`${aliases.get(node.expression.text)}.${node.name.text}`);
        } else if (
          ts.isElementAccessExpression(node) &&
          ts.isIdentifier(node.expression) &&
          aliases.has(node.expression.text) &&
          ts.isStringLiteralLike(node.argumentExpression)
        ) {
          used.add(`${aliases.get(node.expression.text)}.${node.argumentExpression.text}`);
        } else if (ts.isStringLiteralLike(node)) {
          used.add(`"${node.text}"`);
        }
        ts.forEachChild(node, visit);
      };
      visit(source);
    }

    // What the README lists.
    const readmePath = join(workspace.dir, 'README.md');
    const readmeFile = `${workspace.rel}/README.md`;
    const prefixes = new Set(entries.map((entry) => entry.value.slice(0, entry.value.indexOf('_') + 1)).filter((prefix) => prefix !== ''));
    const listed = new Map();
    if (existsSync(readmePath)) {
      readFileSync(readmePath, 'utf8')
        .split('\n')
        .forEach((text, index) => {
          for (const [word] of text.matchAll(CODE_WORD)) {
            if ([...prefixes].some((prefix) => word.startsWith(prefix)) && !listed.has(word)) listed.set(word, index + 1);
          }
        });
    }

    const values = new Set(entries.map((entry) => entry.value));
    for (const entry of entries) {
      const where = `${entry.map}.${entry.key}`;
      const inReadme = listed.get(entry.value);
      if (inReadme === undefined) {
        violations.push({
          file: rel(entry.file),
          line: entry.line,
          rule: 'error-code-unlisted',
          message: `${entry.value} (${where}) is not listed in ${readmeFile}: add it to the README's errors with when it is thrown`,
        });
      }
      if (!used.has(where) && !used.has(`"${entry.value}"`)) {
        violations.push({
          file: rel(entry.file),
          line: entry.line,
          rule: 'error-code-unthrown',
          message: `${entry.value} (${where})${inReadme === undefined ? '' : `, listed at ${readmeFile}:${inReadme},`} is never thrown or returned by ${workspace.rel}/src: throw it where it belongs, or remove it from the map and the README`,
        });
      }
    }
    for (const [word, line] of listed) {
      if (values.has(word)) continue;
      violations.push({
        file: readmeFile,
        line,
        rule: 'error-code-unknown',
        message: `${word} is listed as an error code, but no error-code map of ${workspace.rel}/src defines it (${[...maps].join(', ')}): fix the README or the map`,
      });
    }
  }
  return violations;
}
