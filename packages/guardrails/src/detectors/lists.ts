import type { GuardrailAction } from '../types.js';
import type { Detector, ScanExtra, Sink, TextView } from './common.js';
import { literalAlternations, scanLiterals } from './custom.js';

/** Topic and keyword deny-lists: whole-word, case-insensitive literal matches, one rule id per list. */
export function compileKeywords(options: {
  action: GuardrailAction;
  lists: readonly { id: string; terms: readonly string[] }[];
  id?: string | undefined;
}): Detector {
  const prefix = options.id ?? 'keywords';
  const lists = options.lists.map((list) => ({ id: list.id, regexes: literalAlternations(list.terms) }));
  return {
    name: 'keywords',
    action: options.action,
    scan(view: TextView, sink: Sink): void {
      const text = view.text;
      for (const list of lists) {
        scanLiterals(list.regexes, text, (start, end) => {
          sink({
            ruleId: `${prefix}.${list.id}`,
            entity: list.id.toUpperCase().replaceAll('-', '_'),
            severity: 'medium',
            start,
            end,
            message: `term "${text.slice(start, end)}" is on the "${list.id}" list`,
            redaction: 'mask',
          });
        });
      }
    },
  };
}

/** System-prompt leakage: a canary token planted in the system prompt appears in the text. */
export function compileCanary(options: { action: GuardrailAction; tokens: readonly string[]; id?: string | undefined }): Detector {
  const prefix = options.id ?? 'canary';
  const fixed = [...options.tokens];
  const check = (text: string, token: string, sink: Sink): void => {
    let at = text.indexOf(token);
    while (at !== -1) {
      sink({
        ruleId: `${prefix}.leak`,
        severity: 'critical',
        start: at,
        end: at + token.length,
        message: 'a canary token from the system prompt appears: the system prompt is leaking',
        redaction: 'mask',
      });
      at = text.indexOf(token, at + token.length);
    }
  };
  return {
    name: 'canary',
    action: options.action,
    scan(view: TextView, sink: Sink, extra?: ScanExtra): void {
      for (const token of fixed) check(view.text, token, sink);
      for (const token of extra?.canaries ?? []) if (token.length >= 8) check(view.text, token, sink);
    },
  };
}

/** Output length limit: the part beyond `maxChars` is reported (and cut when redacting). */
export function compileLength(options: { action: GuardrailAction; maxChars: number; id?: string | undefined }): Detector {
  const prefix = options.id ?? 'length';
  return {
    name: 'length',
    action: options.action,
    scan(view: TextView, sink: Sink): void {
      const length = view.text.length;
      if (length > options.maxChars) {
        sink({
          ruleId: `${prefix}.max`,
          severity: 'low',
          start: options.maxChars,
          end: length,
          message: `text is ${length} characters, more than the limit of ${options.maxChars}`,
          redaction: 'remove',
        });
      }
    },
  };
}
