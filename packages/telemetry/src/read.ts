import { readFileSync } from 'node:fs';
import { TelemetryError, TelemetryErrorCode } from './errors.js';
import { TelemetryEvent } from './events.js';

/** A line of an event log that is not a valid event. */
export interface EventIssue {
  /** 1-based line number. */
  readonly line: number;
  /** Dotted path inside the event, empty for the whole line. */
  readonly path: string;
  readonly message: string;
}

export interface ReadEventsResult {
  readonly value: TelemetryEvent[];
  readonly issues: EventIssue[];
}

/**
 * Parses and validates JSONL events (the JSONL sink's output). Valid lines are returned, invalid ones
 * reported with their line number; blank lines are skipped. Never throws for bad content.
 */
export function parseEvents(text: string): ReadEventsResult {
  const value: TelemetryEvent[] = [];
  const issues: EventIssue[] = [];
  const lines = text.split('\n');
  lines.forEach((raw, i) => {
    const line = raw.trim();
    if (line.length === 0) return;
    let json: unknown;
    try {
      json = JSON.parse(line) as unknown;
    } catch (error) {
      issues.push({ line: i + 1, path: '', message: `not JSON: ${(error as Error).message}` });
      return;
    }
    const parsed = TelemetryEvent.safeParse(json);
    if (parsed.success) value.push(parsed.data);
    else for (const issue of parsed.error.issues) issues.push({ line: i + 1, path: issue.path.join('.'), message: issue.message });
  });
  return { value, issues };
}

/** Reads a JSONL event file with `parseEvents`; an unreadable file is one issue on line 0. */
export function readEvents(path: string): ReadEventsResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return { value: [], issues: [{ line: 0, path: '', message: `cannot read ${path}: ${(error as Error).message}` }] };
  }
  return parseEvents(text);
}

/**
 * Reads a JSONL event log and refuses it whole when any line is bad: an unreadable file is a
 * `TELEMETRY_EVENTS_UNREADABLE` error, a line that is not JSON or not a valid event a
 * `TELEMETRY_EVENTS_INVALID` error whose message starts with `<file>:<line>` (the first bad line, and
 * how many more there are). For tools that must not draw conclusions from part of a log (`charter profile`).
 */
export function loadEvents(path: string): TelemetryEvent[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TelemetryError(
      TelemetryErrorCode.EventsUnreadable,
      `cannot read the event log ${path} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}): check the path`,
      { cause: error },
    );
  }
  const { value, issues } = parseEvents(text);
  const first = issues[0];
  if (first !== undefined) {
    const lines = new Set(issues.map((issue) => issue.line)).size;
    throw new TelemetryError(
      TelemetryErrorCode.EventsInvalid,
      `${path}:${first.line}: ${first.path === '' ? '' : `${first.path}: `}${first.message}${lines > 1 ? ` (and ${lines - 1} more bad line(s))` : ''}: fix or remove the line (events are JSONL written by @charter/telemetry's JSONL sink)`,
    );
  }
  return value;
}
