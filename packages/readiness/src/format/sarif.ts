import { RULES } from '../rules/registry.js';
import type { Report } from '../types.js';
import type { FormatOptions } from './common.js';
import { renderSarifWith } from './sarif-log.js';

/**
 * SARIF 2.1.0: one run, the registry as `tool.driver.rules`, one result per rule that does not pass
 * (failing and missing-evidence at the rule's severity: blocker → error, warning → warning; waived ones
 * carry an accepted external suppression), located at the manifest, policy or source line it concerns,
 * relative to `repoRoot` (`%SRCROOT%`), so code scanning annotates the lines.
 */
export function renderSarif(report: Report, options: FormatOptions = {}): string {
  return renderSarifWith(report, options, RULES);
}
