import type { TSESLint } from '@typescript-eslint/utils';

type RuleEntries = Readonly<Record<string, TSESLint.SharedConfig.RuleEntry>>;

/** Every rule at `error` with its defaults. */
export const recommendedRules: RuleEntries = {
  '@charter/require-tool-timeout': 'error',
  '@charter/require-tool-version': 'error',
  '@charter/require-approval-for-irreversible': 'error',
  '@charter/require-idempotency-key': 'error',
  '@charter/no-unvalidated-model-output': 'error',
  '@charter/no-untrusted-content-in-system-prompt': 'error',
  '@charter/require-run-budget': 'error',
  '@charter/no-hardcoded-secrets': 'error',
  '@charter/no-direct-tool-execute': 'error',
  '@charter/tools-declared-in-manifest': 'error',
};

/** Recommended, plus: code that defines tools must sit beside a manifest, tighter loop and timeout bounds. */
export const strictRules: RuleEntries = {
  ...recommendedRules,
  '@charter/require-tool-timeout': ['error', { maxMs: 60_000 }],
  '@charter/require-approval-for-irreversible': ['error', { requireManifest: true }],
  '@charter/require-run-budget': ['error', { maxSteps: 25, maxTurns: 25 }],
  '@charter/tools-declared-in-manifest': ['error', { requireManifest: true }],
};
