import { ESLintUtils } from '@typescript-eslint/utils';

/** Extra `meta.docs` fields of Charter rules. */
export interface CharterRuleDocs {
  /** Whether the rule needs type information (all rules that recognise Charter APIs do). */
  readonly requiresTypeChecking: boolean;
}

/** Where a rule's documentation lives. */
export const docsUrl = (name: string): string =>
  `https://github.com/charter-dev/charter/blob/main/packages/eslint-plugin/docs/rules/${name}.md`;

export const createRule = ESLintUtils.RuleCreator<CharterRuleDocs>(docsUrl);
