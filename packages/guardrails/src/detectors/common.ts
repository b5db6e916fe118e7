import type { GuardrailAction, RedactionMode, Severity } from '../types.js';
import type { KeywordHits, KeywordScanner } from './keyword-scanner.js';

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
  private hitsOf: KeywordScanner | undefined;
  private hits: KeywordHits | undefined;
  constructor(readonly text: string) {}
  /** Lower-case copy for keyword presence tests. Never use its offsets: lower-casing may change length. */
  get lower(): string {
    this.lowered ??= this.text.toLowerCase();
    return this.lowered;
  }
  /**
   * Which payloads of `scanner` have a keyword in the lower-case text (test with `hasPayload`), or
   * undefined when none has. Computed once per view for the last scanner asked, so detectors sharing a
   * scanner share one pass over the text.
   */
  keywordHits(scanner: KeywordScanner): KeywordHits | undefined {
    if (this.hitsOf !== scanner) {
      this.hits = scanner.find(this.lower);
      this.hitsOf = scanner;
    }
    return this.hits;
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
