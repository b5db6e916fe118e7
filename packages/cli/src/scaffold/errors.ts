/** Stable codes of the errors `charter new` (the scaffolder in `src/scaffold/`) raises. */
export const ScaffoldErrorCode = {
  /** No template by that name, or the folder has no template.yaml. Exit 2. */
  NotFound: 'SCAFFOLD_TEMPLATE_NOT_FOUND',
  /** template.yaml is not a v1beta3 Template the scaffolder can render (no fetch:template step, bad YAML). Exit 2. */
  BadTemplate: 'SCAFFOLD_BAD_TEMPLATE',
  /** The values do not satisfy the template's parameter schema; `issues` names each field. Exit 2. */
  BadValues: 'SCAFFOLD_BAD_VALUES',
  /** The target folder is not empty and `force` was not given. Exit 2. */
  TargetNotEmpty: 'SCAFFOLD_TARGET_NOT_EMPTY',
  /** A rendered path leaves the target folder, or a skeleton file cannot be rendered. Exit 2. */
  Render: 'SCAFFOLD_RENDER',
} as const;
export type ScaffoldErrorCode = (typeof ScaffoldErrorCode)[keyof typeof ScaffoldErrorCode];

/** One problem with one value: the field (a JSON pointer into the values, `/name`), and why. */
export interface ValueIssue {
  readonly field: string;
  readonly message: string;
}

const marker = Symbol.for('charter.scaffold.error');

/** Base class of every error of the scaffolder; the CLI maps each to exit 2 (bad input, never a finding). */
export class ScaffoldError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'ScaffoldError';
  readonly code: ScaffoldErrorCode;
  /** For `SCAFFOLD_BAD_VALUES`: every problem, in schema order. */
  readonly issues: readonly ValueIssue[];

  constructor(code: ScaffoldErrorCode, message: string, options: { cause?: unknown; issues?: readonly ValueIssue[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.issues = options.issues ?? [];
  }

  static isInstance(value: unknown): value is ScaffoldError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
