import { injectionRules } from './injection-rules.js';
import { KeywordScanner } from './keyword-scanner.js';
import { secretRules } from './secret-rules.js';

/** Payload id of `secretRules[i]` is `SECRET_BASE + i`; of `injectionRules[i]`, `INJECTION_BASE + i`. */
export const SECRET_BASE = 0;
export const INJECTION_BASE = secretRules.length;

let shared: KeywordScanner | undefined;

/**
 * One keyword scanner over the keywords of every built-in secret and injection rule. Both detectors
 * use this instance, so `TextView.keywordHits` scans a string once for both. Built on first use.
 */
export function builtinKeywords(): KeywordScanner {
  shared ??= new KeywordScanner([
    ...secretRules.flatMap((rule, i) => rule.keywords.map((keyword) => [keyword, SECRET_BASE + i] as const)),
    ...injectionRules.flatMap((rule, i) => rule.keywords.map((keyword) => [keyword, INJECTION_BASE + i] as const)),
  ]);
  return shared;
}
