import { ModelConfigError } from '../errors.js';
import { deferredModel } from './deferred.js';
import type { ModelFactory } from './registry.js';

/** The environment variables the `openai-compatible` provider reads by default. Nothing else configures it. */
export const OPENAI_COMPATIBLE_ENV = {
  /** The endpoint's base URL, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`. */
  baseUrl: 'CHARTER_MODEL_BASE_URL',
  /** The API key, sent as `Authorization: Bearer …`; set it to the empty string for an endpoint without keys. */
  apiKey: 'CHARTER_MODEL_API_KEY',
} as const;

export interface OpenAICompatibleOptions {
  /** The variable holding the base URL. Default `CHARTER_MODEL_BASE_URL`. */
  readonly baseUrlEnv?: string;
  /** The variable holding the API key. Default `CHARTER_MODEL_API_KEY`. */
  readonly apiKeyEnv?: string;
  /** The provider name the models report (`<name>.chat`). Default `openai-compatible`. */
  readonly name?: string;
}

const PACKAGE = '@ai-sdk/openai-compatible';

/**
 * The `openai-compatible` provider: any OpenAI-compatible chat endpoint through the AI SDK's
 * `@ai-sdk/openai-compatible` (an optional peer dependency, loaded at the first model call, not at
 * import). Base URL and key come from the environment only; a missing variable or package throws
 * `ModelConfigError` (`AGENT_MODEL_CONFIG`) naming it when the model is resolved, before any run.
 * A second endpoint is a second provider name:
 * `{ ...defaultModelRegistry, azure: openAICompatible({ name: 'azure', baseUrlEnv: 'AZURE_OPENAI_BASE_URL', apiKeyEnv: 'AZURE_OPENAI_API_KEY' }) }`.
 */
export function openAICompatible(options: OpenAICompatibleOptions = {}): ModelFactory {
  const baseUrlEnv = options.baseUrlEnv ?? OPENAI_COMPATIBLE_ENV.baseUrl;
  const apiKeyEnv = options.apiKeyEnv ?? OPENAI_COMPATIBLE_ENV.apiKey;
  const name = options.name ?? 'openai-compatible';
  return (id, { env }) => {
    const baseURL = env[baseUrlEnv];
    if (baseURL === undefined || baseURL.trim() === '')
      throw new ModelConfigError(
        `the model ${name}/${id} needs ${baseUrlEnv}: set it to the endpoint's base URL (e.g. https://api.openai.com/v1)`,
        { variable: baseUrlEnv },
      );
    if (!URL.canParse(baseURL) || !/^https?:$/.test(new URL(baseURL).protocol))
      throw new ModelConfigError(`${baseUrlEnv} must be an http(s) URL such as https://api.openai.com/v1, got ${JSON.stringify(baseURL)}`, {
        variable: baseUrlEnv,
      });
    const apiKey = env[apiKeyEnv];
    if (apiKey === undefined)
      throw new ModelConfigError(
        `the model ${name}/${id} needs ${apiKeyEnv}: set it to the API key (or to the empty string for an endpoint without keys)`,
        { variable: apiKeyEnv },
      );
    try {
      process
        .getBuiltinModule('node:module')
        .createRequire(import.meta.url)
        .resolve(PACKAGE);
    } catch (error) {
      throw new ModelConfigError(`the model ${name}/${id} needs the package ${PACKAGE}: npm install ${PACKAGE}@^2`, { cause: error });
    }
    return deferredModel(`${name}.chat`, id, async () => {
      const mod = await import('@ai-sdk/openai-compatible');
      return mod.createOpenAICompatible({ name, baseURL, ...(apiKey === '' ? {} : { apiKey }) }).chatModel(id);
    });
  };
}
