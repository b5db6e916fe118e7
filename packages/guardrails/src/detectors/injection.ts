import { Buffer } from 'node:buffer';
import type { GuardrailAction } from '../types.js';
import { KeywordIndex, type Detector, type Sink, type TextView } from './common.js';

/** The kinds of evidence the injection detector scores. */
export type InjectionSignal =
  | 'instruction-override'
  | 'persona-hijack'
  | 'system-prompt-request'
  | 'tool-coercion'
  | 'hidden-unicode'
  | 'html-comment'
  | 'markdown-image-exfiltration'
  | 'encoded-payload';

/** A phrase rule: fixed keyword first, bounded gaps. */
export interface InjectionRule {
  readonly id: string;
  readonly signal: InjectionSignal;
  /** Contribution to the score (0-1); signals combine as 1 - Π(1 - weight). */
  readonly weight: number;
  readonly keywords: readonly string[];
  readonly regex: RegExp;
}

const r = (id: string, signal: InjectionSignal, weight: number, keywords: readonly string[], regex: RegExp): InjectionRule => Object.freeze({ id, signal, weight, keywords, regex });

/** Phrase rules (English plus basic French, Spanish, Portuguese, German, Italian, Dutch, Russian, Chinese, Japanese). */
export const injectionRules: readonly InjectionRule[] = Object.freeze([
  r('override-ignore', 'instruction-override', 0.75, ['ignore', 'disregard', 'override', 'bypass', 'skip'],
    /\b(?:ignore|disregard|override|bypass|skip)\s{1,3}(?:all\s{1,3}|any\s{1,3}|the\s{1,3}|your\s{1,3}|of\s{1,3}|these\s{1,3}|those\s{1,3}){0,3}(?:(?:previous|prior|above|earlier|preceding|initial|original|system|safety|existing|developer|former)\s{1,3})?(?:instructions?|directions?|rules|guidelines|prompts?|directives?|commands?|constraints|guardrails|polic(?:y|ies)|messages?|context|programming)\b/gi),
  r('override-forget', 'instruction-override', 0.65, ['forget'],
    /\bforget\s{1,3}(?:about\s{1,3})?(?:everything|all(?:\s{1,3}(?:of\s{1,3})?(?:your|the|my))?|your)\s{1,3}(?:you\s{1,3}(?:were|have\s{1,3}been)\s{1,3}told|instructions?|rules|guidelines|previous|prior|above|before|training)\b/gi),
  r('override-new-instructions', 'instruction-override', 0.6, ['instruction'],
    /\b(?:new|updated|real|actual|true|revised|secret|admin)\s{1,3}(?:system\s{1,3})?instructions?\s{0,3}:/gi),
  r('override-from-now-on', 'instruction-override', 0.3, ['now'],
    /\bfrom\s{1,3}now\s{1,3}on\b/gi),
  r('override-fr', 'instruction-override', 0.75, ['ignor', 'oubli'],
    /\b(?:ignore[rz]?|oublie[rz]?)\s{1,3}(?:toutes\s{1,3})?(?:les\s{1,3}|vos\s{1,3})?(?:instructions|consignes|règles)(?:\s{1,3}(?:précédentes|antérieures|ci-dessus))?/gi),
  r('override-es-pt-it', 'instruction-override', 0.75, ['ignor', 'olvida', 'esquece', 'dimentica'],
    /\b(?:ignorar?|ignore|olvida|esquece|dimentica)\s{1,3}(?:todas\s{1,3}|tutte\s{1,3})?(?:las\s{1,3}|as\s{1,3}|le\s{1,3})?(?:instrucciones|instruções|istruzioni|regras|reglas|regole)(?:\s{1,3}(?:anteriores|previas|precedenti))?/gi),
  r('override-de', 'instruction-override', 0.75, ['ignorier', 'vergiss'],
    /\b(?:ignorier(?:e|en)?|vergiss)\s{1,3}(?:alle\s{1,3})?(?:(?:vorherigen|bisherigen|obigen|vorigen)\s{1,3})?(?:Anweisungen|Instruktionen|Befehle|Regeln)/gi),
  r('override-nl', 'instruction-override', 0.75, ['negeer'],
    /\bnegeer\s{1,3}(?:alle\s{1,3})?(?:(?:vorige|eerdere)\s{1,3})?instructies/gi),
  r('override-ru', 'instruction-override', 0.75, ['игнорир', 'забудь'],
    /(?:игнорируй(?:те)?|забудь(?:те)?)\s{1,3}(?:все\s{1,3})?(?:(?:предыдущие|прошлые)\s{1,3})?(?:инструкции|указания|правила)/gi),
  r('override-zh', 'instruction-override', 0.75, ['忽略', '忽视'],
    /(?:忽略|忽视)(?:之前|以上|上面|先前|所有)的?(?:所有)?(?:指令|指示|说明|规则)/g),
  r('override-ja', 'instruction-override', 0.75, ['無視'],
    /(?:以前|前|上記)の(?:すべての)?(?:指示|命令)を無視/g),
  r('persona-you-are-now', 'persona-hijack', 0.45, ['now', 'longer'],
    /\byou\s{1,3}are\s{1,3}(?:now|no\s{1,3}longer)\s{1,3}(?:an?\s{1,3})?(?:unrestricted|unfiltered|uncensored|free|jailbroken|evil|different|dan|not|my|in)\b/gi),
  r('persona-act-as', 'persona-hijack', 0.45, ['act', 'behave', 'pretend', 'roleplay'],
    /\b(?:act|behave|pretend|roleplay)\s{1,3}(?:as|to\s{1,3}be|you\s{1,3}are)\s{1,3}(?:if\s{1,3}you\s{1,3}(?:are|were)\s{1,3})?(?:an?\s{1,3})?(?:unrestricted|unfiltered|uncensored|jailbroken|evil|rogue|hacker|dan|ai\s{1,3}without|assistant\s{1,3}without|model\s{1,3}without)\b/gi),
  r('persona-jailbreak', 'persona-hijack', 0.5, ['jailbreak', 'developer', 'dan', 'anything', 'god'],
    /\b(?:jailbreak(?:ed|ing)?|developer\s{1,3}mode|dan\s{1,3}mode|do\s{1,3}anything\s{1,3}now|god\s{1,3}mode)\b/gi),
  r('system-prompt-reveal', 'system-prompt-request', 0.6, ['prompt', 'instruction', 'system', 'developer'],
    /\b(?:reveal|show|print|display|repeat|output|tell\s{1,3}me|give\s{1,3}me|share|leak|dump|write\s{1,3}out|what\s{1,3}(?:is|are|were|was))\s{1,3}(?:me\s{1,3})?(?:your|the)\s{1,3}(?:(?:full|original|initial|hidden|secret|exact|complete|entire)\s{1,3})?(?:system\s{1,3}(?:prompt|message|instructions?)|instructions|initial\s{1,3}prompt|prompt|developer\s{1,3}message)\b/gi),
  r('system-prompt-repeat-above', 'system-prompt-request', 0.55, ['repeat'],
    /\brepeat\s{1,3}(?:the\s{1,3}|all\s{1,3})?(?:text|words|everything|content|lines)\s{1,3}(?:above|before\s{1,3}this)\b/gi),
  r('tool-coercion-call', 'tool-coercion', 0.4, ['tool', 'function', '_'],
    /\b(?:call|invoke|use|run|execute|trigger)\s{1,3}(?:the\s{1,3})?(?:[a-z]{1,24}_[a-z_]{1,40}|(?:[a-z]{1,24}\s{1,3})?(?:tool|function)s?)\b(?:\s{1,3}(?:with|to|and|now|immediately))?/gi),
  r('tool-coercion-send', 'tool-coercion', 0.4, ['@'],
    /\b(?:send|forward|email)\s{1,3}(?:all\s{1,3}|the\s{1,3}|this\s{1,3}|an?\s{1,3})?(?:(?:e-?mail|message|data|conversation|details|information|password|credentials)\s{1,3})?to\s{1,3}[\w.+-]{1,64}@/gi),
  r('tool-coercion-assistant-must', 'tool-coercion', 0.35, ['must', 'should', 'needs'],
    /\b(?:assistant|ai|model|agent)\s{1,3}(?:must|should|needs\s{1,3}to)\s{1,3}(?:now\s{1,3})?(?:call|invoke|send|refund|transfer|delete|execute|email)\b/gi),
]);

// Zero-width characters, bidi controls and Unicode tag characters (U+E0000-E007F as surrogate pairs).
// eslint-disable-next-line no-misleading-character-class -- the zero-width joiner is listed on purpose: it is what we look for
const HIDDEN = /[\u200B\u200C\u200D\u2060\u2061\u2062\u2063\u2064\uFEFF\u202A-\u202E\u2066-\u2069]|\uDB40[\uDC00-\uDC7F]/g;
const HTML_COMMENT_BODY = /\b(?:ignore|instructions?|assistant|system|you\s{1,3}must|do\s{1,3}not\s{1,3}(?:tell|mention|reveal)|tool|call|send|email|ai|model)\b/i;
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
  readonly index: number;
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
  else decoded = Buffer.from(slice.replace(/[-_]/g, (c) => (c === '-' ? '+' : '/')), 'base64').toString('utf8');
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
  const compiled: CompiledInjectionRule[] = injectionRules.map((rule, index) => ({ rule, regex: new RegExp(rule.regex.source, rule.regex.flags), index }));
  const index = new KeywordIndex(compiled.flatMap((c) => c.rule.keywords.map((keyword) => [keyword, c] as const)));
  const candidates = new Uint8Array(compiled.length);

  const phraseSignals = (text: string, lower: string, out: Signal[], offset: number, end: number): void => {
    candidates.fill(0);
    if (
      !index.scan(lower, (c) => {
        candidates[c.index] = 1;
      })
    )
      return;
    for (const c of compiled) {
      if (candidates[c.index] !== 1) continue;
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
      out.push({ ruleId: `${prefix}.hidden-unicode`, signal: 'hidden-unicode', weight: 0.8, start: tagStart, end: tagEnd, message: `${tags} invisible Unicode tag characters${hidden ? ` spelling "${hidden}"` : ''}` });
    }
    if (invisible > 0) {
      out.push({ ruleId: `${prefix}.hidden-unicode`, signal: 'hidden-unicode', weight: invisible >= 3 ? 0.5 : 0.3, start: invisibleStart, end: invisibleEnd, message: `${invisible} zero-width or bidi control characters` });
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
        out.push({ ruleId: `${prefix}.html-comment`, signal: 'html-comment', weight: 0.5, start: open, end, message: 'HTML comment carrying instructions' });
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
        (query !== -1 && url.slice(query + 1).split('&').some((pair) => pair.slice(pair.indexOf('=') + 1).length >= 12)) ||
        url.split('/').some((segment) => segment.length >= 40);
      if (carriesData) out.push({ ruleId: `${prefix}.markdown-image-exfiltration`, signal: 'markdown-image-exfiltration', weight: 0.6, start: match.index, end: match.index + match[0].length, message: 'markdown image whose URL carries data' });
    }
  };

  const encodedSignals = (text: string, out: Signal[]): void => {
    for (const [start, end] of encodedRuns(text, MIN_ENCODED, MAX_DECODED_RUNS)) {
      const decoded = decodeRun(text.slice(start, end));
      if (decoded === undefined) continue;
      const inner: Signal[] = [];
      phraseSignals(decoded, decoded.toLowerCase(), inner, start, end);
      const strongest = inner.reduce((best, s) => (s.weight > best ? s.weight : best), 0);
      if (strongest > 0) {
        out.push({ ruleId: `${prefix}.encoded-payload`, signal: 'encoded-payload', weight: Math.max(0.8, strongest), start, end, message: `encoded text decodes to instructions (${inner[0]?.signal ?? ''})` });
      }
    }
  };

  return {
    name: 'injection',
    action: options.action,
    scan(view: TextView, sink: Sink): void {
      const text = view.text;
      const signals: Signal[] = [];
      phraseSignals(text, view.lower, signals, -1, 0);
      hiddenSignals(text, signals);
      commentSignals(text, signals);
      imageSignals(text, signals);
      if (options.decode) encodedSignals(text, signals);
      if (signals.length === 0) return;
      const score = injectionScore(signals);
      if (score < options.threshold) return;
      for (const signal of signals) {
        sink({ ruleId: signal.ruleId, severity: score >= 0.8 ? 'critical' : 'high', start: signal.start, end: signal.end, message: signal.message, score, redaction: 'remove' });
      }
    },
  };
}

/** 1 - Π(1 - w) over the strongest weight of each signal kind. */
export function injectionScore(signals: readonly { readonly signal: InjectionSignal; readonly weight: number }[]): number {
  const strongest = new Map<InjectionSignal, number>();
  for (const s of signals) strongest.set(s.signal, Math.max(strongest.get(s.signal) ?? 0, s.weight));
  let keep = 1;
  for (const weight of strongest.values()) keep *= 1 - weight;
  return Math.round((1 - keep) * 1000) / 1000;
}

/** Internal patterns, exported for the linear-time test. */
export const injectionPatterns: readonly RegExp[] = [HIDDEN, HTML_COMMENT_BODY, MARKDOWN_IMAGE, HEX_ONLY];
