import type { PiiEntity, RedactionMode } from '@charter/spec';
import { compilePolicy, type GuardrailEngine, type GuardrailRun } from './engine.js';

export interface RedactorOptions {
  /** PII entities to redact (default: all built-in). */
  readonly entities?: readonly PiiEntity[];
  /** Replacement for PII (default `placeholder`). Secrets are always masked. */
  readonly mode?: RedactionMode;
  /** Needed for `hash`. */
  readonly salt?: string;
  /** Also redact credentials (default true). */
  readonly secrets?: boolean;
}

/**
 * A plain `(text) => string` that replaces PII and secrets, for logs and telemetry (which can take
 * the function without importing this package). From an engine it uses the engine's PII and secrets
 * detectors. Placeholders are numbered per call, or across calls when a run is given.
 */
export function createRedactor(source: GuardrailEngine | RedactorOptions = {}, run?: GuardrailRun): (text: string) => string {
  const engine = isEngine(source)
    ? source
    : compilePolicy(
        {
          version: '1.0.0',
          hooks: {
            output: [
              {
                detector: 'pii',
                action: 'redact',
                options: { ...(source.entities ? { entities: [...source.entities] } : {}), redaction: source.mode ?? 'placeholder' },
              },
              ...(source.secrets === false ? [] : [{ detector: 'secrets' as const, action: 'redact' as const }]),
            ],
          },
        },
        source.salt === undefined ? {} : { salt: source.salt },
      );
  return (text: string) => (typeof text === 'string' ? engine.redact(text, run) : text);
}

function isEngine(value: unknown): value is GuardrailEngine {
  return typeof value === 'object' && value !== null && typeof (value as GuardrailEngine).evaluate === 'function';
}
