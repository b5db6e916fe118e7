import type { GuardrailAction, RedactionMode } from '../types.js';
import { cardIssuerKnown, ibanValid, IBAN_LENGTHS, luhnValid, ssnValid } from './checksums.js';
import { compileDictionary, compileCustomPattern, type CustomPatternSpec, type DictionarySpec, type EntityMatcher } from './custom.js';
import type { Detector, Hit, Sink, TextView } from './common.js';

/** Built-in PII entities. */
export const PII_ENTITIES = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'IBAN', 'US_SSN', 'IP_ADDRESS'] as const;
export type PiiEntityName = (typeof PII_ENTITIES)[number];

export interface PiiOptions {
  readonly action: GuardrailAction;
  readonly entities?: readonly PiiEntityName[] | undefined;
  readonly redaction: RedactionMode;
  readonly patterns?: readonly CustomPatternSpec[];
  readonly dictionaries?: readonly DictionarySpec[];
  /** Rule-id prefix (default `pii`). */
  readonly id?: string | undefined;
}

// Finds the next digit; the run around it is read by a linear loop.
const DIGIT = /\d/g;
// IBAN: two letters, two check digits, groups of four (optionally space-separated). Bounded.
// Case-insensitive: IBANs are typed in lower case too ("de89 3704 …"); the mod-97 check keeps precision.
const IBAN_CANDIDATE = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/gi;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;
const SSN_FORMAT = /^\d{3}([ -])\d{2}\1\d{4}$/;
const NANP = /^(?:1[ .-]?)?\(?[2-9]\d{2}\)?[ .-]?[2-9]\d{2}[ .-]?\d{4}$/;
// A national number with a trunk "0": area code, then up to four groups ("030 12345678", "089/1234567", "01 42 68 53 00").
const TRUNK_NATIONAL = /^\(?0\d{1,4}\)?[ ./-]\d{2,8}(?:[ .-]\d{2,8}){0,3}$/;
// Nine-digit national numbers without a trunk prefix (Spain, Poland, Portugal, Italian mobiles …): 3-3-3, 3-2-2-2, 2-3-2-2.
const NATIONAL_NINE = /^[1-9](?:\d{2}([ .-])\d{3}\1\d{3}|\d{2}([ .-])\d{2}\2\d{2}\2\d{2}|\d([ .-])\d{3}\3\d{2}\3\d{2})$/;
// An extension after a phone number: " x4587", " ext. 12", ", extension 42", " Durchwahl 12", " wew. 31".
const EXTENSION = /[ ,]{0,2}(?:x|ext|extn|extension|poste|durchwahl|wew)\.? {0,2}\d{1,6}\b/iy;
const CARD_GROUPS = /^\d{4}([ -])\d{4,6}\1\d{4,5}(?:\1\d{1,4}){0,2}$/;
const PHONE_CONTEXT =
  /\b(?:phone|tel|call|dial|ring|mobile?|cell|fax|whatsapp|sms|text me|contact|n[uú]m[eé]ro|nummer|handy|natel|gsm|m[oó]vil|kom[oó]rka|zadzwo|llam|appel|chiam|(?:an)?ruf|bel ons)/;
const SSN_CONTEXT = /\b(?:ssn|social security)\b/;
const VERSION_CONTEXT = /\b(?:v|ver|version|release|build)\.?\s{0,2}$/;
const TLD = /^[a-z]{2,24}$/i;

function isDigit(code: number): boolean {
  return code >= 48 && code <= 57;
}
function isAlnum(code: number): boolean {
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
}
function isLocalChar(code: number): boolean {
  // A-Z a-z 0-9 . _ % + - '
  return isAlnum(code) || code === 46 || code === 95 || code === 37 || code === 43 || code === 45;
}
/** Luhn over the digits of text[from, to) without building a string (fast reject of card windows). */
function luhnSpan(text: string, from: number, to: number): boolean {
  let sum = 0;
  let double = false;
  for (let i = to - 1; i >= from; i--) {
    const code = text.charCodeAt(i);
    if (!isDigit(code)) continue;
    let d = code - 48;
    if (double) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
    double = !double;
  }
  return sum % 10 === 0;
}

/** Characters the digit-run candidate may contain. */
function isRunChar(code: number): boolean {
  return isDigit(code) || code === 32 || code === 40 || code === 41 || code === 46 || code === 45 || code === 47;
}
function isHex(code: number): boolean {
  return isDigit(code) || (code >= 65 && code <= 70) || (code >= 97 && code <= 102);
}

/** Finds e-mail addresses by scanning around each `@` (no regex over the whole text). */
export function scanEmails(text: string, emit: (start: number, end: number) => void): void {
  let at = text.indexOf('@');
  let floor = 0;
  while (at !== -1) {
    let start = at;
    while (start > floor && at - start < 64 && isLocalChar(text.charCodeAt(start - 1))) start--;
    while (start < at && text.charCodeAt(start) === 46) start++;
    let end = at + 1;
    while (end < text.length && end - at <= 253) {
      const code = text.charCodeAt(end);
      if (isAlnum(code) || code === 45 || (code === 46 && end > at + 1 && text.charCodeAt(end - 1) !== 46)) end++;
      else break;
    }
    while (end > at + 1 && (text.charCodeAt(end - 1) === 46 || text.charCodeAt(end - 1) === 45)) end--;
    // Bounded to the domain: an unbounded lastIndexOf here would make a run of "@" quadratic.
    let lastDot = end - 1;
    while (lastDot > at && text.charCodeAt(lastDot) !== 46) lastDot--;
    if (start < at && text.charCodeAt(at - 1) !== 46 && lastDot > at + 1 && TLD.test(text.slice(lastDot + 1, end))) {
      emit(start, end);
      floor = end;
    }
    at = text.indexOf('@', Math.max(at + 1, end));
  }
}

function ipv4Valid(candidate: string): boolean {
  const match = IPV4.exec(candidate);
  if (!match) return false;
  for (let i = 1; i <= 4; i++) {
    const part = match[i] ?? '';
    if (Number(part) > 255 || (part.length > 1 && part.startsWith('0'))) return false;
  }
  return true;
}

/** IPv6 (RFC 4291 text forms, with an optional embedded IPv4 tail). Loopback and `::` are not reported. */
export function ipv6Valid(candidate: string): boolean {
  if (candidate.length < 3 || candidate.length > 45 || candidate === '::' || candidate === '::1') return false;
  const doubleAt = candidate.indexOf('::');
  if (doubleAt !== -1 && candidate.includes('::', doubleAt + 1)) return false;
  let groups = candidate.split(':');
  let extra = 0;
  const last = groups.at(-1) ?? '';
  if (last.includes('.')) {
    if (!ipv4Valid(last)) return false;
    groups = groups.slice(0, -1);
    extra = 2;
  }
  if (doubleAt === -1) {
    if (groups.length + extra !== 8) return false;
    return groups.every((group) => /^[0-9a-f]{1,4}$/i.test(group));
  }
  const nonEmpty = groups.filter((group) => group !== '');
  if (nonEmpty.length + extra > 7) return false;
  return nonEmpty.every((group) => /^[0-9a-f]{1,4}$/i.test(group));
}

/** Finds IPv6 addresses by scanning around each `:`. */
function scanIpv6(text: string, emit: (start: number, end: number) => void): void {
  let colon = text.indexOf(':');
  while (colon !== -1) {
    let start = colon;
    while (start > 0 && colon - start < 45) {
      const code = text.charCodeAt(start - 1);
      if (isHex(code) || code === 58 || code === 46) start--;
      else break;
    }
    let end = colon + 1;
    while (end < text.length && end - colon < 45) {
      const code = text.charCodeAt(end);
      if (isHex(code) || code === 58 || code === 46) end++;
      else break;
    }
    while (end > colon + 1 && text.charCodeAt(end - 1) === 46) end--;
    const candidate = text.slice(start, end);
    if (candidate.split(':').length >= 3 && ipv6Valid(candidate)) {
      const before = start > 0 ? text.charCodeAt(start - 1) : 32;
      if (!isAlnum(before)) emit(start, end);
    }
    colon = text.indexOf(':', end + 1);
  }
}

type DigitEntity = 'PHONE' | 'CREDIT_CARD' | 'US_SSN' | 'IP_ADDRESS';

/** Classifies a digit run (with its surrounding context) or returns undefined. */
function classifyDigits(candidate: string, contextBefore: () => string, plus: boolean): DigitEntity | undefined {
  if (candidate.includes('.') && ipv4Valid(candidate)) return VERSION_CONTEXT.test(contextBefore()) ? undefined : 'IP_ADDRESS';
  let digits = '';
  for (let i = 0; i < candidate.length; i++) {
    const code = candidate.charCodeAt(i);
    if (isDigit(code)) digits += String.fromCharCode(code);
  }
  const separated = digits.length !== candidate.length;
  if (SSN_FORMAT.test(candidate)) return ssnValid(digits) ? 'US_SSN' : undefined;
  if (!separated && digits.length === 9 && SSN_CONTEXT.test(contextBefore())) return ssnValid(digits) ? 'US_SSN' : undefined;
  if (digits.length >= 12 && digits.length <= 19 && !plus && (!separated || CARD_GROUPS.test(candidate))) {
    if (luhnValid(digits) && cardIssuerKnown(digits)) return 'CREDIT_CARD';
    if (!separated) return undefined;
  }
  if (plus) return digits.length >= 8 && digits.length <= 15 && !digits.startsWith('0') ? 'PHONE' : undefined;
  // "00" (or "001", i.e. 00 + 1) is the international prefix: a country code and number follow.
  if (digits.startsWith('00') && digits.charCodeAt(2) !== 48 && (separated || PHONE_CONTEXT.test(contextBefore())))
    return digits.length >= 10 && digits.length <= 17 ? 'PHONE' : undefined;
  if (candidate.includes('.') && !/^\(?\d{3}\)?[ .]\d{3}\.\d{4}$/.test(candidate) && !TRUNK_NATIONAL.test(candidate)) return undefined;
  if (NANP.test(candidate)) {
    if (!separated && !PHONE_CONTEXT.test(contextBefore())) return undefined;
    return 'PHONE';
  }
  if (separated && digits.length >= 9 && digits.length <= 13 && TRUNK_NATIONAL.test(candidate)) return 'PHONE';
  // 3-3-3 is also how large amounts are grouped ("123 456 789"): it needs phone context; 3-2-2-2 and 2-3-2-2 do not.
  if (separated && digits.length === 9 && NATIONAL_NINE.test(candidate)) {
    const threeThreeThree = !isDigit(candidate.charCodeAt(3)) && !isDigit(candidate.charCodeAt(7));
    if (!threeThreeThree || PHONE_CONTEXT.test(contextBefore())) return 'PHONE';
  }
  if (!separated && digits.length >= 9 && digits.length <= 12 && PHONE_CONTEXT.test(contextBefore())) return 'PHONE';
  return undefined;
}

const MESSAGES: Record<PiiEntityName, string> = {
  EMAIL: 'e-mail address',
  PHONE: 'phone number',
  CREDIT_CARD: 'payment card number (Luhn-valid)',
  IBAN: 'IBAN (mod-97 valid)',
  US_SSN: 'US social security number',
  IP_ADDRESS: 'IP address',
};
const RULE_SUFFIX: Record<PiiEntityName, string> = {
  EMAIL: 'email',
  PHONE: 'phone',
  CREDIT_CARD: 'credit-card',
  IBAN: 'iban',
  US_SSN: 'us-ssn',
  IP_ADDRESS: 'ip-address',
};
const SEVERITY = { EMAIL: 'medium', PHONE: 'medium', CREDIT_CARD: 'high', IBAN: 'high', US_SSN: 'high', IP_ADDRESS: 'low' } as const;

/** Compiles the PII detector: e-mail, phone, card (Luhn), IBAN (mod-97), US SSN, IPv4/IPv6, custom patterns, dictionaries. */
export function compilePii(options: PiiOptions): Detector {
  const enabled = new Set<PiiEntityName>(options.entities ?? PII_ENTITIES);
  const prefix = options.id ?? 'pii';
  const redaction = options.redaction;
  const customs: EntityMatcher[] = [
    ...(options.patterns ?? []).map((pattern) => compileCustomPattern(pattern)),
    ...(options.dictionaries ?? []).map((dictionary) => compileDictionary(dictionary)),
  ];
  const wantsDigits = enabled.has('PHONE') || enabled.has('CREDIT_CARD') || enabled.has('US_SSN') || enabled.has('IP_ADDRESS');
  const hit = (entity: PiiEntityName, start: number, end: number): Hit => ({
    ruleId: `${prefix}.${RULE_SUFFIX[entity]}`,
    entity,
    severity: SEVERITY[entity],
    start,
    end,
    message: `${MESSAGES[entity]} found`,
    redaction,
  });

  /** Classifies one segment (digit groups separated by single spaces): whole, else windows of up to six pieces. */
  const classifySegment = (text: string, segStart: number, segEnd: number, sink: Sink): void => {
    const segment = text.slice(segStart, segEnd);
    const prev = segStart > 0 ? text.charCodeAt(segStart - 1) : 32;
    const plus = prev === 43;
    const classifyAt = (from: number, to: number, withPlus: boolean, only?: DigitEntity): DigitEntity | undefined => {
      const p = from > 0 ? text.charCodeAt(from - 1) : 32;
      const realStart = withPlus || p === 40 ? from - 1 : from;
      const entity = classifyDigits(text.slice(from, to), () => text.slice(Math.max(0, realStart - 48), realStart).toLowerCase(), withPlus);
      if (entity === undefined || (only !== undefined && entity !== only)) return undefined;
      let end = to;
      if (entity === 'PHONE') {
        // The extension belongs to the number ("(415) 555-0132 x4587").
        EXTENSION.lastIndex = to;
        if (EXTENSION.exec(text) !== null) end = EXTENSION.lastIndex;
      }
      if (enabled.has(entity)) sink(hit(entity, realStart, end));
      return entity;
    };
    if (segment.length <= 40 && segment.length >= 7 && classifyAt(segStart, segEnd, plus) !== undefined) return;
    const pieces: { start: number; end: number; digits: number }[] = [];
    let pieceStart = segStart;
    for (let k = segStart; k <= segEnd; k++) {
      if (k === segEnd || text.charCodeAt(k) === 32) {
        if (k > pieceStart) {
          let digits = 0;
          for (let m = pieceStart; m < k; m++) if (isDigit(text.charCodeAt(m))) digits++;
          pieces.push({ start: pieceStart, end: k, digits });
        }
        pieceStart = k + 1;
      }
    }
    let i = 0;
    while (i < pieces.length) {
      const first = pieces[i];
      if (!first) break;
      const d0 = first.digits;
      const firstChar = text.charCodeAt(first.start);
      // Multi-piece numbers start like a known format: "+…", a trunk "0…"/"(0…", NANP "1 415…"/"(415)…",
      // an SSN "123 45…" or a card "4111 …". Anything else only gets its single-piece check.
      // A trunk-prefixed national number starts its segment; a zero group inside a longer run is not one.
      const trunk = i === 0 && (firstChar === 48 || (firstChar === 40 && text.charCodeAt(first.start + 1) === 48));
      const multiOk = (i === 0 && plus) || trunk || (d0 === 1 && pieces[i + 1]?.digits === 3) || d0 === 3 || d0 === 4;
      let matched = false;
      let digits = 0;
      let lastWindow = i;
      for (let j = i; j < pieces.length && j <= i + 5; j++) {
        digits += pieces[j]?.digits ?? 0;
        if (digits > 19) break;
        lastWindow = j;
      }
      for (let j = multiOk ? lastWindow : i; j >= i; j--) {
        const last = pieces[j];
        if (!last) continue;
        if (i === 0 && j === pieces.length - 1 && segment.length <= 40) continue;
        let windowDigits = 0;
        for (let k = i; k <= j; k++) windowDigits += pieces[k]?.digits ?? 0;
        if (j === i) {
          if (last.end - first.start < 7) continue;
        } else if (i === 0 && plus) {
          if (windowDigits < 8 || windowDigits > 15) continue;
        } else if (trunk) {
          if (windowDigits < 9 || windowDigits > 12) continue;
        } else if (d0 === 1) {
          if (windowDigits !== 11) continue;
        } else if (d0 === 3) {
          if (windowDigits < 9 || windowDigits > 10) continue;
        } else if (windowDigits < 12 || !luhnSpan(text, first.start, last.end)) continue;
        if (!isDigit(firstChar) && firstChar !== 40) continue;
        // A window opened as a card ("4111 …") may only be a card.
        const only = j > i && d0 === 4 && !trunk && !(i === 0 && plus) ? 'CREDIT_CARD' : undefined;
        if (classifyAt(first.start, last.end, i === 0 && plus, only) !== undefined) {
          i = j + 1;
          matched = true;
          break;
        }
      }
      if (!matched) i++;
    }
  };

  const scanDigits = (text: string, sink: Sink, unsorted: readonly (readonly [number, number])[]): void => {
    const regex = DIGIT;
    regex.lastIndex = 0;
    // Claimed spans (e-mail, IBAN) in order, walked with one pointer as the scan moves right: linear.
    const claimed = [...unsorted].sort((a, b) => a[0] - b[0]);
    let pointer = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(text)) !== null) {
      let start = match.index;
      while (pointer < claimed.length && (claimed[pointer]?.[1] ?? 0) <= start) pointer++;
      const inside = claimed[pointer];
      if (inside && inside[0] <= start) {
        regex.lastIndex = inside[1];
        continue;
      }
      // The whole run of digits and separators, up to the next claimed span: one linear pass.
      const limit = inside ? inside[0] : text.length;
      let end = start;
      let lastDigit = start;
      while (end < limit && isRunChar(text.charCodeAt(end))) {
        if (isDigit(text.charCodeAt(end))) lastDigit = end;
        end++;
      }
      regex.lastIndex = end;
      end = lastDigit + 1;
      // Nothing we report is shorter than 7 characters ("1.1.1.1").
      if (end - start < 7) continue;
      const prev = start > 0 ? text.charCodeAt(start - 1) : 32;
      if (isAlnum(prev) && !isDigit(prev)) {
        // Glued to a word (an id such as "A1001"): skip that token. After an IBAN-like head ("DE89")
        // skip the groups that follow too: they are the account number, not a phone number.
        const ibanHead =
          start >= 2 && (start === 2 || !isAlnum(text.charCodeAt(start - 3))) && /^[A-Z]{2}\d{2} /i.test(text.slice(start - 2, start + 3));
        if (ibanHead) continue;
        while (start < end && isDigit(text.charCodeAt(start))) start++;
        while (start < end && !isDigit(text.charCodeAt(start)) && text.charCodeAt(start) !== 40 && text.charCodeAt(start) !== 43) start++;
        if (start >= end) continue;
      }
      const next = end < text.length ? text.charCodeAt(end) : 32;
      if (isAlnum(next) && !isDigit(next)) {
        // Glued to a word at the end: drop the last token.
        while (end > start && text.charCodeAt(end - 1) !== 32) end--;
        while (end > start && !isDigit(text.charCodeAt(end - 1))) end--;
        if (end <= start) continue;
      }
      // Two or more spaces (or a bracket after a space) separate numbers: classify each segment.
      let segStart = start;
      for (let k = start; k <= end; k++) {
        const boundary = k === end || (text.charCodeAt(k) === 32 && text.charCodeAt(k + 1) === 32);
        if (!boundary) continue;
        let s = segStart;
        let e = k;
        while (s < e && text.charCodeAt(s) === 32) s++;
        while (e > s && !isDigit(text.charCodeAt(e - 1)) && text.charCodeAt(e - 1) !== 41) e--;
        if (e > s && isDigit(text.charCodeAt(e - 1))) classifySegment(text, s, e, sink);
        segStart = k + 1;
      }
    }
  };
  const scanIban = (text: string, sink: Sink, claimed: [number, number][]): void => {
    const regex = IBAN_CANDIDATE;
    regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(text)) !== null) {
      const raw = match[0].toUpperCase();
      const expected = IBAN_LENGTHS[raw.slice(0, 2)];
      if (expected === undefined) continue;
      // Take exactly the country's length of characters (a following word may have been swallowed).
      let compact = '';
      let end = 0;
      while (end < raw.length && compact.length < expected) {
        const char = raw.charAt(end);
        if (char !== ' ') compact += char;
        end++;
      }
      if (compact.length !== expected) continue;
      const nextCode = match.index + end < text.length ? text.charCodeAt(match.index + end) : 32;
      if (isAlnum(nextCode) && raw[end] !== ' ') continue;
      // An IBAN-shaped string of the right length is claimed even when its check digits are wrong: its
      // groups are an account number, not a phone number.
      claimed.push([match.index, match.index + end]);
      if (ibanValid(compact)) sink(hit('IBAN', match.index, match.index + end));
    }
  };

  return {
    name: 'pii',
    action: options.action,
    scan(view: TextView, sink: Sink): void {
      const text = view.text;
      const claimed: [number, number][] = [];
      if (enabled.has('EMAIL')) {
        scanEmails(text, (start, end) => {
          claimed.push([start, end]);
          sink(hit('EMAIL', start, end));
        });
      }
      if (enabled.has('IBAN')) scanIban(text, sink, claimed);
      if (wantsDigits) scanDigits(text, sink, claimed);
      if (enabled.has('IP_ADDRESS'))
        scanIpv6(text, (start, end) => {
          sink(hit('IP_ADDRESS', start, end));
        });
      for (const custom of customs)
        custom.scan(view, (start, end, entity) => {
          sink({
            ruleId: `${prefix}.custom.${entity.toLowerCase()}`,
            entity,
            severity: 'medium',
            start,
            end,
            message: `${entity} found`,
            redaction,
          });
        });
    },
  };
}

/** Internal patterns, exported for the linear-time test. */
export const piiPatterns: readonly RegExp[] = [
  DIGIT,
  IBAN_CANDIDATE,
  IPV4,
  SSN_FORMAT,
  NANP,
  TRUNK_NATIONAL,
  NATIONAL_NINE,
  EXTENSION,
  CARD_GROUPS,
  PHONE_CONTEXT,
  SSN_CONTEXT,
  VERSION_CONTEXT,
  TLD,
];
