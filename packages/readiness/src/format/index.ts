import type { Report } from '../types.js';
import type { FormatOptions } from './common.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSarif } from './sarif.js';
import { renderTerminal } from './terminal.js';

export type { FormatOptions } from './common.js';
export { renderHtml, renderJunit, renderMarkdown, renderSarif, renderTerminal };

/** The report as JSON (the `Report` shape, `format: charter.readiness`, `v: 1`). */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

/** Every output format `formatReport` (and `charter check --format`) knows. */
export const FORMATS = ['text', 'json', 'sarif', 'markdown', 'junit', 'html'] as const;
export type FormatName = (typeof FORMATS)[number];

/** Renders the report in `format`. */
export function formatReport(report: Report, format: FormatName, options: FormatOptions = {}): string {
  switch (format) {
    case 'text':
      return renderTerminal(report, options);
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report, options);
    case 'markdown':
      return renderMarkdown(report, options);
    case 'junit':
      return renderJunit(report, options);
    case 'html':
      return renderHtml(report, options);
  }
}
