// The conventions check: every rule over one repository root, violations sorted by file and line.
import { validateCatalogFiles } from './catalog.mjs';
import { checkDependencies, readLayers } from './dependencies.mjs';
import { checkErrorCodes } from './error-codes.mjs';
import { checkReadmes } from './readmes.mjs';
import { discoverWorkspaces } from './workspace.mjs';

/**
 * Checks the repository at `root`.
 * @param {string} root
 * @param {{ layers?: import('./dependencies.mjs').Layer[] }} [options] the layer table (default: scripts/conventions/layers.json)
 * @returns {Promise<{ violations: import('./dependencies.mjs').Violation[]; packages: number }>}
 */
export async function checkConventions(root, options = {}) {
  const workspaces = discoverWorkspaces(root);
  const layers = options.layers ?? readLayers();
  const violations = [
    ...checkDependencies(root, workspaces, layers),
    ...checkReadmes(workspaces),
    ...(await validateCatalogFiles(root)),
    ...checkErrorCodes(root, workspaces),
  ];
  violations.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.rule.localeCompare(b.rule));
  return { violations, packages: workspaces.length };
}

/** One violation as the check prints it: `file:line: message [rule]`. */
export function formatViolation({ file, line, rule, message }) {
  return `${file}:${line}: ${message} [${rule}]`;
}
