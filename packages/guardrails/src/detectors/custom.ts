import { GuardrailError, GuardrailErrorCode } from '../errors.js';
import { escapeRegExp, type TextView } from './common.js';

export interface CustomPatternSpec {
  readonly entity: string;
  readonly pattern: string;
  readonly keywords?: readonly string[] | undefined;
  readonly caseInsensitive?: boolean | undefined;
}

export interface DictionarySpec {
  readonly entity: string;
  readonly terms: readonly string[];
}

export interface EntityMatcher {
  scan(view: TextView, emit: (start: number, end: number, entity: string) => void): void;
}

const MAX_BOUND = 256;

/**
 * Rejects patterns that could backtrack super-linearly: unbounded quantifiers (`*`, `+`, `{n,}`),
 * bounds above 256, quantified groups that contain quantifiers, and back-references.
 * Returns a reason, or undefined when the pattern is accepted.
 */
export function unsafePatternReason(source: string): string | undefined {
  const groupHasQuantifier: boolean[] = [];
  let i = 0;
  const markQuantifier = (): void => {
    if (groupHasQuantifier.length > 0) groupHasQuantifier[groupHasQuantifier.length - 1] = true;
  };
  while (i < source.length) {
    const char = source[i];
    if (char === '\\') {
      const next = source[i + 1] ?? '';
      if (/[1-9k]/.test(next)) return 'back-references are not allowed';
      i += 2;
      continue;
    }
    if (char === '[') {
      i++;
      while (i < source.length && source[i] !== ']') i += source[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (char === '(') {
      groupHasQuantifier.push(false);
      i++;
      continue;
    }
    if (char === ')') {
      const lastGroupHadQuantifier = groupHasQuantifier.pop() ?? false;
      if (lastGroupHadQuantifier) markQuantifier();
      i++;
      const after = source[i];
      if (lastGroupHadQuantifier && (after === '*' || after === '+' || after === '?' || after === '{'))
        return 'a quantified group contains a quantifier (nested quantifiers)';
      continue;
    }
    if (char === '*' || char === '+') return `unbounded quantifier "${char}": use a bounded repeat such as {1,64}`;
    if (char === '{') {
      const close = source.indexOf('}', i);
      const body = close === -1 ? '' : source.slice(i + 1, close);
      const bounds = /^(\d{1,4})(,(\d{0,4}))?$/.exec(body);
      if (bounds) {
        if (bounds[2] !== undefined && bounds[3] === '') return `unbounded quantifier "{${body}}": give an upper bound`;
        const upper = Number(bounds[3] ?? bounds[1]);
        if (upper > MAX_BOUND) return `repeat bound ${upper} is above ${MAX_BOUND}`;
        markQuantifier();
        i = close + 1;
        continue;
      }
    }
    if (char === '?') markQuantifier();
    i++;
  }
  return undefined;
}

/** Compiles a user pattern after the linear-time check; throws `GUARDRAILS_UNSAFE_PATTERN`. */
export function compileCustomPattern(spec: CustomPatternSpec): EntityMatcher {
  const reason = unsafePatternReason(spec.pattern);
  if (reason !== undefined) {
    throw new GuardrailError(
      GuardrailErrorCode.UnsafePattern,
      `custom pattern for ${spec.entity} (${JSON.stringify(spec.pattern)}) is rejected: ${reason}`,
    );
  }
  let regex: RegExp;
  try {
    regex = new RegExp(spec.pattern, spec.caseInsensitive === true ? 'gi' : 'g');
  } catch (error) {
    throw new GuardrailError(
      GuardrailErrorCode.UnsafePattern,
      `custom pattern for ${spec.entity} is not a valid regular expression: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const keywords = (spec.keywords ?? []).map((keyword) => keyword.toLowerCase());
  return {
    scan(view, emit) {
      if (keywords.length > 0 && !keywords.some((keyword) => view.lower.includes(keyword))) return;
      regex.lastIndex = 0;
      let match: RegExpExecArray | null;
      while ((match = regex.exec(view.text)) !== null) {
        if (match[0].length === 0) {
          regex.lastIndex++;
          continue;
        }
        emit(match.index, match.index + match[0].length, spec.entity);
      }
    },
  };
}

const WORD = /\w/;

/** Builds case-insensitive whole-word alternations of literal terms, longest first, 200 terms a regex. */
export function literalAlternations(terms: readonly string[]): RegExp[] {
  const unique = [...new Set(terms.map((term) => term.trim()).filter((term) => term.length > 0))].sort(
    (a, b) => b.length - a.length || (a < b ? -1 : 1),
  );
  const regexes: RegExp[] = [];
  for (let i = 0; i < unique.length; i += 200) {
    const body = unique
      .slice(i, i + 200)
      .map((term) => `${WORD.test(term[0] ?? '') ? '\\b' : ''}${escapeRegExp(term)}${WORD.test(term.at(-1) ?? '') ? '\\b' : ''}`)
      .join('|');
    regexes.push(new RegExp(body, 'gi'));
  }
  return regexes;
}

/** Scans with literal alternations, reporting each occurrence once. */
export function scanLiterals(regexes: readonly RegExp[], text: string, emit: (start: number, end: number) => void): void {
  for (const regex of regexes) {
    regex.lastIndex = 0;
    let match: RegExpExecArray | null;
    while ((match = regex.exec(text)) !== null) emit(match.index, match.index + match[0].length);
  }
}

export function compileDictionary(spec: DictionarySpec): EntityMatcher {
  const regexes = literalAlternations(spec.terms);
  return {
    scan(view, emit) {
      scanLiterals(regexes, view.text, (start, end) => {
        emit(start, end, spec.entity);
      });
    },
  };
}
