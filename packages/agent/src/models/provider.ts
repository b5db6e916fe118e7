import type { LanguageModelV3 } from '@ai-sdk/provider';
import type * as OpenAICompatible from '@ai-sdk/openai-compatible';
import { AgentError, AgentErrorCode } from '../errors.js';

type OpenAICompatibleModule = typeof OpenAICompatible;

/** Environment variables `modelFromEnv` reads. */
export const MODEL_ENV = {
  baseUrl: 'CHARTER_MODEL_BASE_URL',
  apiKey: 'CHARTER_MODEL_API_KEY',
  modelId: 'CHARTER_MODEL_ID',
} as const;

/**
 * A real model through `@ai-sdk/openai-compatible` (an optional peer dependency, loaded only here):
 * any OpenAI-compatible endpoint. Returns undefined when `CHARTER_MODEL_BASE_URL` is unset; throws
 * `AGENT_MODEL_CONFIG` when it is set but the package is missing.
 */
export async function modelFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
  fallbackModelId?: string,
): Promise<LanguageModelV3 | undefined> {
  const baseURL = env[MODEL_ENV.baseUrl];
  if (baseURL === undefined || baseURL === '') return undefined;
  const modelId = env[MODEL_ENV.modelId] ?? fallbackModelId;
  if (modelId === undefined || modelId === '') {
    throw new AgentError(AgentErrorCode.ModelConfig, `${MODEL_ENV.baseUrl} is set but no model id: set ${MODEL_ENV.modelId}`);
  }
  let mod: OpenAICompatibleModule;
  try {
    mod = await import('@ai-sdk/openai-compatible');
  } catch (error) {
    throw new AgentError(
      AgentErrorCode.ModelConfig,
      `${MODEL_ENV.baseUrl} is set but @ai-sdk/openai-compatible is not installed: npm install @ai-sdk/openai-compatible`,
      { cause: error },
    );
  }
  const apiKey = env[MODEL_ENV.apiKey];
  const provider = mod.createOpenAICompatible({ name: 'openai-compatible', baseURL, ...(apiKey === undefined ? {} : { apiKey }) });
  return provider.chatModel(modelId);
}
