import { RULES } from '../rules/registry.js';
import type { Report } from '../types.js';
import type { FormatOptions } from './common.js';
import { formatReportWith, FORMATS, renderJson, type FormatName } from './light.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderTerminal } from './terminal.js';

export type { FormatOptions } from './common.js';
export type { FormatName } from './light.js';
export { FORMATS, renderHtml, renderJson, renderJunit, renderMarkdown, renderSarif, renderTerminal };

/** Renders the report in `format`. */
export function formatReport(report: Report, format: FormatName, options: FormatOptions = {}): string {
  return formatReportWith(report, format, options, RULES);
}
