/** Stable codes of every error `@charter/spec` throws (loading never throws: it returns issues). */
export const SpecErrorCode = {
  /** `requireAgent` was given an agent that does not load (its issues are in the message). */
  Invalid: 'SPEC_INVALID',
  /** An approval policy string could not be parsed. */
  BadApprovalPolicy: 'SPEC_BAD_APPROVAL_POLICY',
  /** `playbookRoutes` was given two playbooks that claim the same alert, or one playbook twice. */
  RouteConflict: 'SPEC_ROUTE_CONFLICT',
} as const;
export type SpecErrorCode = (typeof SpecErrorCode)[keyof typeof SpecErrorCode];

const marker = Symbol.for('charter.spec.error');

/** Base class of every error thrown by `@charter/spec`. */
export class SpecError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'SpecError';
  readonly code: SpecErrorCode;

  constructor(code: SpecErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a SpecError from any copy of this package. */
  static isInstance(value: unknown): value is SpecError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
