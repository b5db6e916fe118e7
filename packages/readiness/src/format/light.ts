import type { Report } from '../types.js';
import type { FormatOptions } from './common.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarifWith, type SarifRule } from './sarif-log.js';
import { renderTerminal } from './terminal.js';

// The renderers without the rule registry (which loads @charter/spec, guardrails and telemetry): what a
// result-cache hit renders with, the registry's text for SARIF coming from the cache.

/** The report as JSON (the `Report` shape, `format: charter.readiness`, `v: 1`). */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Every output format `formatReport` (and `charter check --format`) knows. */
export const FORMATS = ['text', 'json', 'sarif', 'markdown', 'junit', 'html'] as const;
export type FormatName = (typeof FORMATS)[number];

/** Renders the report in `format`; `rules` is what SARIF lists as the tool's rules (the registry's text). */
export function formatReportWith(report: Report, format: FormatName, options: FormatOptions, rules: readonly SarifRule[]): string {
  switch (format) {
    case 'text':
      return renderTerminal(report, options);
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarifWith(report, options, rules);
    case 'markdown':
      return renderMarkdown(report, options);
    case 'junit':
      return renderJunit(report, options);
    case 'html':
      return renderHtml(report, options);
  }
}
