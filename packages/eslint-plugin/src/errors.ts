/** Stable codes of every error `@charter/eslint-plugin` throws. */
export const LintErrorCode = {
  /** A rule option is invalid (e.g. a manifest file name with a path separator). */
  BadOption: 'LINT_BAD_OPTION',
  /** A rule that needs type information ran without `parserOptions.projectService` / `project`. */
  NoTypeInformation: 'LINT_NO_TYPE_INFORMATION',
  /** An agent manifest could not be read or parsed as YAML. */
  ManifestUnreadable: 'LINT_MANIFEST_UNREADABLE',
} as const;
export type LintErrorCode = (typeof LintErrorCode)[keyof typeof LintErrorCode];

const marker = Symbol.for('charter.eslint-plugin.error');

/** Base class of every error thrown by `@charter/eslint-plugin`. */
export class LintError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'LintError';
  readonly code: LintErrorCode;

  constructor(code: LintErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a LintError from any copy of this package. */
  static isInstance(value: unknown): value is LintError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
