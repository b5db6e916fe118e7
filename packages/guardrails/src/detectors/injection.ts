import { Buffer } from 'node:buffer';
import type { GuardrailAction } from '../types.js';
import { TextView, type Detector, type Sink } from './common.js';
import { injectionRules, type InjectionRule, type InjectionSignal } from './injection-rules.js';
import { builtinKeywords, INJECTION_BASE } from './prefilter.js';
import { hasPayload } from './keyword-scanner.js';
import { analyseStructure, type InjectionOrigin } from './injection-structure.js';

export { injectionRules } from './injection-rules.js';
export type { InjectionRule, InjectionSignal } from './injection-rules.js';
export type { InjectionOrigin } from './injection-structure.js';

// Zero-width characters, bidi controls and Unicode tag characters (U+E0000-E007F as surrogate pairs).
// eslint-disable-next-line no-misleading-character-class -- the zero-width joiner is listed on purpose: it is what we look for
const HIDDEN = /[\u200B\u200C\u200D\u2060\u2061\u2062\u2063\u2064\uFEFF\u202A-\u202E\u2066-\u2069]|\uDB40[\uDC00-\uDC7F]/g;
const HTML_COMMENT_BODY =
  /\b(?:ignore|instructions?|assistant|system|you\s{1,3}must|do\s{1,3}not\s{1,3}(?:tell|mention|reveal)|tool|call|send|email|ai|model)\b/i;
// Neither the alt text nor the URL may contain another `![`, so no scan crosses the next start: linear.
const MARKDOWN_IMAGE = /!\[[^[\]\n]{0,256}\]\(\s{0,4}(?:https?:)?\/\/[^\s!)]{1,2048}\)/g;
const BASE64_ALPHABET = new Uint8Array(128);
for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_=') BASE64_ALPHABET[char.charCodeAt(0)] = 1;
const HEX_ONLY = /^[0-9a-f]{1,4096}$/i;
const MIN_ENCODED = 24;
const MAX_DECODED_RUNS = 16;

export interface InjectionOptions {
  readonly action: GuardrailAction;
  readonly threshold: number;
  readonly decode: boolean;
  readonly id?: string | undefined;
  /**
   * Who wrote the scanned text: `user` (the `input` hook: addressing the assistant and asking it to act is
   * normal there) or `content` (tool results and everything else that should be data). Default `content`.
   */
  readonly origin?: InjectionOrigin | undefined;
}

/** Context kinds: they add to a strong signal or to an address to an AI, and alone never exceed `CONTEXT_CAP`. */
const CONTEXT_KINDS: ReadonlySet<InjectionSignal> = new Set<InjectionSignal>([
  'addressee',
  'control-waived',
  'authority-claim',
  'secrecy',
  'tool-intent',
  'forged-transcript',
  'obfuscation',
  'template-mention',
]);
/** The highest score context signals reach without a strong signal or an addressee. */
export const CONTEXT_CAP = 0.2;
/** Weight of an authority claim made to an AI ("important message from the owner to the assistant"). */
export const SPOOFED_AUTHORITY_WEIGHT = 0.5;
/** Factor on a signal quoted inside a text that discusses attacks ("attackers write 'ignore previous instructions'"). */
export const QUOTED_DISCUSSION_FACTOR = 0.4;
const QUOTES = new Set([34, 0x201c, 0x201d, 0xab, 0xbb, 0x201e, 0x300c, 0x300d, 39, 0x2018, 0x2019]);

/** True when [start, end) sits between quotation marks on its line (looks at most 160 characters each way). */
export function quotedSpan(text: string, start: number, end: number): boolean {
  let open = false;
  for (let i = start - 1; i >= 0 && start - i <= 160; i--) {
    const c = text.charCodeAt(i);
    if (c === 10) break;
    if (QUOTES.has(c)) {
      const before = i > 0 ? text.charCodeAt(i - 1) : 32;
      // An apostrophe between letters ("don't") is not a quotation mark.
      if ((c === 39 || c === 0x2019) && /\p{L}/u.test(String.fromCharCode(before)) && /\p{L}/u.test(text.charAt(i + 1))) continue;
      open = true;
      break;
    }
  }
  if (!open) return false;
  for (let i = end; i < text.length && i - end <= 160; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) return false;
    if (QUOTES.has(c)) {
      if ((c === 39 || c === 0x2019) && /\p{L}/u.test(text.charAt(i - 1)) && /\p{L}/u.test(text.charAt(i + 1))) continue;
      return true;
    }
  }
  return false;
}

interface Signal {
  readonly ruleId: string;
  readonly signal: InjectionSignal;
  readonly weight: number;
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

interface CompiledInjectionRule {
  readonly rule: InjectionRule;
  readonly regex: RegExp;
  /** Payload id of the rule in the shared built-in keyword scanner. */
  readonly payload: number;
}

/** Finds runs of at least `min` base64/hex alphabet characters with a skip search (reads ~1 in 4 characters of prose). */
export function encodedRuns(text: string, min: number, limit: number): [number, number][] {
  const runs: [number, number][] = [];
  const n = text.length;
  const inAlphabet = (i: number): boolean => {
    const code = text.charCodeAt(i);
    return code < 128 && BASE64_ALPHABET[code] === 1;
  };
  let i = 0;
  while (i + min <= n && runs.length < limit) {
    if (!inAlphabet(i + min - 1)) {
      i += min;
      continue;
    }
    let j = i + min - 2;
    while (j >= i && inAlphabet(j)) j--;
    if (j >= i) {
      i = j + 1;
      continue;
    }
    let end = i + min;
    while (end < n && inAlphabet(end)) end++;
    runs.push([i, end]);
    i = end + 1;
  }
  return runs;
}

/** Decodes a base64 or hex run to text when it decodes to mostly printable characters. */
export function decodeRun(run: string): string | undefined {
  const slice = run.length > 8192 ? run.slice(0, 8192) : run;
  let decoded: string;
  if (slice.length % 2 === 0 && HEX_ONLY.test(slice)) decoded = Buffer.from(slice, 'hex').toString('utf8');
  else
    decoded = Buffer.from(
      slice.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/')),
      'base64',
    ).toString('utf8');
  if (decoded.length === 0) return undefined;
  let printable = 0;
  for (let i = 0; i < decoded.length; i++) {
    const code = decoded.charCodeAt(i);
    if ((code >= 32 && code < 127) || code === 10 || code === 13 || code === 9 || (code >= 160 && code !== 0xfffd)) printable++;
  }
  return printable / decoded.length >= 0.9 ? decoded : undefined;
}

/** Compiles the prompt-injection detector: phrase rules, hidden content, exfiltration images, encoded payloads. */
export function compileInjection(options: InjectionOptions): Detector {
  const prefix = options.id ?? 'injection';
  const origin: InjectionOrigin = options.origin ?? 'content';
  const compiled: CompiledInjectionRule[] = injectionRules.map((rule, i) => ({
    rule,
    regex: new RegExp(rule.regex.source, rule.regex.flags),
    payload: INJECTION_BASE + i,
  }));
  const keywords = builtinKeywords();

  const phraseSignals = (view: TextView, out: Signal[], offset: number, end: number): void => {
    const candidates = view.keywordHits(keywords);
    if (!candidates) return;
    const text = view.text;
    for (const c of compiled) {
      if (!hasPayload(candidates, c.payload)) continue;
      c.regex.lastIndex = 0;
      let match: RegExpExecArray | null;
      let count = 0;
      while ((match = c.regex.exec(text)) !== null && count < 16) {
        count++;
        out.push({
          ruleId: `${prefix}.${c.rule.signal}`,
          signal: c.rule.signal,
          weight: c.rule.weight,
          start: offset < 0 ? match.index : offset,
          end: offset < 0 ? match.index + match[0].length : end,
          message: `${c.rule.signal.replaceAll('-', ' ')}: "${match[0].length > 80 ? `${match[0].slice(0, 77)}...` : match[0]}"`,
        });
      }
    }
  };

  const hiddenSignals = (text: string, out: Signal[]): void => {
    HIDDEN.lastIndex = 0;
    let match: RegExpExecArray | null;
    let tags = 0;
    let tagStart = -1;
    let tagEnd = -1;
    let invisible = 0;
    let invisibleStart = -1;
    let invisibleEnd = -1;
    while ((match = HIDDEN.exec(text)) !== null) {
      const at = match.index;
      if (match[0].length === 2) {
        // Tag characters also build subdivision flags (U+1F3F4 followed by tags): those are emoji.
        if (tagStart === -1 && text.charCodeAt(at - 1) === 0xdff4 && text.charCodeAt(at - 2) === 0xd83c) {
          while (HIDDEN.lastIndex < text.length && text.charCodeAt(HIDDEN.lastIndex) === 0xdb40) HIDDEN.lastIndex += 2;
          continue;
        }
        tags++;
        if (tagStart === -1) tagStart = at;
        tagEnd = at + 2;
        continue;
      }
      // A zero-width joiner between two emoji (surrogate pairs or variation selectors) is legitimate.
      if (match[0] === '\u200D') {
        const before = text.charCodeAt(at - 1);
        const after = text.charCodeAt(at + 1);
        if ((before >= 0xdc00 && before <= 0xdfff) || before === 0xfe0f || (after >= 0xd800 && after <= 0xdbff)) continue;
      }
      if (match[0] === '\uFEFF' && at === 0) continue;
      invisible++;
      if (invisibleStart === -1) invisibleStart = at;
      invisibleEnd = at + 1;
    }
    if (tags > 0) {
      let hidden = '';
      for (let i = tagStart; i < tagEnd && hidden.length < 80; i += 2) {
        const low = text.charCodeAt(i + 1);
        if (text.charCodeAt(i) === 0xdb40 && low >= 0xdc20 && low <= 0xdc7e) hidden += String.fromCharCode(low - 0xdc00);
      }
      out.push({
        ruleId: `${prefix}.hidden-unicode`,
        signal: 'hidden-unicode',
        weight: 0.8,
        start: tagStart,
        end: tagEnd,
        message: `${tags} invisible Unicode tag characters${hidden ? ` spelling "${hidden}"` : ''}`,
      });
    }
    if (invisible > 0) {
      out.push({
        ruleId: `${prefix}.hidden-unicode`,
        signal: 'hidden-unicode',
        weight: invisible >= 3 ? 0.5 : 0.3,
        start: invisibleStart,
        end: invisibleEnd,
        message: `${invisible} zero-width or bidi control characters`,
      });
    }
  };

  const commentSignals = (text: string, out: Signal[]): void => {
    let open = text.indexOf('<!--');
    let found = 0;
    while (open !== -1 && found < 16) {
      const close = text.indexOf('-->', open + 4);
      const end = close === -1 ? Math.min(text.length, open + 2048) : close + 3;
      const body = text.slice(open + 4, Math.min(end, open + 2048));
      if (HTML_COMMENT_BODY.test(body)) {
        found++;
        out.push({
          ruleId: `${prefix}.html-comment`,
          signal: 'html-comment',
          weight: 0.5,
          start: open,
          end,
          message: 'HTML comment carrying instructions',
        });
      }
      open = close === -1 ? -1 : text.indexOf('<!--', end);
    }
  };

  const imageSignals = (text: string, out: Signal[]): void => {
    if (!text.includes('![')) return;
    MARKDOWN_IMAGE.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = MARKDOWN_IMAGE.exec(text)) !== null) {
      const url = match[0].slice(match[0].indexOf('(') + 1, -1).trim();
      const query = url.indexOf('?');
      const carriesData =
        /[{$]|%7B|%24/i.test(url) ||
        (query !== -1 &&
          url
            .slice(query + 1)
            .split('&')
            .some((pair) => pair.slice(pair.indexOf('=') + 1).length >= 12)) ||
        url.split('/').some((segment) => segment.length >= 40);
      if (carriesData)
        out.push({
          ruleId: `${prefix}.markdown-image-exfiltration`,
          signal: 'markdown-image-exfiltration',
          weight: 0.6,
          start: match.index,
          end: match.index + match[0].length,
          message: 'markdown image whose URL carries data',
        });
    }
  };

  /** Structural signals (./injection-structure.ts); spans are offsets into `text`, or `[offset, end)` for decoded text. */
  const structureSignals = (text: string, out: Signal[], offset: number, end: number): boolean => {
    const result = analyseStructure(text, origin);
    for (const s of result.signals) {
      out.push({
        ruleId: `${prefix}.${s.signal}`,
        signal: s.signal,
        weight: s.weight,
        start: offset < 0 ? s.start : offset,
        end: offset < 0 ? s.end : end,
        message: s.message,
      });
    }
    return result.meta;
  };

  const encodedSignals = (text: string, out: Signal[]): void => {
    for (const [start, end] of encodedRuns(text, MIN_ENCODED, MAX_DECODED_RUNS)) {
      const decoded = decodeRun(text.slice(start, end));
      if (decoded === undefined) continue;
      const inner: Signal[] = [];
      phraseSignals(new TextView(decoded), inner, start, end);
      structureSignals(decoded, inner, start, end);
      const strongest = inner.reduce((best, s) => (CONTEXT_KINDS.has(s.signal) || s.weight <= best ? best : s.weight), 0);
      if (strongest > 0) {
        out.push({
          ruleId: `${prefix}.encoded-payload`,
          signal: 'encoded-payload',
          weight: Math.max(0.8, strongest),
          start,
          end,
          message: `encoded text decodes to instructions (${inner[0]?.signal ?? ''})`,
        });
      }
    }
  };

  return {
    name: 'injection',
    action: options.action,
    scan(view: TextView, sink: Sink): void {
      const text = view.text;
      let signals: Signal[] = [];
      phraseSignals(view, signals, -1, 0);
      const meta = structureSignals(text, signals, -1, 0);
      hiddenSignals(text, signals);
      commentSignals(text, signals);
      imageSignals(text, signals);
      if (options.decode) encodedSignals(text, signals);
      if (signals.length === 0) return;
      signals = dedupe(signals);
      // An authority claim made to an AI is a strong signal of its own.
      const authority = signals.find((s) => s.signal === 'authority-claim');
      if (authority && signals.some((s) => s.signal === 'addressee'))
        signals.push({
          ruleId: `${prefix}.spoofed-authority`,
          signal: 'spoofed-authority',
          weight: SPOOFED_AUTHORITY_WEIGHT,
          start: authority.start,
          end: authority.end,
          message: `authority claimed towards an AI (${authority.message})`,
        });
      // A text that discusses attacks may quote one: quoted signals count for less there.
      if (meta)
        signals = signals.map((s) =>
          quotedSpan(text, s.start, s.end)
            ? {
                ...s,
                weight: Math.round(s.weight * QUOTED_DISCUSSION_FACTOR * 1000) / 1000,
                message: `${s.message} (quoted in a discussion)`,
              }
            : s,
        );
      const score = injectionScore(signals);
      if (score < options.threshold) return;
      for (const signal of signals) {
        sink({
          ruleId: signal.ruleId,
          severity: score >= 0.8 ? 'critical' : 'high',
          start: signal.start,
          end: signal.end,
          message: signal.message,
          score,
          redaction: 'remove',
        });
      }
    },
  };
}

/**
 * Strongest first (so a decision names its strongest evidence), dropping a signal whose span overlaps a
 * stronger or earlier signal of the same kind.
 */
function dedupe(signals: readonly Signal[]): Signal[] {
  const order = signals.map((s, i) => [s, i] as const).sort(([a, i], [b, j]) => b.weight - a.weight || i - j);
  const kept: Signal[] = [];
  const byKind = new Map<InjectionSignal, Signal[]>();
  for (const [s] of order) {
    const same = byKind.get(s.signal) ?? [];
    // At most 16 spans per kind are compared: the list stays bounded.
    if (same.length >= 16 || same.some((k) => k.start < s.end && s.start < k.end)) continue;
    same.push(s);
    byKind.set(s.signal, same);
    kept.push(s);
  }
  return kept;
}

/**
 * 1 - Π(1 - w) over the strongest weight of each signal kind; when every kind is a context kind and none is
 * an `addressee`, the score is capped at `CONTEXT_CAP` (context alone is not an injection).
 */
export function injectionScore(signals: readonly { readonly signal: InjectionSignal; readonly weight: number }[]): number {
  const strongest = new Map<InjectionSignal, number>();
  for (const s of signals) strongest.set(s.signal, Math.max(strongest.get(s.signal) ?? 0, s.weight));
  let keep = 1;
  let strong = false;
  for (const [kind, weight] of strongest) {
    keep *= 1 - weight;
    if (!CONTEXT_KINDS.has(kind) && weight > 0) strong = true;
  }
  const score = 1 - keep;
  const capped = strong || strongest.has('addressee') ? score : Math.min(score, CONTEXT_CAP);
  return Math.round(capped * 1000) / 1000;
}

/** Internal patterns, exported for the linear-time test. */
export const injectionPatterns: readonly RegExp[] = [HIDDEN, HTML_COMMENT_BODY, MARKDOWN_IMAGE, HEX_ONLY];
