import { readFileSync } from 'node:fs';
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
