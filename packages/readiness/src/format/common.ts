import { isAbsolute, join, relative, sep } from 'node:path';
import type { Report, RuleResult, SourceLocation } from '../types.js';

export interface FormatOptions {
  /** Colour in terminal output (default false). */
  readonly color?: boolean;
  /** Folder terminal paths are shown relative to (default: the agent's folder). */
  readonly cwd?: string;
  /** Folder SARIF artifact URIs are relative to (default: the agent's folder). */
  readonly repoRoot?: string;
  /** The tool's version (SARIF `driver.version`). */
  readonly version?: string;
}

/** A location's file as a path relative to `base` (forward slashes). */
export function pathFrom(report: Report, location: SourceLocation, base: string | undefined): string {
  const absolute = isAbsolute(location.file) ? location.file : join(report.dir, location.file);
  const shown = relative(base ?? report.dir, absolute) || absolute;
  return shown.split(sep).join('/');
}

export const STATUS_LABEL: Readonly<Record<RuleResult['status'], string>> = {
  pass: 'pass',
  fail: 'fail',
  'missing-evidence': 'missing evidence',
  waived: 'waived',
};

/** Results that hold the agent: unwaived blockers that do not pass. */
export const holding = (report: Report): RuleResult[] =>
  report.results.filter((result) => result.severity === 'blocker' && (result.status === 'fail' || result.status === 'missing-evidence'));

/** Warnings that do not pass. */
export const warnings = (report: Report): RuleResult[] =>
  report.results.filter((result) => result.severity === 'warning' && (result.status === 'fail' || result.status === 'missing-evidence'));

/** "3 min", "2 h", "5 d". */
export function age(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const seconds = Math.round(ms / 1000);
  if (seconds < 90) return `${seconds} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return `${minutes} min`;
  const hours = Math.round(minutes / 60);
  if (hours < 36) return `${hours} h`;
  return `${Math.round(hours / 24)} d`;
}

export const percent = (score: number): string => `${Math.round(score * 100)} %`;

export function verdict(report: Report): string {
  return report.ready ? 'ready for production' : 'held in staging';
}
