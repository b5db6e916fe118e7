// Structural prompt-injection analysis: one linear pass turns the text into normalised word tokens, a
// second linear pass over the tokens finds the SHAPES injections take, with bounded look-around windows:
//   override   an override verb, then (within 6 words) what it overrides, tied to the agent's context
//   addressee  text that addresses an AI: "note to the AI assistant", "AI agent: …", "agents reading this",
//              "assistant_instructions", "@support-bot"; and a directive that follows it
//   precondition  "before you solve/answer …", "to complete your task you first have to …", "then carry on
//              with the original task"
//   authority  "important message from …", "from the security team", "I am your developer"
//   subversion a control switched off: "skip the approval", "the refund limit has been lifted"; waived: "without approval"
//   secrecy    "do not tell the user", "silently"
//   sending    "send/forward/e-mail [the data] to someone@…"
//   tool intent  a side-effect verb in imperative position with a target: an address, a domain, an amount, "all"
//   role lines  "System: …" lines, forged transcripts
// Tokens are normalised first, so the same shapes are found through obfuscation: case, full-width letters,
// Cyrillic/Greek look-alikes inside Latin words, leetspeak digits inside words, zero-width characters and
// soft hyphens inside words, letter-spaced and dotted words ("i g n o r e", "i.g.n.o.r.e"), and misspellings
// of the override vocabulary at one edit ("ignroe", "iunstructions") or one insertion plus one deletion
// ("ovveride"). Every loop reads each character or token once, or a bounded window around it: linear.
import { FUZZY_STOP, FUZZY_WORDS, LEXICON, W } from './injection-lexicon.js';

/** The kinds of evidence the structural pass reports (a subset of the detector's signals). */
export type StructureSignalKind =
  | 'instruction-override'
  | 'tool-coercion'
  | 'addressee'
  | 'addressed-instruction'
  | 'task-precondition'
  | 'authority-claim'
  | 'policy-subversion'
  | 'control-waived'
  | 'secrecy'
  | 'tool-intent'
  | 'role-line'
  | 'forged-transcript'
  | 'obfuscation';

export interface StructureSignal {
  readonly signal: StructureSignalKind;
  readonly weight: number;
  readonly start: number;
  readonly end: number;
  readonly message: string;
}

/** Who wrote the text: the authenticated user (addressing the assistant is normal) or content that should be data. */
export type InjectionOrigin = 'user' | 'content';

/** Result of one analysis: the signals, and whether the text discusses attacks (for damping quoted phrases). */
export interface StructureResult {
  readonly signals: StructureSignal[];
  readonly meta: boolean;
}

// --- character classes and folding -------------------------------------------------------------------------

const C_SEP = 0;
const C_LATIN = 1;
const C_DIGIT = 2;
const C_OTHER = 3; // a letter of another script
const C_CONFUSABLE = 4; // a Cyrillic/Greek letter that looks like a Latin one
const C_INVISIBLE = 5; // zero-width, soft hyphen, word joiner: skipped inside words
const TABLE_SIZE = 0x530;
const CLASS = new Uint8Array(TABLE_SIZE);
const FOLD = new Uint16Array(TABLE_SIZE);
/** Latin stand-in of a confusable letter (after lower-casing). */
const CONFUSE = new Uint16Array(TABLE_SIZE);
/** Leetspeak digits inside words. */
const LEET = new Uint16Array(128);

function initTables(): void {
  for (let c = 0; c < TABLE_SIZE; c++) {
    FOLD[c] = c;
    if (c >= 48 && c <= 57) CLASS[c] = C_DIGIT;
    else if (c >= 65 && c <= 90) {
      CLASS[c] = C_LATIN;
      FOLD[c] = c + 32;
    } else if (c >= 97 && c <= 122) CLASS[c] = C_LATIN;
    else if (c >= 0xc0 && c <= 0x24f && c !== 0xd7 && c !== 0xf7) {
      // Latin-1 and Latin Extended: fold to the base letter where there is one ("é" → "e", "ł" → "l").
      const lower = String.fromCharCode(c).toLowerCase();
      const base = lower.normalize('NFD').charCodeAt(0);
      const manual: Readonly<Record<string, string>> = { ß: 's', ø: 'o', ł: 'l', đ: 'd', æ: 'a', œ: 'o', ı: 'i', þ: 't', ð: 'd', ħ: 'h' };
      const mapped = manual[lower]?.charCodeAt(0) ?? (base < 128 ? base : lower.charCodeAt(0));
      CLASS[c] = mapped < 128 ? C_LATIN : C_OTHER;
      FOLD[c] = mapped;
    } else if (c >= 0x370 && c <= 0x52f) {
      CLASS[c] = C_OTHER;
      if (c >= 0x391 && c <= 0x3a9) FOLD[c] = c + 32;
      else if (c >= 0x410 && c <= 0x42f) FOLD[c] = c + 32;
      else if (c >= 0x400 && c <= 0x40f) FOLD[c] = c + 80;
    }
  }
  CLASS[0xad] = C_INVISIBLE;
  // Cyrillic and Greek letters that pass for Latin ones (lower case; upper case folds to these first).
  const confusables: Readonly<Record<string, string>> = {
    а: 'a',
    е: 'e',
    о: 'o',
    р: 'p',
    с: 'c',
    х: 'x',
    у: 'y',
    і: 'i',
    ј: 'j',
    ѕ: 's',
    һ: 'h',
    ԁ: 'd',
    α: 'a',
    ε: 'e',
    ι: 'i',
    κ: 'k',
    ν: 'v',
    ο: 'o',
    ρ: 'p',
    τ: 't',
    υ: 'u',
    χ: 'x',
  };
  for (const [from, to] of Object.entries(confusables)) {
    const code = from.charCodeAt(0);
    CLASS[code] = C_CONFUSABLE;
    CONFUSE[code] = to.charCodeAt(0);
    for (let c = 0x370; c < TABLE_SIZE; c++) if (FOLD[c] === code && c !== code) CLASS[c] = C_CONFUSABLE;
  }
  for (const [digit, letter] of Object.entries({ 0: 'o', 1: 'i', 3: 'e', 4: 'a', 5: 's', 7: 't', 8: 'b', 9: 'g' }))
    LEET[digit.charCodeAt(0)] = letter.charCodeAt(0);
}
initTables();

/** Class of any UTF-16 code unit; `fold` receives the folded unit for letters. */
function classOf(code: number): number {
  if (code < TABLE_SIZE) return CLASS[code] ?? C_SEP;
  if ((code >= 0x200b && code <= 0x200f) || (code >= 0x2060 && code <= 0x2064) || code === 0xfeff || code === 0x180e) return C_INVISIBLE;
  // Unicode tag characters (a surrogate pair starting 0xDB40) are reported by the hidden-unicode signal.
  if (code === 0xdb40) return C_INVISIBLE;
  if (code >= 0xdc00 && code <= 0xdc7f) return C_INVISIBLE;
  if (code >= 0xff01 && code <= 0xff5e) {
    const ascii = code - 0xfee0;
    return CLASS[ascii] ?? C_SEP;
  }
  if (
    (code >= 0x2000 && code <= 0x2bff) ||
    (code >= 0x3000 && code <= 0x303f) ||
    (code >= 0xd800 && code <= 0xdfff) ||
    (code >= 0xfe10 && code <= 0xfe6f) ||
    code === 0x0964 ||
    code === 0x0965 ||
    code === 0x060c ||
    code === 0x061f ||
    code === 0x06d4 ||
    code === 0x3002 ||
    code === 0xff0c ||
    code === 0xff1a
  )
    return C_SEP;
  return C_OTHER;
}
function foldOf(code: number): number {
  if (code < TABLE_SIZE) return FOLD[code] ?? code;
  if (code >= 0xff01 && code <= 0xff5e) return FOLD[code - 0xfee0] ?? code - 0xfee0;
  return code;
}

// --- hashing and the lexicon ----------------------------------------------------------------------------------

const B = 0x01000193;
const POW = new Int32Array(65);
POW[0] = 1;
for (let i = 1; i < POW.length; i++) POW[i] = Math.imul(POW[i - 1] ?? 1, B);
const MAX_WORD = 48;

/** Open-addressing table from (hash, length) to word-class flags. */
class HashTable {
  private readonly mask: number;
  private readonly keys: Int32Array;
  private readonly lens: Uint8Array;
  private readonly vals: Int32Array;
  constructor(size: number) {
    this.mask = size - 1;
    this.keys = new Int32Array(size);
    this.lens = new Uint8Array(size);
    this.vals = new Int32Array(size);
  }
  add(hash: number, length: number, flags: number): void {
    let slot = (hash ^ (hash >>> 15)) & this.mask;
    while (this.lens[slot] !== 0 && !(this.keys[slot] === hash && this.lens[slot] === length)) slot = (slot + 1) & this.mask;
    this.keys[slot] = hash;
    this.lens[slot] = length;
    this.vals[slot] = (this.vals[slot] ?? 0) | flags;
  }
  get(hash: number, length: number): number {
    let slot = (hash ^ (hash >>> 15)) & this.mask;
    for (;;) {
      const len = this.lens[slot] ?? 0;
      if (len === 0) return 0;
      if (len === length && this.keys[slot] === hash) return this.vals[slot] ?? 0;
      slot = (slot + 1) & this.mask;
    }
  }
}

/** Marks a word that one-edit matching must never take for a fuzzy word. */
const NOFUZZ = 1 << 30;
const hashWord = (word: string): number => {
  let h = 0;
  for (let i = 0; i < word.length; i++) h = (Math.imul(h, B) + word.charCodeAt(i)) | 0;
  return h;
};

const lexicon = new HashTable(4096);
/**
 * Every word at one edit (Damerau: insertion, deletion, substitution of a-z, transposition) from a fuzzy word,
 * so a misspelling costs one probe. ~21 words × ~55 variants each.
 */
const fuzzy = new HashTable(32_768);
/** A 64 Kbit Bloom filter (two bits per variant) in front of `fuzzy`: most words are rejected from L1 cache. */
const fuzzyBloom = new Int32Array(2048);
const bloomAdd = (h: number): void => {
  const a = h & 0xffff;
  const b = Math.imul(h, 0x9e3779b1) >>> 16;
  fuzzyBloom[a >>> 5] = (fuzzyBloom[a >>> 5] ?? 0) | (1 << (a & 31));
  fuzzyBloom[b >>> 5] = (fuzzyBloom[b >>> 5] ?? 0) | (1 << (b & 31));
};
const bloomHas = (h: number): boolean => {
  const a = h & 0xffff;
  const b = Math.imul(h, 0x9e3779b1) >>> 16;
  return (((fuzzyBloom[a >>> 5] ?? 0) >>> (a & 31)) & ((fuzzyBloom[b >>> 5] ?? 0) >>> (b & 31)) & 1) === 1;
};
/**
 * The fuzzy words with one letter deleted: a word that shares one of these with a fuzzy word (each with one
 * letter deleted) is one insertion and one deletion away ("ovveride" → "overide" ← "override").
 */
const deletions = new HashTable(2048);
/** By first letter: a bit for each length a fuzzy word with that first letter has, ± 1. */
const FUZZY_LENGTHS = new Int32Array(128);
/**
 * Shapes of the fuzzy words for the second-chance lookup, which keeps both ends of a word ("ovveride",
 * "instrcutions"): first and last letter, length ± 1, and the second or the second-to-last letter, as a
 * 64 Kbit set (a rare false hit only costs one lookup).
 */
const FUZZY_SHAPES = new Int32Array(2048);
const shapeBit = (first: number, last: number, inner: number, length: number, side: number): number =>
  Math.imul(((((first * 128 + last) * 128 + inner) * 32 + length) << 1) | side, 0x9e3779b1) >>> 16;
const addShape = (bit: number): void => {
  FUZZY_SHAPES[bit >>> 5] = (FUZZY_SHAPES[bit >>> 5] ?? 0) | (1 << (bit & 31));
};
const hasShape = (bit: number): boolean => (((FUZZY_SHAPES[bit >>> 5] ?? 0) >>> (bit & 31)) & 1) === 1;
let fuzzyMin = 99;
let fuzzyMax = 0;
/**
 * Fills the lexicon and the one-edit tables (~1,200 variants hashed): done by the first analysis, not at
 * import, so a process that imports the guardrails without scanning text does not pay for it.
 */
let tablesBuilt = false;
function buildTables(): void {
  tablesBuilt = true;
  for (const [flags, list] of LEXICON) for (const word of list) lexicon.add(hashWord(word), word.length, flags);
  for (const word of FUZZY_STOP) lexicon.add(hashWord(word), word.length, NOFUZZ);
  for (const word of FUZZY_WORDS) {
    const flags = lexicon.get(hashWord(word), word.length) & ~NOFUZZ;
    const variants = new Set<string>();
    for (let k = 0; k <= word.length; k++) {
      if (k < word.length) variants.add(word.slice(0, k) + word.slice(k + 1));
      if (k + 1 < word.length) variants.add(word.slice(0, k) + word.charAt(k + 1) + word.charAt(k) + word.slice(k + 2));
      for (let c = 97; c <= 122; c++) {
        const letter = String.fromCharCode(c);
        variants.add(word.slice(0, k) + letter + word.slice(k));
        if (k < word.length) variants.add(word.slice(0, k) + letter + word.slice(k + 1));
      }
    }
    variants.delete(word);
    for (const variant of variants) {
      // A real word of another meaning at one edit ("forgot", "systems") stays itself.
      if (lexicon.get(hashWord(variant), variant.length) !== 0) continue;
      fuzzy.add(hashWord(variant), variant.length, flags);
      bloomAdd(hashWord(variant));
    }
    for (let k = 0; k < word.length; k++) {
      const deleted = word.slice(0, k) + word.slice(k + 1);
      if (lexicon.get(hashWord(deleted), deleted.length) === 0) deletions.add(hashWord(deleted), deleted.length, flags);
    }
    // Gate of the second-chance lookup: the same first letter, a length within one, and the same second or last letter.
    const first = word.charCodeAt(0);
    for (const length of [word.length - 1, word.length, word.length + 1])
      FUZZY_LENGTHS[first] = (FUZZY_LENGTHS[first] ?? 0) | (1 << length);
    // The first letter dropped or swapped with the second: the word starts with the second letter.
    const second = word.charCodeAt(1);
    FUZZY_LENGTHS[second] = (FUZZY_LENGTHS[second] ?? 0) | (1 << (word.length - 1)) | (1 << word.length);
    const last = word.charCodeAt(word.length - 1);
    for (const length of [word.length - 1, word.length, word.length + 1]) {
      addShape(shapeBit(first, last, word.charCodeAt(1), length, 0));
      addShape(shapeBit(first, last, word.charCodeAt(word.length - 2), length, 1));
    }
    fuzzyMin = Math.min(fuzzyMin, word.length - 1);
    fuzzyMax = Math.max(fuzzyMax, word.length + 1);
  }
}
const H_FROM = hashWord('from');
const H_BY = hashWord('by');
const H_OF = hashWord('of');
const H_ABOUT = hashWord('about');
const H_WITH = hashWord('with');
const H_TO = hashWord('to');
const H_PLEASE = hashWord('please');
const H_KINDLY = hashWord('kindly');
const H_AND = hashWord('and');
const H_THEN = hashWord('then');
const H_ALSO = hashWord('also');
const H_NOW = hashWord('now');
const H_JUST = hashWord('just');
const H_IMMEDIATELY = hashWord('immediately');
const H_STOP = hashWord('stop');
const H_LONGER = hashWord('longer');
const H_AM = hashWord('am');
const H_I = hashWord('i');
const H_YOK = hashWord('yok');
const H_SAY = hashWord('say');
const H_LANGUAGE = hashWord('language');
const H_CODING = hashWord('coding');
const H_AUTOMATED = hashWord('automated');
const H_AUTONOMOUS = hashWord('autonomous');
const H_GO = hashWord('go');
const H_BACK = hashWord('back');
const H_NO = hashWord('no');
const H_ONE = hashWord('one');
const H_USER = hashWord('user');
const H_CUSTOMER = hashWord('customer');
const H_ANYONE = hashWord('anyone');
const H_SYSTEM = hashWord('system');
const H_DEVELOPER = hashWord('developer');
const H_PRE = hashWord('pre');
const H_APPROVED = hashWord('approved');
const H_THE = hashWord('the');
const H_YOUR = hashWord('your');
const H_WITHOUT = hashWord('without');
const H_ORIGINAL = hashWord('original');
/** Modifiers that follow the object ("the instructions above", "instrucciones anteriores", "the rules you were given"). */
const POST_MODIFIERS = new Set(
  [
    'above',
    'previous',
    'prior',
    'earlier',
    'preceding',
    'given',
    'told',
    'before',
    'precedentes',
    'precedente',
    'anterieures',
    'anterieurs',
    'anteriores',
    'previas',
    'precedenti',
    'sebelumnya',
    'السابقة',
  ].map(hashWord),
);
/** "send", "forward", "email" and "mail" (the second half of "e-mail"). */
const SEND_VERBS = new Set(['send', 'forward', 'email', 'mail'].map(hashWord));
/** What may stand between a send verb and "to": determiners and what is sent. */
const SEND_OBJECTS = new Set(
  [
    'all',
    'the',
    'this',
    'a',
    'an',
    'email',
    'mail',
    'e',
    'message',
    'data',
    'conversation',
    'details',
    'information',
    'password',
    'credentials',
  ].map(hashWord),
);
/** Top-level domains that make a dotted word a host name ("deals.example", "x.io"); two letters always count. */
const TLDS = new Set(
  [
    'com',
    'org',
    'net',
    'info',
    'biz',
    'app',
    'dev',
    'shop',
    'store',
    'online',
    'site',
    'xyz',
    'example',
    'test',
    'invalid',
    'email',
    'cloud',
    'tech',
  ].map(hashWord),
);
const RESUME = new Set(['continue', 'resume', 'proceed', 'carry'].map(hashWord));

// --- tokens ------------------------------------------------------------------------------------------------------

const T_LINE = 1; // first token of a line
const T_SENT = 2; // first token of a sentence
const T_CLAUSE = 4; // first token of a clause (after : , ; ( [ { " — or a sentence start)
const T_COLON = 8; // followed by ":"
const T_COMMA = 16; // followed by ","
const T_AT = 32; // directly after "@"
const T_JOIN = 64; // joined to the previous token by "-", "_" or "'"
const T_QUOTE = 128; // inside quotation marks
const T_OBF = 256; // matched only after undoing obfuscation
const T_FUZZY = 512; // matched with one edit
const T_CAPS = 1024; // written in capitals
const T_NUM = 2048; // a number
const T_EMAIL = 4096; // part of an e-mail address
const T_DOT = 8192; // joined to a neighbour by "." (domains, file names)
const T_MONEY = 16_384; // a number after a currency sign
const T_HASHES = 32_768; // after "#" at the start of a line (markdown heading)

/** Token storage, reused across scans (the analysis is synchronous and not re-entrant): 8 integers a token. */
const STRIDE = 8;
const START = 0;
const END = 1;
const CLS = 2;
const FLAGS = 3;
const HASH = 4;
const LEN = 5;
const SENTENCE = 6;
let T = new Int32Array(1024 * STRIDE);
let tokenCount = 0;
/** Makes room for at least `needed` tokens. */
function reserve(needed: number): void {
  if (needed * STRIDE <= T.length) return;
  let size = T.length;
  while (size < needed * STRIDE) size *= 2;
  const next = new Int32Array(size);
  next.set(T);
  T = next;
}

const SEEN_LOWER = 1 << 1;
const SEEN_UPPER = 1 << 2;
const SEEN_DIGIT = 1 << 3;
/** ASCII fast path: what a character adds to a word's `seen` bits (0: a separator). */
const ASCII_SEEN = new Uint8Array(128);
for (let c = 0; c < 128; c++)
  ASCII_SEEN[c] = c >= 97 && c <= 122 ? SEEN_LOWER : c >= 65 && c <= 90 ? SEEN_UPPER : c >= 48 && c <= 57 ? SEEN_DIGIT : 0;
/** ASCII word characters in one read: the `seen` bit in the high byte, the lower-case unit in the low byte; 0: a separator. */
const ASCII_WORD = new Uint16Array(128);
for (let c = 0; c < 128; c++) {
  const bit = ASCII_SEEN[c] ?? 0;
  ASCII_WORD[c] = bit === 0 ? 0 : (bit << 8) | (c >= 65 && c <= 90 ? c + 32 : c);
}
const SEEN_CONFUSABLE = 1 << 4;
const SEEN_OTHER = 1 << 5;
const SEEN_INVISIBLE = 1 << 6;
const SEEN_WIDE_LATIN = 1 << 7;

const prefixHash = new Int32Array(MAX_WORD + 1);
const suffixHash = new Int32Array(MAX_WORD + 1);
/**
 * Second-chance fuzzy lookup of the ASCII word text[from, from + length): is one of its one-letter deletions
 * a one-letter deletion of a fuzzy word? O(length) with prefix and suffix hashes.
 */
function indelLookup(text: string, from: number, length: number): number {
  prefixHash[0] = 0;
  for (let k = 0; k < length; k++) prefixHash[k + 1] = (Math.imul(prefixHash[k] ?? 0, B) + (FOLD[text.charCodeAt(from + k)] ?? 0)) | 0;
  suffixHash[length] = 0;
  for (let k = length - 1; k >= 0; k--)
    suffixHash[k] = (Math.imul(FOLD[text.charCodeAt(from + k)] ?? 0, POW[length - 1 - k] ?? 0) + (suffixHash[k + 1] ?? 0)) | 0;
  for (let k = 0; k < length; k++) {
    const found = deletions.get((Math.imul(prefixHash[k] ?? 0, POW[length - 1 - k] ?? 0) + (suffixHash[k + 1] ?? 0)) | 0, length - 1);
    if (found !== 0) return found;
  }
  return 0;
}

/** Re-hashes text[from, to) with leet digits and look-alike letters resolved (`one`: what "1" stands for). */
function rehash(text: string, from: number, to: number, leet: boolean, one: number, confuse: boolean): number {
  let h = 0;
  for (let i = from; i < to; i++) {
    const code = text.charCodeAt(i);
    const kind = classOf(code);
    if (kind === C_INVISIBLE || kind === C_SEP) continue;
    let c = foldOf(code);
    if (kind === C_DIGIT && leet) c = c === 49 ? one : (LEET[c] ?? 0) || c;
    else if (kind === C_CONFUSABLE && confuse) c = CONFUSE[c] ?? c;
    h = (Math.imul(h, B) + c) | 0;
  }
  return h;
}

/** Splits `text` into normalised word tokens (see the module comment). Linear: each character is read once. */
function tokenise(text: string): void {
  if (!tablesBuilt) buildTables();
  const n = text.length;
  tokenCount = 0;
  // A token takes at least two characters of text (a letter and a separator), so this is enough room.
  reserve((n >>> 1) + 2);
  const t = T;
  let count = 0;
  let sentence = 0;
  let singles = 0;
  let longestSingles = 0;
  // What the gap before the next token says about it.
  let gap = T_LINE | T_SENT | T_CLAUSE;
  let inQuote = false;
  let gapLength = 0;
  let lastGapChar = 0;
  // The word being read: its start, length (without invisible characters), hash and kinds of characters.
  let inWord = false;
  let start = 0;
  let length = 0;
  let h = 0;
  let seen = 0;
  // One loop over every character (and one past the end, read as a line break, which ends the last word).
  for (let i = 0; i <= n; i++) {
    const code = i < n ? text.charCodeAt(i) : 10;
    if (code < 128) {
      const v = ASCII_WORD[code] ?? 0;
      if (v !== 0) {
        if (!inWord) {
          inWord = true;
          start = i;
        }
        seen |= v >>> 8;
        h = (Math.imul(h, B) + (v & 0xff)) | 0;
        length++;
        continue;
      }
    } else {
      const k = classOf(code);
      if (k !== C_SEP) {
        if (!inWord) {
          inWord = true;
          start = i;
        }
        if (k === C_INVISIBLE) seen |= SEEN_INVISIBLE;
        else {
          seen |= k === C_LATIN ? SEEN_WIDE_LATIN : k === C_DIGIT ? SEEN_DIGIT : k === C_CONFUSABLE ? SEEN_CONFUSABLE : SEEN_OTHER;
          h = (Math.imul(h, B) + foldOf(code)) | 0;
          length++;
        }
        continue;
      }
    }
    // A separator (or the end): the word before it, if any, becomes a token.
    if (inWord) {
      inWord = false;
      if (length > 0) {
        let flags = gap & (T_LINE | T_SENT | T_CLAUSE | T_AT | T_HASHES);
        if (gapLength === 1) flags |= gap & (T_JOIN | T_DOT);
        if (inQuote) flags |= T_QUOTE;
        if (length >= 2 && (seen & (SEEN_UPPER | SEEN_LOWER)) === SEEN_UPPER) flags |= T_CAPS;
        if ((gap & T_SENT) !== 0 && count > 0) sentence++;
        let cls = 0;
        const letters = seen & (SEEN_LOWER | SEEN_UPPER | SEEN_WIDE_LATIN | SEEN_CONFUSABLE | SEEN_OTHER);
        if (letters === 0) {
          flags |= T_NUM;
          if ((gap & T_MONEY) !== 0) flags |= T_MONEY;
        } else if (length <= MAX_WORD) {
          const latin = (seen & (SEEN_LOWER | SEEN_UPPER | SEEN_WIDE_LATIN)) !== 0;
          const mixedScript = (seen & SEEN_CONFUSABLE) !== 0 && (latin || (seen & SEEN_OTHER) === 0) && length > 1;
          const leet = (seen & SEEN_DIGIT) !== 0 && (latin || (seen & SEEN_CONFUSABLE) !== 0);
          if (mixedScript || leet) h = rehash(text, start, i, leet, 105, mixedScript);
          cls = lexicon.get(h, length);
          if (cls === 0 && leet) {
            // "1" is "i" or "l": retry with "l".
            const again = rehash(text, start, i, true, 108, mixedScript);
            const found = lexicon.get(again, length);
            if (found !== 0) {
              h = again;
              cls = found;
            }
          }
          if ((mixedScript || leet || (seen & SEEN_INVISIBLE) !== 0) && cls !== 0 && (cls & NOFUZZ) === 0) flags |= T_OBF;
          if (
            cls === 0 &&
            (seen & SEEN_OTHER) === 0 &&
            length < 31 &&
            (((FUZZY_LENGTHS[FOLD[text.charCodeAt(start)] ?? 0] ?? 0) >>> length) & 1) === 1
          ) {
            // A misspelling keeps the first letter or swaps/drops it: most words are rejected by first letter and length.
            if (bloomHas(h)) cls = fuzzy.get(h, length);
            if (cls === 0 && seen === (seen & (SEEN_LOWER | SEEN_UPPER))) {
              const first = FOLD[text.charCodeAt(start)] ?? 0;
              {
                const last = FOLD[text.charCodeAt(i - 1)] ?? 0;
                if (
                  hasShape(shapeBit(first, last, FOLD[text.charCodeAt(start + 1)] ?? 0, length, 0)) ||
                  hasShape(shapeBit(first, last, FOLD[text.charCodeAt(i - 2)] ?? 0, length, 1))
                )
                  cls = indelLookup(text, start, length);
              }
            }
            if (cls !== 0) flags |= T_FUZZY;
          }
          cls &= ~NOFUZZ;
        }
        if (count > 0) {
          const p = (count - 1) * STRIDE;
          const previous = t[p + FLAGS] ?? 0;
          // An "@" directly between two words: both belong to an e-mail address; so do the domain's later parts.
          if (lastGapChar === 64 && gapLength === 1 && t[p + END] === start - 1) {
            t[p + FLAGS] = previous | T_EMAIL;
            flags |= T_EMAIL;
          } else if ((previous & T_EMAIL) !== 0 && (flags & (T_DOT | T_JOIN)) !== 0) flags |= T_EMAIL;
          if ((flags & T_DOT) !== 0) t[p + FLAGS] = (t[p + FLAGS] ?? 0) | T_DOT;
        }
        if (length === 1 && gapLength === 1) {
          singles++;
          if (singles > longestSingles) longestSingles = singles;
        } else singles = length === 1 ? 1 : 0;
        const w = count * STRIDE;
        t[w] = start;
        t[w + END] = i;
        t[w + CLS] = cls;
        t[w + FLAGS] = flags;
        t[w + HASH] = h;
        t[w + LEN] = length;
        t[w + SENTENCE] = sentence;
        count++;
        // The separator being read starts the next gap (and sets lastGapChar).
        gap = 0;
        gapLength = 0;
      }
      length = 0;
      h = 0;
      seen = 0;
    }
    if (i === n) break;
    if (code === 32) {
      gapLength++;
      lastGapChar = 32;
      continue;
    }
    {
      const c = code >= 0xff01 && code <= 0xff5e ? code - 0xfee0 : code;
      gapLength++;
      lastGapChar = c;
      if (c === 10 || c === 13) {
        gap = (gap & ~T_HASHES) | T_LINE | T_SENT | T_CLAUSE;
        inQuote = false;
      } else if (c === 46 || c === 33 || c === 63 || c === 0x3002 || c === 0x0964 || c === 0x06d4) {
        // "." directly between two words is part of a domain or file name, not a sentence end.
        if (c === 46 && gapLength === 1 && i + 1 < n && classOf(text.charCodeAt(i + 1)) !== C_SEP) gap |= T_DOT;
        else gap |= T_SENT | T_CLAUSE;
      } else if (c === 58 || c === 44 || c === 59 || c === 40 || c === 91 || c === 123 || c === 0x2014 || c === 0x2013 || c === 124) {
        // A colon after a word (or after up to two spaces: "IA :"), or a comma right after it, marks that word.
        if (count > 0 && (gap & T_CLAUSE) === 0) {
          if (c === 58 && gapLength <= 3) t[(count - 1) * STRIDE + FLAGS] = (t[(count - 1) * STRIDE + FLAGS] ?? 0) | T_COLON;
          else if (c === 44 && gapLength === 1) t[(count - 1) * STRIDE + FLAGS] = (t[(count - 1) * STRIDE + FLAGS] ?? 0) | T_COMMA;
        }
        gap |= T_CLAUSE;
      } else if (c === 64) gap |= T_AT;
      else if (c === 36 || c === 0x20ac || c === 0xa3 || c === 0xa5) gap |= T_MONEY;
      else if (c === 35 && (gap & T_LINE) !== 0) gap |= T_HASHES;
      else if (c === 34 || c === 0x201c || c === 0x201d || c === 0xab || c === 0xbb || c === 0x201e || c === 0x300c || c === 0x300d) {
        inQuote = c === 0x201d || c === 0xbb || c === 0x300d ? false : c === 34 ? !inQuote : true;
        gap |= T_CLAUSE;
      } else if (c === 39 || c === 0x2018 || c === 0x2019) {
        const before = i > 0 ? classOf(text.charCodeAt(i - 1)) : C_SEP;
        const after = i + 1 < n ? classOf(text.charCodeAt(i + 1)) : C_SEP;
        if (before !== C_SEP && after !== C_SEP) {
          if (gapLength === 1) gap |= T_JOIN;
        } else {
          inQuote = !inQuote;
          gap |= T_CLAUSE;
        }
      } else if ((c === 45 || c === 95) && gapLength === 1 && i + 1 < n && classOf(text.charCodeAt(i + 1)) !== C_SEP) gap |= T_JOIN;
    }
  }
  tokenCount = count;
  // Letter-spaced words need three one-letter tokens in a row.
  if (longestSingles >= 3) mergeSpelled(text);
}

/**
 * Joins runs of at least three one-letter tokens separated by the same single character ("d i s r e g a r d",
 * "i.g.n.o.r.e") into one token and looks it up. Linear: each token is visited once.
 */
function mergeSpelled(text: string): void {
  const t = T;
  let write = 0;
  let read = 0;
  const count = tokenCount;
  while (read < count) {
    let runEnd = read;
    if ((t[read * STRIDE + LEN] ?? 0) === 1) {
      const sep = text.charCodeAt(t[read * STRIDE + END] ?? 0);
      while (
        runEnd + 1 < count &&
        (t[(runEnd + 1) * STRIDE + LEN] ?? 0) === 1 &&
        (t[(runEnd + 1) * STRIDE] ?? 0) === (t[runEnd * STRIDE + END] ?? 0) + 1 &&
        text.charCodeAt(t[runEnd * STRIDE + END] ?? 0) === sep &&
        runEnd - read < MAX_WORD - 1
      )
        runEnd++;
    }
    const r = read * STRIDE;
    const w = write * STRIDE;
    if (runEnd - read >= 2) {
      let h = 0;
      let length = 0;
      for (let k = read; k <= runEnd; k++) {
        const c = foldOf(text.charCodeAt(t[k * STRIDE] ?? 0));
        const folded = c >= 48 && c <= 57 ? (LEET[c] ?? c) || c : classOf(c) === C_CONFUSABLE ? (CONFUSE[c] ?? c) : c;
        length++;
        h = (Math.imul(h, B) + folded) | 0;
      }
      let found = lexicon.get(h, length) & ~NOFUZZ;
      let fuzzyHit = false;
      if (found === 0 && length >= fuzzyMin && length <= fuzzyMax && bloomHas(h)) {
        found = fuzzy.get(h, length);
        fuzzyHit = found !== 0;
      }
      const e = runEnd * STRIDE;
      t[w + START] = t[r + START] ?? 0;
      t[w + END] = t[e + END] ?? 0;
      t[w + CLS] = found;
      t[w + FLAGS] =
        ((t[r + FLAGS] ?? 0) & ~(T_COLON | T_COMMA)) |
        ((t[e + FLAGS] ?? 0) & (T_COLON | T_COMMA)) |
        (found !== 0 ? T_OBF : 0) |
        (fuzzyHit ? T_FUZZY : 0);
      t[w + HASH] = h;
      t[w + LEN] = length;
      t[w + SENTENCE] = t[r + SENTENCE] ?? 0;
      write++;
      read = runEnd + 1;
      continue;
    }
    if (write !== read) for (let f = 0; f < STRIDE; f++) t[w + f] = t[r + f] ?? 0;
    write++;
    read++;
  }
  tokenCount = write;
}

// --- the structural pass ------------------------------------------------------------------------------------------

/** Weights of the structural signals (documented in the package README). */
export const STRUCTURE_WEIGHTS = {
  override: 0.75,
  overrideWeakObject: 0.6,
  overrideBare: 0.45,
  overrideBareWeakObject: 0.3,
  addressee: 0.3,
  addresseeUser: 0.1,
  addressedInstruction: 0.6,
  addressedInstructionWeak: 0.4,
  addressedInstructionUser: 0.15,
  taskPrecondition: 0.5,
  taskPreconditionUser: 0.3,
  answerPrecondition: 0.3,
  taskResume: 0.4,
  authority: 0.25,
  subversion: 0.4,
  subversionWithout: 0.3,
  secrecy: 0.3,
  toolIntent: 0.25,
  roleLineSystem: 0.45,
  roleLineWeak: 0.25,
  forgedTranscript: 0.3,
  obfuscation: 0.3,
  sendToAddress: 0.4,
} as const;

const isStrongObject = (i: number): boolean => ((T[i * STRIDE + CLS] ?? 0) & W.STRONG_OBJECT) !== 0;
const has = (i: number, flag: number): boolean => ((T[i * STRIDE + CLS] ?? 0) & flag) !== 0;
const flagged = (i: number, flag: number): boolean => ((T[i * STRIDE + FLAGS] ?? 0) & flag) !== 0;
const is = (i: number, hash: number): boolean => T[i * STRIDE + HASH] === hash;
const sameSentence = (a: number, b: number): boolean => T[a * STRIDE + SENTENCE] === T[b * STRIDE + SENTENCE];

/** An imperative position: clause start, or after please/and/then/also/now/just/immediately/first/modal/"to". */
function imperativeAt(at: number): boolean {
  let i = at;
  // "e-mail": the compound starts at its first part.
  while (i > 0 && flagged(i, T_JOIN) && at - i < 3) i--;
  if (flagged(i, T_CLAUSE)) return true;
  const p = i - 1;
  if (p < 0) return true;
  return (
    is(p, H_PLEASE) ||
    is(p, H_KINDLY) ||
    is(p, H_AND) ||
    is(p, H_THEN) ||
    is(p, H_ALSO) ||
    is(p, H_NOW) ||
    is(p, H_JUST) ||
    is(p, H_IMMEDIATELY) ||
    is(p, H_TO) ||
    has(p, W.PRE) ||
    has(p, W.MODAL) ||
    has(p, W.ADDRESSEE)
  );
}

/** A token that directs the reader: an imperative, an obligation, an override, a plea. */
function directiveAt(i: number): boolean {
  const cls = T[i * STRIDE + CLS] ?? 0;
  if ((cls & (W.OVERRIDE | W.MODAL | W.SECRET)) !== 0) return true;
  if ((cls & W.MODAL_TO) !== 0 && i + 1 < tokenCount && is(i + 1, H_TO)) return true;
  if (is(i, H_PLEASE) || is(i, H_KINDLY)) return true;
  if ((cls & (W.ACT | W.DIRECT | W.LIFT | W.TELL | W.TASK_VERB | W.FOLLOW)) !== 0 && imperativeAt(i)) return true;
  return false;
}

/** Is the AI noun at `i` qualified so that it means an AI (for weak nouns: agent, model)? */
function aiNoun(i: number): 0 | 1 | 2 {
  if (has(i, W.ADDRESSEE)) return 2;
  if (!has(i, W.ADDRESSEE_WEAK)) return 0;
  const p = i - 1;
  if (p >= 0 && (has(p, W.ADDRESSEE) || is(p, H_LANGUAGE) || is(p, H_CODING) || is(p, H_AUTOMATED) || is(p, H_AUTONOMOUS))) return 2;
  if (i + 2 < tokenCount && has(i + 2, W.ADDRESSEE) && !flagged(i + 2, T_CLAUSE)) return 2; // "asistente de IA"
  return 1;
}

/**
 * Finds the structural signals of `text`. `origin` says who wrote it: for the user's own input, addressing
 * the assistant and asking it to act is normal, so those shapes weigh less.
 */
export function analyseStructure(text: string, origin: InjectionOrigin): StructureResult {
  tokenise(text);
  const count = tokenCount;
  const signals: StructureSignal[] = [];
  const content = origin === 'content';
  let meta = false;
  let roleLines = 0;
  let roleLinesWithAct = 0;
  let roleFirst = -1;
  let lastAddressee = -1;
  let addresseeStrength = 0;
  let addresseeEmitted = -1;
  const emit = (signal: StructureSignalKind, weight: number, from: number, to: number, message: string): void => {
    if (signals.length < 64)
      signals.push({ signal, weight, start: T[from * STRIDE + START] ?? 0, end: T[to * STRIDE + END] ?? 0, message });
  };
  const span = (from: number, to: number): string => {
    const s = text.slice(T[from * STRIDE + START] ?? 0, T[to * STRIDE + END] ?? 0);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  };
  const obfuscated = (from: number, to: number): boolean => {
    for (let k = from; k <= to; k++) if (flagged(k, T_OBF | T_FUZZY)) return true;
    return false;
  };

  for (let i = 0; i < count; i++) {
    const cls = T[i * STRIDE + CLS] ?? 0;
    if ((cls & W.META) !== 0) meta = true;
    if (cls === 0 && !flagged(i, T_EMAIL | T_MONEY | T_NUM | T_DOT)) continue;

    // Override: VERB … OBJECT within six words of one sentence, not negated ("do not ignore").
    if ((cls & W.OBJECT) !== 0) {
      for (let k = i - 1; k >= 0 && k >= i - 6 && sameSentence(k, i); k--) {
        const verb =
          has(k, W.OVERRIDE) ||
          (has(k, W.FOLLOW) &&
            k > 0 &&
            (has(k - 1, W.NEGATION) || is(k - 1, H_STOP) || is(k - 1, H_LONGER) || (k > 1 && has(k - 2, W.NEGATION))));
        if (!verb) continue;
        if (!has(k, W.FOLLOW) && k > 0 && (has(k - 1, W.NEGATION) || (k > 1 && has(k - 2, W.NEGATION) && !has(k - 1, W.OBJECT)))) break;
        let modified = false;
        for (let m = k + 1; m < i; m++) if (has(m, W.MODIFIER) && !is(m, H_THE)) modified = true;
        for (let m = i + 1; m < count && m <= i + 4 && sameSentence(m, i); m++)
          if (POST_MODIFIERS.has(T[m * STRIDE + HASH] ?? 0)) modified = true;
        const strong = isStrongObject(i);
        const weight = modified
          ? strong
            ? STRUCTURE_WEIGHTS.override
            : STRUCTURE_WEIGHTS.overrideWeakObject
          : strong
            ? STRUCTURE_WEIGHTS.overrideBare
            : STRUCTURE_WEIGHTS.overrideBareWeakObject;
        const tricked = obfuscated(k, i);
        emit('instruction-override', weight, k, i, `instruction override${tricked ? ' (obfuscated or misspelt)' : ''}: "${span(k, i)}"`);
        if (tricked) emit('obfuscation', STRUCTURE_WEIGHTS.obfuscation, k, i, `obfuscated or misspelt override: "${span(k, i)}"`);
        break;
      }
    }
    // SOV languages: OBJECT … VERB; Turkish "yok say".
    if ((cls & W.OVERRIDE_SOV) !== 0 || (is(i, H_SAY) && i > 0 && is(i - 1, H_YOK))) {
      for (let k = i - 1; k >= 0 && k >= i - 6 && sameSentence(k, i); k--) {
        if (!has(k, W.OBJECT)) continue;
        let modified = false;
        for (let m = Math.max(0, k - 3); m < i; m++) if (m !== k && has(m, W.MODIFIER)) modified = true;
        emit(
          'instruction-override',
          modified ? STRUCTURE_WEIGHTS.override : STRUCTURE_WEIGHTS.overrideBare,
          k,
          i,
          `instruction override: "${span(k, i)}"`,
        );
        break;
      }
    }

    // Addressee: a noun naming an AI, in a construction that addresses it.
    const ai = aiNoun(i);
    if (
      ai !== 0 &&
      !(i + 1 < count && aiNoun(i + 1) !== 0 && !flagged(i + 1, T_CLAUSE)) &&
      !(i + 1 < count && has(i + 1, W.COMPOUND_HEAD) && !flagged(i + 1, T_CLAUSE))
    ) {
      let from = -1;
      // The word before the noun phrase ("your AI assistant" talks about an assistant).
      let det = i - 1;
      while (det >= 0 && det > i - 3 && aiNoun(det) !== 0) det--;
      const possessive = det >= 0 && (is(det, H_YOUR) || (has(det, W.POSSESSIVE) && !has(det, W.MODIFIER | W.TO)));
      // (a) to/for/dear/note … [the|all] [adjectives] NOUN, where the address is marked: a colon or comma after
      // it, a reader clause, or the address opening its clause or bracket.
      for (let k = i - 1; k >= 0 && k >= i - 4 && sameSentence(k, i); k--) {
        if (is(k, H_FROM) || is(k, H_BY) || is(k, H_OF) || is(k, H_ABOUT) || is(k, H_WITH) || (has(k, W.POSSESSIVE) && !has(k, W.MODIFIER)))
          break;
        if (is(k, H_YOUR)) break;
        if (has(k, W.TO) || has(k, W.LABEL)) {
          // The address is marked: a colon after it or a reader clause ("… reading this"); or, for a noun that
          // surely means an AI, the address opens its clause ("Dear assistant, …", "(for the AI: …") or heads a line.
          const marked =
            flagged(i, T_COLON) ||
            (i + 1 < count && has(i + 1, W.READER)) ||
            (ai === 2 &&
              (flagged(k, T_CLAUSE) ||
                (k > 0 && has(k - 1, W.LABEL | W.AUTHORITY) && flagged(k - 1, T_CLAUSE)) ||
                (i + 1 < count && flagged(i + 1, T_LINE))));
          if (marked) from = k;
          break;
        }
        if (flagged(k, T_CLAUSE) && !has(k, W.ADDRESSEE | W.ADDRESSEE_WEAK | W.MODIFIER | W.YOU)) break;
      }
      // (b) vocative: "AI agent: …", "Assistant, …" (one word alone at a line start is a role label, not an address).
      if (from === -1 && flagged(i, T_COLON | T_COMMA) && !possessive) {
        const lone = flagged(i, T_LINE) && has(i, W.ROLE);
        const clauseStart =
          flagged(i, T_CLAUSE) || (i > 0 && flagged(i - 1, T_CLAUSE) && (aiNoun(i - 1) !== 0 || has(i - 1, W.MODIFIER | W.TO)));
        // A bare "Agents:" heads notes for human support agents: only a noun that means an AI counts here.
        if (!lone && ai === 2 && (flagged(i, T_COLON) || clauseStart)) from = i;
      }
      // (c) reader: "agents reading this", "the AI assistant summarising this calendar".
      if (from === -1 && i + 1 < count && has(i + 1, W.READER) && !possessive) from = i;
      // (d) "@support-bot" mentions and "assistant_instructions" / "ai_directive" labels.
      // A mention names the AI last ("@support-bot"); "@ai-sdk/provider" is a package scope.
      const endsHandle = !(i + 1 < count && flagged(i + 1, T_JOIN));
      if (from === -1 && endsHandle && (flagged(i, T_AT) || (flagged(i, T_JOIN) && i > 0 && flagged(i - 1, T_AT)))) from = i;
      if (
        from === -1 &&
        ((i + 1 < count && flagged(i + 1, T_JOIN) && has(i + 1, W.LABEL | W.OBJECT)) ||
          (flagged(i, T_JOIN) && i > 0 && has(i - 1, W.LABEL)))
      )
        from = i;
      // (f) a third-person order at the start of a clause: "Assistant must …", "The AI should …".
      if (
        from === -1 &&
        ai === 2 &&
        i + 1 < count &&
        (has(i + 1, W.MODAL) || (has(i + 1, W.MODAL_TO) && i + 2 < count && is(i + 2, H_TO))) &&
        (flagged(i, T_CLAUSE) || (det >= 0 && det === i - 1 && is(det, H_THE) && flagged(det, T_CLAUSE)))
      )
        from = det === i - 1 && is(det, H_THE) ? det : i;
      // (e) apposition: "you, the assistant".
      if (
        from === -1 &&
        i >= 2 &&
        (has(i - 1, W.MODIFIER) || has(i - 1, W.YOU)) &&
        (flagged(i - 2, T_COMMA) || (i >= 3 && flagged(i - 3, T_COMMA) && has(i - 3, W.YOU)))
      )
        if (has(i - 2, W.YOU) || has(i - 3, W.YOU)) from = i - 2;
      if (from !== -1 && !possessive) {
        lastAddressee = i;
        addresseeStrength = ai;
        if (addresseeEmitted === -1 || signals.length < 8) {
          emit(
            'addressee',
            content ? STRUCTURE_WEIGHTS.addressee : STRUCTURE_WEIGHTS.addresseeUser,
            from,
            i,
            `text addressed to an AI: "${span(from, i)}"`,
          );
          addresseeEmitted = i;
        }
        if (obfuscated(from, i)) emit('obfuscation', STRUCTURE_WEIGHTS.obfuscation, from, i, `obfuscated addressee: "${span(from, i)}"`);
      }
    }
    // A directive after the address (within 40 words): an addressed instruction.
    if (lastAddressee !== -1 && i > lastAddressee && i - lastAddressee <= 40 && directiveAt(i)) {
      const weight = !content
        ? STRUCTURE_WEIGHTS.addressedInstructionUser
        : addresseeStrength === 2
          ? STRUCTURE_WEIGHTS.addressedInstruction
          : STRUCTURE_WEIGHTS.addressedInstructionWeak;
      emit('addressed-instruction', weight, lastAddressee, i, `instruction addressed to an AI: "${span(lastAddressee, i)}"`);
      lastAddressee = -1;
    }

    // Precondition on the agent's task: "before you (can) solve the task", "prior to completing …".
    if ((cls & W.PRE) !== 0) {
      let taskVerb = -1;
      let taskNoun = -1;
      for (let k = i + 1; k < count && k <= i + 6 && sameSentence(k, i); k++) {
        if (taskVerb === -1 && has(k, W.TASK_VERB) && k <= i + 4) taskVerb = k;
        if (has(k, W.TASK_NOUN)) {
          taskNoun = k;
          break;
        }
      }
      if (taskNoun !== -1 && (taskVerb !== -1 || taskNoun <= i + 3))
        emit(
          'task-precondition',
          content ? STRUCTURE_WEIGHTS.taskPrecondition : STRUCTURE_WEIGHTS.taskPreconditionUser,
          i,
          taskNoun,
          `precondition on the agent's task: "${span(i, taskNoun)}"`,
        );
      else if (taskVerb !== -1 && content)
        emit(
          'task-precondition',
          STRUCTURE_WEIGHTS.answerPrecondition,
          i,
          taskVerb,
          `precondition on the agent's answer: "${span(i, taskVerb)}"`,
        );
    }
    // "to complete your task, you first have to …" and "then carry on with the original task".
    if ((cls & W.TASK_NOUN) !== 0 && i > 0) {
      let verb = -1;
      let resume = false;
      for (let k = i - 1; k >= 0 && k >= i - 4 && sameSentence(k, i); k--) {
        if (has(k, W.TASK_VERB)) verb = k;
        if (RESUME.has(T[k * STRIDE + HASH] ?? 0) || is(k, H_ORIGINAL) || (is(k, H_GO) && k + 1 < i && is(k + 1, H_BACK))) resume = true;
      }
      if (resume)
        emit(
          'task-precondition',
          content ? STRUCTURE_WEIGHTS.taskResume : STRUCTURE_WEIGHTS.taskPreconditionUser,
          Math.max(0, i - 4),
          i,
          `return to the agent's task: "${span(Math.max(0, i - 4), i)}"`,
        );
      else if (verb !== -1) {
        let obliged = -1;
        let acts = false;
        for (let k = i + 1; k < count && k <= i + 14; k++) {
          // The obligation falls on the reader: "you (first) must/have to …", or an imperative "first, send …".
          const secondPerson = (k > 0 && has(k - 1, W.YOU)) || (k > 1 && has(k - 2, W.YOU)) || (k > 2 && has(k - 3, W.YOU));
          if (
            obliged === -1 &&
            k <= i + 8 &&
            (has(k, W.PRE) || has(k, W.MODAL) || (has(k, W.MODAL_TO) && k + 1 < count && is(k + 1, H_TO))) &&
            (secondPerson || (has(k, W.PRE) && flagged(k, T_CLAUSE)))
          )
            obliged = k;
          if (obliged !== -1 && k > obliged && has(k, W.ACT | W.DIRECT)) acts = true;
        }
        if (obliged !== -1 && acts)
          emit(
            'task-precondition',
            content ? STRUCTURE_WEIGHTS.taskPrecondition : STRUCTURE_WEIGHTS.taskPreconditionUser,
            verb,
            obliged,
            `precondition on the agent's task: "${span(verb, obliged)}"`,
          );
      }
    }

    // Authority: "important message", "urgent instruction", "admin notice"; "from the security team"; "I am your developer".
    if ((cls & W.AUTHORITY) !== 0) {
      let claimed = -1;
      if (i + 1 < count && has(i + 1, W.LABEL) && sameSentence(i, i + 1)) claimed = i + 1;
      else if (i + 2 < count && has(i + 2, W.LABEL) && has(i + 1, W.AUTHORITY) && sameSentence(i, i + 2)) claimed = i + 2;
      let from = i;
      for (let k = i - 1; k >= 0 && k >= i - 3; k--)
        if (is(k, H_FROM)) {
          claimed = i;
          from = k;
          break;
        }
      if (i >= 3 && is(i - 3, H_I) && is(i - 2, H_AM) && has(i - 1, W.POSSESSIVE)) {
        claimed = i;
        from = i - 3;
      }
      if (claimed === -1 && flagged(i, T_CAPS) && (flagged(i, T_CLAUSE) || flagged(i, T_COLON))) claimed = i;
      if (claimed !== -1)
        emit('authority-claim', STRUCTURE_WEIGHTS.authority, from, claimed, `authority or urgency framing: "${span(from, claimed)}"`);
    }

    // Subversion of a control: "skip the approval", "bypass the filter", "the limit has been lifted", "without approval".
    if ((cls & W.CONTROL) !== 0) {
      let done = false;
      for (let k = i - 1; k >= 0 && k >= i - 4 && sameSentence(k, i); k--) {
        if ((has(k, W.LIFT) || has(k, W.OVERRIDE)) && !(k > 0 && has(k - 1, W.NEGATION))) {
          emit('policy-subversion', STRUCTURE_WEIGHTS.subversion, k, i, `a control switched off: "${span(k, i)}"`);
          done = true;
          break;
        }
        if (has(k, W.NEGATION) && k >= i - 2 && !has(k, W.MODIFIER)) {
          emit('control-waived', STRUCTURE_WEIGHTS.subversionWithout, k, i, `a control waived: "${span(k, i)}"`);
          done = true;
          break;
        }
      }
      if (!done)
        for (let k = i + 1; k < count && k <= i + 4 && sameSentence(k, i); k++)
          if (has(k, W.LIFT) && !has(k - 1, W.NEGATION)) {
            emit('policy-subversion', STRUCTURE_WEIGHTS.subversion, i, k, `a control switched off: "${span(i, k)}"`);
            break;
          }
    }
    if (is(i, H_APPROVED) && i > 0 && is(i - 1, H_PRE) && flagged(i, T_JOIN))
      emit('policy-subversion', STRUCTURE_WEIGHTS.subversion, i - 1, i, `a control waived: "${span(i - 1, i)}"`);

    // Secrecy: "do not tell the user", "without asking anyone", "tell nobody", "silently".
    if ((cls & W.SECRET) !== 0) emit('secrecy', STRUCTURE_WEIGHTS.secrecy, i, i, `secrecy: "${span(i, i)}"`);
    else if ((cls & W.TELL) !== 0) {
      const negated = (i > 0 && has(i - 1, W.NEGATION)) || (i > 1 && has(i - 2, W.NEGATION));
      const nobody = i + 2 < count && is(i + 1, H_NO) && is(i + 2, H_ONE);
      if (negated || nobody) {
        const who =
          i + 2 < count &&
          (is(i + 1, H_USER) || is(i + 2, H_USER) || is(i + 1, H_CUSTOMER) || is(i + 2, H_CUSTOMER) || is(i + 1, H_ANYONE));
        if (who || nobody || (i > 0 && is(i - 1, H_WITHOUT)))
          emit('secrecy', STRUCTURE_WEIGHTS.secrecy, Math.max(0, i - 2), i, `secrecy: "${span(Math.max(0, i - 2), i)}"`);
      }
    }

    // "send/forward/e-mail [the data] to someone@…": a request to move data to an address (both origins).
    if (SEND_VERBS.has(T[i * STRIDE + HASH] ?? 0)) {
      for (let k = i + 1; k < count && k <= i + 4; k++) {
        if (is(k, H_TO)) {
          if (k + 1 < count && flagged(k + 1, T_EMAIL))
            emit('tool-coercion', STRUCTURE_WEIGHTS.sendToAddress, i, k + 1, `data sent to an address: "${span(i, k + 1)}"`);
          break;
        }
        if (!SEND_OBJECTS.has(T[k * STRIDE + HASH] ?? 0)) break;
      }
    }

    // Tool intent in content: a side-effect verb in imperative position with a target in its sentence.
    if (content && (cls & W.ACT) !== 0 && imperativeAt(i)) {
      for (let k = i + 1; k < count && k <= i + 12 && sameSentence(k, i); k++) {
        const f = T[k * STRIDE + FLAGS] ?? 0;
        const target =
          (f & (T_EMAIL | T_MONEY)) !== 0 ||
          ((f & T_DOT) !== 0 &&
            k > 0 &&
            flagged(k - 1, T_DOT) &&
            ((T[k * STRIDE + LEN] ?? 0) === 2 || TLDS.has(T[k * STRIDE + HASH] ?? 0))) ||
          ((f & T_NUM) !== 0 && ((k + 1 < count && has(k + 1, W.CURRENCY)) || (k > 0 && has(k - 1, W.CURRENCY)))) ||
          (has(k, W.ALL) && k <= i + 2);
        if (target) {
          emit('tool-intent', STRUCTURE_WEIGHTS.toolIntent, i, k, `side effect requested in content: "${span(i, k)}"`);
          break;
        }
      }
    }

    // Role lines: "System: …" (or "SYSTEM:" anywhere) followed by a directive on its line; transcripts.
    if (
      (cls & W.ROLE) !== 0 &&
      flagged(i, T_COLON) &&
      (flagged(i, T_LINE) || flagged(i, T_HASHES) || (flagged(i, T_CAPS) && flagged(i, T_CLAUSE)))
    ) {
      const system = is(i, H_SYSTEM) || is(i, H_DEVELOPER);
      let directive = -1;
      let acts = false;
      for (let k = i + 1; k < count && k <= i + 30 && !(flagged(k, T_LINE) && k > i + 1); k++) {
        if (directive === -1 && (directiveAt(k) || has(k, W.YOU | W.OBJECT | W.CONTROL | W.ADDRESSEE))) directive = k;
        if (has(k, W.ACT)) acts = true;
      }
      if (system) {
        if (directive !== -1)
          emit('role-line', STRUCTURE_WEIGHTS.roleLineSystem, i, directive, `a system role line: "${span(i, directive)}"`);
        else emit('role-line', STRUCTURE_WEIGHTS.roleLineWeak, i, i, `a system role line: "${span(i, i)}"`);
      } else if (flagged(i, T_LINE) || flagged(i, T_HASHES)) {
        roleLines++;
        if (acts) roleLinesWithAct++;
        if (roleFirst === -1) roleFirst = i;
      }
    }
  }
  if (content && roleLines >= 2 && roleLinesWithAct >= 1 && roleFirst !== -1)
    emit('forged-transcript', STRUCTURE_WEIGHTS.forgedTranscript, roleFirst, roleFirst, `${roleLines} chat role lines in content`);
  return { signals, meta };
}

/** Exported for tests: the tokens of a text as [normalised word, flags] (flags: obfuscated, fuzzy). */
export function tokeniseForTest(text: string): { text: string; cls: number; obfuscated: boolean; fuzzy: boolean }[] {
  tokenise(text);
  const out: { text: string; cls: number; obfuscated: boolean; fuzzy: boolean }[] = [];
  for (let i = 0; i < tokenCount; i++)
    out.push({
      text: text.slice(T[i * STRIDE + START], T[i * STRIDE + END]),
      cls: T[i * STRIDE + CLS] ?? 0,
      obfuscated: flagged(i, T_OBF),
      fuzzy: flagged(i, T_FUZZY),
    });
  return out;
}
