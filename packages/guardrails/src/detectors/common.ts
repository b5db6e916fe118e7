import type { GuardrailAction, RedactionMode, Severity } from '../types.js';

/** What a detector reports for one span; the engine adds detector, action and path. */
export interface Hit {
  readonly ruleId: string;
  readonly entity?: string;
  readonly severity: Severity;
  readonly start: number;
  readonly end: number;
  readonly message: string;
  readonly score?: number;
  readonly redaction?: RedactionMode | 'remove';
}

export type Sink = (hit: Hit) => void;

/** A string being scanned, with its lower-case form computed at most once (for keyword prefilters only). */
export class TextView {
  private lowered: string | undefined;
  constructor(readonly text: string) {}
  /** Lower-case copy for keyword presence tests. Never use its offsets: lower-casing may change length. */
  get lower(): string {
    this.lowered ??= this.text.toLowerCase();
    return this.lowered;
  }
}

/** A compiled synchronous detector. */
export interface Detector {
  readonly name: 'pii' | 'secrets' | 'injection' | 'keywords' | 'canary' | 'length';
  readonly action: GuardrailAction;
  /** Scans one string; `extra` carries per-run facts (canary tokens). */
  scan(view: TextView, sink: Sink, extra?: ScanExtra): void;
}

export interface ScanExtra {
  readonly canaries?: readonly string[];
}

/** Escapes a literal for use inside a RegExp. */
export function escapeRegExp(text: string): string {
  return text.replace(/[$()*+.?[\\\]^{|}-]/g, '\\$&');
}

/** Shannon entropy in bits per character. */
export function shannonEntropy(text: string): number {
  if (text.length === 0) return 0;
  const counts = new Map<number, number>();
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  let entropy = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    entropy -= p * Math.log2(p);
  }
  return entropy;
}

/**
 * A prefilter over lower-case keywords: one alternation regex (longest first), and for each keyword
 * the payload of every keyword it contains, so a longer match never hides a shorter one.
 */
export class KeywordIndex<T> {
  private readonly regex: RegExp | undefined;
  private readonly payloads = new Map<string, T[]>();
  /** How far to move after a match: the first offset inside it where another keyword could begin. */
  private readonly advance = new Map<string, number>();

  constructor(entries: readonly (readonly [keyword: string, payload: T])[]) {
    const byKeyword = new Map<string, T[]>();
    for (const [keyword, payload] of entries) {
      const list = byKeyword.get(keyword) ?? [];
      list.push(payload);
      byKeyword.set(keyword, list);
    }
    const keywords = [...byKeyword.keys()].sort((a, b) => b.length - a.length || (a < b ? -1 : 1));
    for (const keyword of keywords) {
      const closure: T[] = [];
      for (const other of keywords) if (keyword.includes(other)) closure.push(...(byKeyword.get(other) ?? []));
      this.payloads.set(keyword, closure);
      let step = keyword.length;
      for (let d = 1; d < keyword.length && step === keyword.length; d++) {
        const tail = keyword.slice(d);
        if (keywords.some((other) => other !== keyword && other.length > tail.length && other.startsWith(tail))) step = d;
      }
      this.advance.set(keyword, step);
    }
    // Alternation of escaped literals: linear (each attempt compares bounded literals).
    this.regex = keywords.length > 0 ? new RegExp(keywords.map(escapeRegExp).join('|'), 'g') : undefined;
  }

  /** Calls `found` with the payloads of every keyword present in `lower` (may repeat payloads); true when any was. */
  scan(lower: string, found: (payload: T) => void): boolean {
    const regex = this.regex;
    if (!regex) return false;
    regex.lastIndex = 0;
    let any = false;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(lower)) !== null) {
      for (const payload of this.payloads.get(match[0]) ?? []) found(payload);
      any = true;
      regex.lastIndex = match.index + (this.advance.get(match[0]) ?? 1);
    }
    return any;
  }
}
