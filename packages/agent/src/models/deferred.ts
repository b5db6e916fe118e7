import type { LanguageModelV3 } from '@ai-sdk/provider';

/**
 * A model whose implementation is loaded by its first call: provider and id are known up front, so
 * the registry can hand it out when the agent is created without loading the provider's code (the
 * `openai-compatible` package, the offline models) into `import '@charter/agent'`.
 */
export function deferredModel(provider: string, modelId: string, load: () => Promise<LanguageModelV3>): LanguageModelV3 {
  let loading: Promise<LanguageModelV3> | undefined;
  const model = (): Promise<LanguageModelV3> => (loading ??= load());
  return {
    specificationVersion: 'v3',
    provider,
    modelId,
    get supportedUrls() {
      return model().then((m) => m.supportedUrls);
    },
    doGenerate: async (options) => (await model()).doGenerate(options),
    doStream: async (options) => (await model()).doStream(options),
  };
}
