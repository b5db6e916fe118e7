import type { DetectorConfig, GuardrailHook, GuardrailPack } from '@charter/spec';

/** A built-in set of per-hook detectors a policy can `extends`. */
export interface GuardrailPackDefinition {
  readonly name: GuardrailPack;
  readonly description: string;
  readonly hooks: Readonly<Partial<Record<GuardrailHook, readonly DetectorConfig[]>>>;
}

const pii = (action: DetectorConfig['action']): DetectorConfig => ({
  detector: 'pii',
  action,
  options: { redaction: 'placeholder', patterns: [], dictionaries: [] },
});
const secrets = (action: DetectorConfig['action']): DetectorConfig => ({
  detector: 'secrets',
  action,
  options: { exclude: [], redaction: 'mask', minEntropy: 3 },
});
const injection = (action: DetectorConfig['action'], threshold: number): DetectorConfig => ({
  detector: 'injection',
  action,
  threshold,
  options: { decode: true },
});

/**
 * The default: credentials never pass in either direction, PII is redacted on the way out, prompt
 * injection is denied at 0.6 from users and at the stricter 0.4 from tool results (untrusted content).
 */
export const recommended: GuardrailPackDefinition = Object.freeze({
  name: 'recommended',
  description:
    'Secrets redacted from input and denied in output and tool calls; PII redacted in output; injection denied (0.6 input, 0.4 tool results).',
  hooks: Object.freeze({
    input: [secrets('redact'), injection('deny', 0.6)],
    output: [pii('redact'), secrets('deny')],
    'tool-call': [secrets('deny')],
    'tool-result': [secrets('redact'), injection('deny', 0.4)],
  }),
});

/** For regulated data: PII redacted everywhere, PII in tool arguments needs approval, lower injection thresholds. */
export const strict: GuardrailPackDefinition = Object.freeze({
  name: 'strict',
  description:
    'PII redacted at every hook, PII in tool arguments needs approval, secrets denied, injection denied (0.4 input, 0.25 tool results).',
  hooks: Object.freeze({
    input: [pii('redact'), secrets('deny'), injection('deny', 0.4)],
    output: [pii('redact'), secrets('deny')],
    'tool-call': [pii('needs-approval'), secrets('deny')],
    'tool-result': [pii('redact'), secrets('redact'), injection('deny', 0.25)],
  }),
});

export const packs: Readonly<Record<GuardrailPack, GuardrailPackDefinition>> = Object.freeze({ recommended, strict });
