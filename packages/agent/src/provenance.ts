// Provenance (information-flow control) in the loop, ADR 0011. Every piece of context carries a trust
// label: trusted — the system instructions, the manifest's tool descriptions, the run's facts, the
// user's request, and the results of tools the manifest declares trusted (less their untrusted fields);
// untrusted — every other tool result. Before a side-effecting call, `check` asks whether the call is
// grounded in trusted context: the user's request asks for that kind of action (the grant's intent
// words), and every value that picks a target or an amount (addresses, hosts, identifiers, numbers) has
// a trusted origin. A value found only in untrusted content, or chosen after untrusted content was read
// and found nowhere trusted, is not grounded: the reasons go to the guardrail engine, which gives them
// the policy's provenance action (`provenance.ungrounded`). Deterministic: no model is asked.
import type { LanguageModelV3Message, LanguageModelV3ToolResultOutput } from '@ai-sdk/provider';
import type { ToolGrant } from '@charter/spec';
import { intentTerms } from './intent.js';
import type { PlannedCall, RunState } from './state.js';

export { intentTerms };

/** The untrusted content a value came from: a tool result. */
export interface ProvenanceSource {
  readonly tool: string;
  readonly callId: string;
}

/** Why a side-effecting call is not grounded in trusted context. */
export interface Ungrounded {
  /**
   * `intent`: the user's request does not ask for this kind of action; `value`: the value appears only
   * in untrusted content; `derived`: the value appears nowhere trusted and was chosen after untrusted
   * content was read.
   */
  readonly kind: 'intent' | 'value' | 'derived';
  /** JSON pointer of the argument (`""` for `intent`). */
  readonly path: string;
  /** The value as the model gave it (at most 120 characters). */
  readonly value?: string;
  /** The untrusted tool result the value came from (`value`), or the latest one read before the call (`derived`, `intent`). */
  readonly source?: ProvenanceSource;
  /** What an approver reads. */
  readonly message: string;
}

/** Longest text (in characters) read for values; the rest of a longer text is not indexed. */
const MAX_TEXT = 65_536;
const MAX_VALUE_SHOWN = 120;
const MAX_DEPTH = 16;

/** Lower-case words of a text (runs of letters and digits). */
export function words(text: string): string[] {
  const input = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
  return input.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A word of the text matches a word of a term when equal or an inflection of it (-s, -es, -ed, -d, -ing). */
function inflects(word: string, base: string): boolean {
  if (word === base) return true;
  if (!word.startsWith(base.endsWith('e') ? base.slice(0, -1) : base)) return false;
  const rest = word.slice(base.length);
  if (rest === 's' || rest === 'es' || rest === 'ed' || rest === 'd' || rest === 'ing') return true;
  return base.endsWith('e') && word === `${base.slice(0, -1)}ing`;
}

/** True when the words contain one of the terms (a multi-word term as consecutive words). */
export function mentions(textWords: readonly string[], terms: readonly (readonly string[])[]): boolean {
  for (const term of terms) {
    const first = term[0];
    if (first === undefined) continue;
    for (let i = 0; i + term.length <= textWords.length; i++) {
      let all = true;
      for (let j = 0; j < term.length; j++) {
        if (!inflects(textWords[i + j] ?? '', term[j] ?? '')) {
          all = false;
          break;
        }
      }
      if (all) return true;
    }
  }
  return false;
}

// --- values: what picks a target or an amount --------------------------------------------------------

const EMAIL = /^[^\s@]{1,64}@[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){1,8}$/i;
const DOMAIN = /^(?:[a-z0-9-]{1,63}\.){1,8}[a-z]{2,24}$/i;
const NUMBER = /^[+-]?(?:\d{1,3}(?:,\d{3}){1,5}|\d{1,15})(?:\.\d{1,6})?$/;
const TRIM_START = /^[.:#$€£¥+~=-]{1,8}/;
const TRIM_END = /[.:,;!?%-]{1,8}$/;
const CURRENCY_SUFFIX = /(?:usd|eur|gbp)$/i;
// The characters TRIM_START and TRIM_END remove: a chunk that neither starts nor ends with one skips both regexes.
const TRIM_START_CHARS = '.:#$€£¥+~=-';
const TRIM_END_CHARS = '.:,;!?%-';

/** True when a chunk has a digit, `@`, `.` or `:`: every key needs one (numbers, identifiers, addresses, hosts, URLs). */
function valueLike(raw: string): boolean {
  for (let i = 0; i < raw.length; i++) {
    const code = raw.charCodeAt(i);
    if ((code >= 48 && code <= 58) || code === 64 || code === 46) return true; // 0-9 and ':', '@', '.'
  }
  return false;
}

// The keys of value-like chunks seen lately (`null`: no key): the same identifiers and addresses recur
// from step to step (the request, each result, each call's arguments), so most chunks are looked up
// instead of run through the regexes again. Bounded: emptied when full.
const MEMO_MAX = 4_096;
const MEMO_LONGEST = 300;
const memo = new Map<string, string | null>();

/** The canonical key of one value-like chunk, or undefined for an ordinary word. */
function chunkKey(raw: string): string | undefined {
  // Most chunks of prose are plain words: skip them before any regex runs.
  if (!valueLike(raw)) return undefined;
  if (raw.length > MEMO_LONGEST) return computeKey(raw);
  const known = memo.get(raw);
  if (known !== undefined) return known ?? undefined;
  const key = computeKey(raw);
  if (memo.size >= MEMO_MAX) memo.clear();
  memo.set(raw, key ?? null);
  return key;
}

function computeKey(raw: string): string | undefined {
  let chunk = raw;
  if (TRIM_START_CHARS.includes(chunk.charAt(0))) chunk = chunk.replace(TRIM_START, '');
  if (TRIM_END_CHARS.includes(chunk.charAt(chunk.length - 1))) chunk = chunk.replace(TRIM_END, '');
  if (chunk.length === 0 || chunk.length > 256) return undefined;
  const lower = chunk.toLowerCase();
  if (lower.startsWith('http://') || lower.startsWith('https://')) {
    try {
      return `h:${new URL(chunk).hostname.toLowerCase()}`;
    } catch {
      return undefined;
    }
  }
  if (chunk.includes('@')) return EMAIL.test(chunk) ? `e:${lower}` : undefined;
  if (CURRENCY_SUFFIX.test(chunk) && NUMBER.test(chunk.slice(0, -3))) chunk = chunk.slice(0, -3);
  if (NUMBER.test(chunk)) return `n:${String(Number(chunk.replaceAll(',', '')))}`;
  if (DOMAIN.test(chunk)) return `h:${lower}`;
  if (/\d/.test(chunk) && /^[\w./-]{1,64}$/.test(chunk)) return `i:${lower}`;
  return undefined;
}

/** Separators between chunks: whitespace, quotes, brackets, `;`, `|`, `*` (a comma may group digits: trimmed from a chunk's end instead). */
function isSeparator(code: number): boolean {
  return (
    code <= 32 || code === 34 || code === 39 || code === 40 || code === 41 || code === 59 || code === 60 ||
    code === 62 || code === 91 || code === 93 || code === 96 || code === 123 || code === 124 || code === 125 || code === 42
  ); // prettier-ignore
}

/** True when a chunk could hold an address or a host (`@`, `.` or `:`): the only keys free text is checked by. */
function addressLike(raw: string): boolean {
  return raw.includes('@') || raw.includes('.') || raw.includes(':');
}

/**
 * Calls `emit` with the key of every value-like chunk of a text (addresses, hosts, numbers, identifiers);
 * with `addressesOnly`, of the chunks that can be an e-mail address or a host (the rest are skipped unread).
 */
export function textValues(text: string, emit: (key: string) => void, addressesOnly = false): void {
  const input = text.length > MAX_TEXT ? text.slice(0, MAX_TEXT) : text;
  let start = -1;
  for (let i = 0; i <= input.length; i++) {
    if (i === input.length || isSeparator(input.charCodeAt(i))) {
      if (start !== -1) {
        const chunk = input.slice(start, i);
        const key = addressesOnly && !addressLike(chunk) ? undefined : chunkKey(chunk);
        if (key !== undefined) emit(key);
        start = -1;
      }
    } else if (start === -1) start = i;
  }
}

/** True when a text has no separator: it is one chunk, whose key `argumentKey` gives (so `textValues` adds nothing). */
function oneChunk(text: string): boolean {
  if (text.length > MAX_TEXT) return false;
  for (let i = 0; i < text.length; i++) if (isSeparator(text.charCodeAt(i))) return false;
  return true;
}

/** The keys of a string read from context: each value-like chunk of it, and the whole string as one value. */
function leafValues(text: string, emit: (key: string) => void): void {
  if (!oneChunk(text) || text.trim() !== text) textValues(text, emit);
  const whole = argumentKey(text);
  if (whole !== undefined) emit(whole);
}

/** The key an argument value is checked by, or undefined when the value picks nothing (a word, free text). */
function argumentKey(value: string): string | undefined {
  const trimmed = value.trim();
  if (trimmed === '' || /\s/.test(trimmed)) return undefined;
  return chunkKey(trimmed);
}

/** Where a leaf sits in JSON: object keys (strings) and array indices (numbers), from the root. */
type Path = readonly (string | number)[];

/** The JSON pointer of a path. */
function pointerOf(path: Path): string {
  let out = '';
  for (const segment of path)
    out += typeof segment === 'number' ? `/${segment}` : `/${segment.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return out;
}

/** The dotted key path of a path (indices left out): what `freeArgs` and `untrustedFields` name. */
function dottedOf(path: Path): string {
  let out = '';
  for (const segment of path) if (typeof segment === 'string') out = out === '' ? segment : `${out}.${segment}`;
  return out;
}

/**
 * Walks JSON: strings and numbers reach `leaf` with their path (one array, reused: read it in the call,
 * build a pointer or a dotted path from it only when needed).
 */
function walk(value: unknown, leaf: (value: string | number, path: Path) => void, path: (string | number)[] = []): void {
  if (path.length > MAX_DEPTH) return;
  if (typeof value === 'string' || typeof value === 'number') leaf(value, path);
  else if (Array.isArray(value)) {
    for (let index = 0; index < value.length; index++) {
      path.push(index);
      walk(value[index], leaf, path);
      path.pop();
    }
  } else if (typeof value === 'object' && value !== null) {
    for (const key in value) {
      if (!Object.hasOwn(value, key)) continue;
      path.push(key);
      walk((value as Record<string, unknown>)[key], leaf, path);
      path.pop();
    }
  }
}

function numberKey(value: number): string | undefined {
  return Number.isFinite(value) ? `n:${String(value)}` : undefined;
}

function shown(key: string): string {
  const text = key.slice(2);
  return text.length > MAX_VALUE_SHOWN ? `${text.slice(0, MAX_VALUE_SHOWN)}…` : text;
}

// --- per tool and per run ------------------------------------------------------------------------------

interface ToolTrust {
  readonly trusted: boolean;
  /** Dotted paths of a trusted result's untrusted fields. */
  readonly untrustedFields: readonly string[];
  readonly intent: readonly string[];
  readonly intentWords: readonly (readonly string[])[];
  readonly freeArgs: readonly string[];
}

function under(dotted: string, paths: readonly string[]): boolean {
  for (const path of paths) if (dotted === path || dotted.startsWith(`${path}.`)) return true;
  return false;
}

/**
 * What one run has read so far, by trust: updated with each new message (never rebuilt during a run);
 * rebuilt from the run state's messages after a resume. The agent's own trusted values (instructions,
 * tool descriptions) stay in the shared `base` set, not copied per run.
 */
class RunProvenance {
  readonly base: ReadonlySet<string>;
  /** The trusted values the run added (its facts, the request, trusted results). */
  readonly trusted = new Set<string>();
  readonly untrusted = new Map<string, ProvenanceSource>();
  /** The latest untrusted content read. */
  last: ProvenanceSource | undefined;
  request: string[] = [];
  readonly intent = new Map<string, boolean>();
  seenMessages = 0;
  answered = false;
  readonly seenResults = new Set<string>();

  constructor(base: ReadonlySet<string>) {
    this.base = base;
  }

  isTrusted(key: string): boolean {
    return this.base.has(key) || this.trusted.has(key);
  }
}

// A run's index is kept on its state under this symbol, not enumerable: never serialised or copied with
// the state, found by one property read. One symbol for every agent, so run states keep one shape.
const RUN_INDEX = Symbol('charter.provenance-run');
type Indexed = RunState & { readonly [RUN_INDEX]?: { readonly owner: Provenance; readonly run: RunProvenance } };

/** The provenance check of one agent: built once from the manifest's grants and the system prompt. */
export class Provenance {
  readonly #tools = new Map<string, ToolTrust>();
  readonly #base = new Set<string>();
  /** Runs whose state another check indexes already (never in the loop: a run state belongs to one agent). */
  readonly #others = new WeakMap<RunState, RunProvenance>();

  constructor(grants: readonly ToolGrant[], instructions: string) {
    for (const grant of grants) {
      const intent = intentTerms(grant);
      this.#tools.set(grant.name, {
        trusted: grant.provenance?.result === 'trusted',
        untrustedFields: grant.provenance?.untrustedFields ?? [],
        intent,
        intentWords: intent.map(words),
        freeArgs: grant.provenance?.freeArgs ?? [],
      });
      if (grant.description !== undefined) textValues(grant.description, (key) => this.#base.add(key));
    }
    textValues(instructions, (key) => this.#base.add(key));
  }

  /** The reasons the call is not grounded in trusted context; empty when it is. */
  check(state: RunState, call: PlannedCall): Ungrounded[] {
    const run = this.#sync(state);
    const trust = this.#tools.get(call.tool);
    const out: Ungrounded[] = [];
    if (trust !== undefined) {
      let asked = run.intent.get(call.tool);
      if (asked === undefined) {
        asked = mentions(run.request, trust.intentWords);
        run.intent.set(call.tool, asked);
      }
      if (!asked) {
        out.push({
          kind: 'intent',
          path: '',
          ...(run.last === undefined ? {} : { source: run.last }),
          message: `the user's request does not ask for ${call.tool} (none of: ${trust.intent.join(', ')})${
            run.last === undefined ? '' : `; the call came after reading untrusted content (${run.last.tool}, call ${run.last.callId})`
          }`,
        });
      }
    }
    const free = trust?.freeArgs ?? [];
    walk(call.args, (value, path) => {
      if (free.length > 0 && under(dottedOf(path), free)) return;
      if (typeof value === 'number') {
        const key = numberKey(value);
        if (key !== undefined) this.#checkKey(run, key, path, out);
        return;
      }
      const key = argumentKey(value);
      if (key !== undefined) {
        this.#checkKey(run, key, path, out);
        return;
      }
      // Free text picks no target by itself, but the addresses and links in it do.
      textValues(
        value,
        (inner) => {
          if (inner.startsWith('e:') || inner.startsWith('h:')) this.#checkKey(run, inner, path, out);
        },
        true,
      );
    });
    return out;
  }

  #checkKey(run: RunProvenance, key: string, path: Path, out: Ungrounded[]): void {
    if (run.isTrusted(key)) return;
    const pointer = pointerOf(path);
    if (out.some((reason) => reason.path === pointer && reason.value === shown(key))) return;
    const source = run.untrusted.get(key);
    if (source !== undefined) {
      out.push({
        kind: 'value',
        path: pointer,
        value: shown(key),
        source,
        message: `${pointer.slice(1) || 'the argument'} "${shown(key)}" comes from untrusted content (the result of ${source.tool}, call ${source.callId}), not from the user's request, the run's facts or a trusted result`,
      });
      return;
    }
    const last = run.last;
    if (last !== undefined) {
      out.push({
        kind: 'derived',
        path: pointer,
        value: shown(key),
        source: last,
        message: `${pointer.slice(1) || 'the argument'} "${shown(key)}" has no trusted source and was chosen after reading untrusted content (the result of ${last.tool}, call ${last.callId})`,
      });
    }
  }

  /** Reads what the run added since the last call: the request, facts, tool results. */
  #sync(state: RunState): RunProvenance {
    const held = (state as Indexed)[RUN_INDEX];
    let run = held?.owner === this ? held.run : held === undefined ? undefined : this.#others.get(state);
    if (run === undefined) {
      const fresh = new RunProvenance(this.#base);
      const trusted = (key: string): void => {
        fresh.trusted.add(key);
      };
      for (const value of Object.values(state.context)) {
        const all = typeof value === 'string' ? [value] : value;
        for (const item of all) leafValues(item, trusted);
      }
      if (held === undefined) Object.defineProperty(state, RUN_INDEX, { value: { owner: this, run: fresh }, enumerable: false });
      else this.#others.set(state, fresh);
      run = fresh;
    }
    const messages = state.messages;
    for (; run.seenMessages < messages.length; run.seenMessages++) {
      const message = messages[run.seenMessages];
      if (message !== undefined) this.#read(run, message);
    }
    for (const message of state.turnResults) this.#read(run, message);
    return run;
  }

  #read(run: RunProvenance, message: LanguageModelV3Message): void {
    switch (message.role) {
      case 'system':
        return;
      case 'assistant':
        run.answered = true;
        return;
      case 'user':
        // The request is what the user sent before the model's first turn; later user messages are the loop's repair prompts.
        if (run.answered) return;
        for (const part of message.content) {
          if (part.type !== 'text') continue;
          textValues(part.text, (key) => run.trusted.add(key));
          run.request.push(...words(part.text));
        }
        run.intent.clear();
        return;
      case 'tool':
        for (const part of message.content) {
          if (part.type !== 'tool-result' || run.seenResults.has(part.toolCallId)) continue;
          run.seenResults.add(part.toolCallId);
          this.#readResult(run, part.toolName, part.toolCallId, part.output);
        }
    }
  }

  #readResult(run: RunProvenance, tool: string, callId: string, output: LanguageModelV3ToolResultOutput): void {
    const trust = this.#tools.get(tool);
    const source: ProvenanceSource = { tool, callId };
    const untrusted = (key: string): void => {
      if (!run.untrusted.has(key)) run.untrusted.set(key, source);
    };
    const trusted = (key: string): void => {
      run.trusted.add(key);
    };
    let value: unknown;
    if (output.type === 'json' || output.type === 'error-json') {
      const wrapped = output.value as { untrusted?: unknown; source?: unknown; data?: unknown } | null;
      value = wrapped !== null && typeof wrapped === 'object' && !Array.isArray(wrapped) && 'data' in wrapped ? wrapped.data : output.value;
    } else if (output.type === 'text' || output.type === 'error-text') value = output.value;
    else return; // denied calls hold the loop's own words
    if (trust?.trusted !== true) {
      const seen = { read: false };
      walk(value, (leaf) => {
        seen.read = true;
        if (typeof leaf === 'number') {
          const key = numberKey(leaf);
          if (key !== undefined) untrusted(key);
        } else leafValues(leaf, untrusted);
      });
      if (seen.read) run.last = source;
      return;
    }
    walk(value, (leaf, path) => {
      const bad = trust.untrustedFields.length > 0 && under(dottedOf(path), trust.untrustedFields);
      if (bad) run.last = source;
      const emit = bad ? untrusted : trusted;
      if (typeof leaf === 'number') {
        const key = numberKey(leaf);
        if (key !== undefined) emit(key);
      } else leafValues(leaf, emit);
    });
  }
}
