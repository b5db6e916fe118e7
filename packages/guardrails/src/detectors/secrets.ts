import { GuardrailError, GuardrailErrorCode } from '../errors.js';
import type { GuardrailAction, RedactionMode } from '../types.js';
import { shannonEntropy, type Detector, type Sink, type TextView } from './common.js';
import { builtinKeywords, SECRET_BASE } from './prefilter.js';
import { hasPayload } from './keyword-scanner.js';
import { secretRules, type SecretRule } from './secret-rules.js';

export { secretRules } from './secret-rules.js';
export type { SecretRule } from './secret-rules.js';

// Values that are obviously placeholders, not credentials.
const PLACEHOLDER =
  /example|x{6}|\*{4}|changeme|placeholder|dummy|redacted|your[_-]|\$\{|\{\{|<[a-z]|process\.env|os\.environ|insert|sample|fake|test1234|1234567890|abcdefgh/i;

export interface SecretsOptions {
  readonly action: GuardrailAction;
  readonly rules?: readonly string[] | undefined;
  readonly exclude?: readonly string[] | undefined;
  readonly redaction: RedactionMode;
  readonly minEntropy: number;
  readonly id?: string | undefined;
}

interface CompiledRule {
  readonly rule: SecretRule;
  readonly regex: RegExp;
  /** Payload id of the rule in the shared built-in keyword scanner. */
  readonly payload: number;
}

/** Compiles the secrets detector: a keyword prefilter, then only the rules whose keyword occurs. */
export function compileSecrets(options: SecretsOptions): Detector {
  const known = new Set(secretRules.map((r) => r.id));
  for (const id of [...(options.rules ?? []), ...(options.exclude ?? [])]) {
    if (!known.has(id))
      throw new GuardrailError(GuardrailErrorCode.UnknownRule, `unknown secrets rule "${id}": known rules are ${[...known].join(', ')}`);
  }
  const only = options.rules ? new Set(options.rules) : undefined;
  const excluded = new Set(options.exclude ?? []);
  const compiled: CompiledRule[] = [];
  secretRules.forEach((r, i) => {
    if ((only ? only.has(r.id) : true) && !excluded.has(r.id))
      compiled.push({ rule: r, regex: new RegExp(r.regex.source, r.regex.flags), payload: SECRET_BASE + i });
  });
  const keywords = builtinKeywords();
  const prefix = options.id ?? 'secrets';
  return {
    name: 'secrets',
    action: options.action,
    scan(view: TextView, sink: Sink): void {
      const candidates = view.keywordHits(keywords);
      if (!candidates) return;
      const text = view.text;
      let covered: [number, number][] | undefined;
      for (const c of compiled) {
        if (!hasPayload(candidates, c.payload)) continue;
        const regex = c.regex;
        regex.lastIndex = 0;
        let match: RegExpExecArray | null;
        while ((match = regex.exec(text)) !== null) {
          const group = c.rule.secretGroup ?? 0;
          const value = match[group] ?? match[0];
          if (PLACEHOLDER.test(value)) continue;
          if (c.rule.generic === true && shannonEntropy(value) < options.minEntropy) continue;
          const valueOffset = group === 0 ? 0 : match[0].lastIndexOf(value);
          const start = match.index + valueOffset;
          const end = start + value.length;
          // A generic rule does not re-report a span a specific rule already covers.
          if (covered?.some(([from, to]) => start < to && end > from)) continue;
          (covered ??= []).push([start, end]);
          sink({
            ruleId: `${prefix}.${c.rule.id}`,
            entity: 'SECRET',
            severity: c.rule.severity,
            start,
            end,
            message: `${c.rule.description} found`,
            redaction: options.redaction,
          });
        }
      }
    },
  };
}

/** Internal patterns, exported for the linear-time test. */
export const secretsPatterns: readonly RegExp[] = [PLACEHOLDER];
