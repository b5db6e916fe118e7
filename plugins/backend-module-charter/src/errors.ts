/** Stable codes of the errors Charter's Backstage module throws (they fail a scaffolder step or an action call). */
export const CharterModuleErrorCode = {
  /** An action's input names something it cannot use: a path outside the workspace, a missing manifest, an unknown agent. */
  BadInput: 'CHARTER_BACKSTAGE_BAD_INPUT',
  /** The Agent manifest an action was given does not load (every problem is in the message with file:line:column). */
  InvalidManifest: 'CHARTER_BACKSTAGE_INVALID_MANIFEST',
  /** `charter:readiness:check` with `failIfHeld`: the agent is held in staging (the blockers are in the message). */
  NotReady: 'CHARTER_BACKSTAGE_NOT_READY',
} as const;
export type CharterModuleErrorCode = (typeof CharterModuleErrorCode)[keyof typeof CharterModuleErrorCode];

const marker = Symbol.for('charter.backstage.error');

/**
 * Base class of every error the module throws. Its `name` is Backstage's `InputError`, so the backend
 * answers 400 with the message (not a 500) when an action is called with input it cannot use.
 */
export class CharterModuleError extends Error {
  readonly [marker] = true;
  override readonly name: string = 'InputError';
  readonly code: CharterModuleErrorCode;

  constructor(code: CharterModuleErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** True for a CharterModuleError from any copy of this package. */
  static isInstance(value: unknown): value is CharterModuleError {
    return typeof value === 'object' && value !== null && marker in value;
  }
}
