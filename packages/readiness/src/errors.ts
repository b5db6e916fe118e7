/** Stable codes of every error `@charter/readiness` throws. */
export const ReadinessErrorCode = {
  /** There is no manifest at the path given (a folder needs an `agent.yaml`). */
  NoManifest: 'READINESS_NO_MANIFEST',
  /** A waiver names a rule id the registry does not have. */
  UnknownWaiver: 'READINESS_UNKNOWN_WAIVER',
  /** A waivers file (`readiness-waivers.yaml`) cannot be read or does not validate. */
  BadWaivers: 'READINESS_BAD_WAIVERS',
  /** The commit the evidence must be for cannot be found: not a git checkout and none given. */
  NoCommit: 'READINESS_NO_COMMIT',
  /** ESLint could not run over the agent's sources (not a finding: the lint itself broke). */
  LintFailed: 'READINESS_LINT_FAILED',
} as const;
export type ReadinessErrorCode = (typeof ReadinessErrorCode)[keyof typeof ReadinessErrorCode];

const marker = Symbol.for('charter.readiness.error');

/** Base class of every error `@charter/readiness` throws. Findings are never errors: they are rule results. */
export class ReadinessError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'ReadinessError';
  readonly code: ReadinessErrorCode;

  constructor(code: ReadinessErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  static isInstance(value: unknown): value is ReadinessError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
