import type { LanguageModelV3 } from '@ai-sdk/provider';
import { AgentError, ModelConfigError } from '../errors.js';
import { deferredModel } from './deferred.js';
import { openAICompatible } from './openai-compatible.js';

/** The environment a provider reads its settings from (base URL, API key): `process.env` by default. */
export type ModelEnv = Readonly<Record<string, string | undefined>>;

/**
 * Builds the model a manifest names: `id` is `spec.model.id` (or `spec.model.fallback.id`). Runs
 * synchronously when the agent is created: check the configuration here and throw
 * `ModelConfigError` naming what is missing; load heavy code at the first call.
 */
export type ModelFactory = (id: string, context: { readonly env: ModelEnv }) => LanguageModelV3;

/** Model factories by `spec.model.provider`. */
export type ModelRegistry = Readonly<Record<string, ModelFactory>>;

/** A model as the manifest names it. */
export interface ModelRef {
  readonly provider: string;
  readonly id: string;
}

export interface ResolveModelOptions {
  /** Default `process.env`. */
  readonly env?: ModelEnv;
  /** Default `defaultModelRegistry`. */
  readonly registry?: ModelRegistry;
}

/**
 * The providers a manifest may name without further set-up: `openai-compatible` (base URL and key from
 * `CHARTER_MODEL_BASE_URL` and `CHARTER_MODEL_API_KEY`) and `offline` (`gullible`; scripted models
 * need their script: `offlineProvider({ scripts })`).
 */
export const defaultModelRegistry: ModelRegistry = Object.freeze({
  'openai-compatible': openAICompatible(),
  offline: defaultOffline,
});

/**
 * The `offline` provider of the default registry: `gullible`, loaded at its first call so that the
 * offline models stay out of `import '@charter/agent'`. Scripted models need their script:
 * `offlineProvider({ scripts })` from `@charter/agent/models` (the same provider, with scripts).
 */
function defaultOffline(id: string): LanguageModelV3 {
  if (id === 'gullible') return deferredModel('charter.gullible', 'gullible', async () => (await import('./gullible.js')).gullible());
  throw new ModelConfigError(
    `the offline model "${id}" does not exist (known: gullible): a scripted model needs its script, e.g. { ...defaultModelRegistry, offline: offlineProvider({ scripts: { ${JSON.stringify(id)}: { turns: [...] } } }) }`,
  );
}

/**
 * The `LanguageModelV3` a manifest's `{ provider, id }` names, through the registry. Throws
 * `ModelConfigError` (`AGENT_MODEL_CONFIG`) when the provider is unknown or cannot be configured.
 */
export function resolveModel(ref: ModelRef, options: ResolveModelOptions = {}): LanguageModelV3 {
  const registry = options.registry ?? defaultModelRegistry;
  const factory = Object.hasOwn(registry, ref.provider) ? registry[ref.provider] : undefined;
  if (typeof factory !== 'function') {
    throw new ModelConfigError(
      `the model provider "${ref.provider}" (model ${ref.id}) is not in the model registry (known: ${Object.keys(registry).join(', ') || 'none'}): fix spec.model or register a factory for it`,
    );
  }
  let model: unknown;
  try {
    model = factory(ref.id, { env: options.env ?? process.env });
  } catch (error) {
    if (AgentError.isInstance(error)) throw error;
    throw new ModelConfigError(`the model ${ref.provider}/${ref.id} could not be built: ${(error as Error).message}`, { cause: error });
  }
  if (typeof model !== 'object' || model === null || (model as { specificationVersion?: unknown }).specificationVersion !== 'v3') {
    throw new ModelConfigError(
      `the factory of provider "${ref.provider}" must return an AI SDK LanguageModelV3 (specificationVersion "v3")`,
    );
  }
  return model as LanguageModelV3;
}

/** The primary model and the fallback (`spec.model.fallback`, when the manifest names one). */
export function resolveModels(
  spec: ModelRef & { readonly fallback?: ModelRef | undefined },
  options: ResolveModelOptions = {},
): { readonly primary: LanguageModelV3; readonly fallback: LanguageModelV3 | undefined } {
  return {
    primary: resolveModel(spec, options),
    fallback: spec.fallback === undefined ? undefined : resolveModel(spec.fallback, options),
  };
}
