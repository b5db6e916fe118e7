import type { TSESLint } from '@typescript-eslint/utils';
import type { ESLint, Linter } from 'eslint';
import { recommendedRules, strictRules } from './configs.js';
import noDirectToolExecute from './rules/no-direct-tool-execute.js';
import noHardcodedSecrets from './rules/no-hardcoded-secrets.js';
import noUntrustedContentInSystemPrompt from './rules/no-untrusted-content-in-system-prompt.js';
import noUnvalidatedModelOutput from './rules/no-unvalidated-model-output.js';
import requireApprovalForIrreversible from './rules/require-approval-for-irreversible.js';
import requireIdempotencyKey from './rules/require-idempotency-key.js';
import requireRunBudget from './rules/require-run-budget.js';
import requireToolTimeout from './rules/require-tool-timeout.js';
import requireToolVersion from './rules/require-tool-version.js';
import toolsDeclaredInManifest from './rules/tools-declared-in-manifest.js';

/** The plugin's version (kept equal to package.json by a test). */
export const VERSION = '0.1.0';

/** Every rule, by name (without the `@charter/` prefix). */
export const rules = {
  'no-direct-tool-execute': noDirectToolExecute,
  'no-hardcoded-secrets': noHardcodedSecrets,
  'no-untrusted-content-in-system-prompt': noUntrustedContentInSystemPrompt,
  'no-unvalidated-model-output': noUnvalidatedModelOutput,
  'require-approval-for-irreversible': requireApprovalForIrreversible,
  'require-idempotency-key': requireIdempotencyKey,
  'require-run-budget': requireRunBudget,
  'require-tool-timeout': requireToolTimeout,
  'require-tool-version': requireToolVersion,
  'tools-declared-in-manifest': toolsDeclaredInManifest,
} satisfies Record<string, TSESLint.RuleModule<string, readonly unknown[]>>;

export type RuleName = keyof typeof rules;

/** A flat config object (`eslint.config.js`): ESLint's own `Linter.Config`, so `defineConfig` and `tseslint.config` both accept it. */
export type CharterConfig = Linter.Config & { name: string; plugins: Record<string, ESLint.Plugin>; rules: Linter.RulesRecord };

/** The plugin object, typed as ESLint's `ESLint.Plugin` (the named export `rules` keeps the typescript-eslint rule types). */
export interface CharterPlugin extends ESLint.Plugin {
  meta: { name: '@charter/eslint-plugin'; version: string };
  configs: { recommended: CharterConfig; strict: CharterConfig };
}

const configs = {} as { recommended: CharterConfig; strict: CharterConfig };

// typescript-eslint's RuleModule and ESLint's RuleDefinition describe the same runtime object in two
// type packages that do not line up exactly; hence the cast.
const plugin: CharterPlugin = {
  meta: { name: '@charter/eslint-plugin', version: VERSION },
  rules: rules as unknown as NonNullable<ESLint.Plugin['rules']>,
  configs,
};

configs.recommended = { name: '@charter/recommended', plugins: { '@charter': plugin }, rules: { ...recommendedRules } };
configs.strict = { name: '@charter/strict', plugins: { '@charter': plugin }, rules: { ...strictRules } };

export default plugin;
export { configs };
export { LintError, LintErrorCode } from './errors.js';
export { MODEL_SOURCES, USER_SOURCES } from './util/taint.js';
export type { TaintKind } from './util/taint.js';
