import { ModelConfigError } from '../errors.js';
import { gullible } from './gullible.js';
import type { ModelFactory } from './registry.js';
import { scripted, type ScriptInput } from './scripted.js';

export interface OfflineProviderOptions {
  /** Scripted models by id: a manifest naming `provider: offline, id: <id>` answers with that script. */
  readonly scripts?: Readonly<Record<string, ScriptInput>>;
}

/**
 * The `offline` provider: Charter's offline models by name, for tests, demos and the scenario suite.
 * `gullible` needs nothing; any other id is a scripted model whose script `scripts` gives. An unknown
 * id throws `ModelConfigError` (`AGENT_MODEL_CONFIG`).
 */
export function offlineProvider(options: OfflineProviderOptions = {}): ModelFactory {
  return (id) => {
    const script = options.scripts === undefined || !Object.hasOwn(options.scripts, id) ? undefined : options.scripts[id];
    if (script !== undefined) return scripted(script, { modelId: id });
    if (id === 'gullible') return gullible();
    const known = ['gullible', ...Object.keys(options.scripts ?? {})].join(', ');
    throw new ModelConfigError(
      `the offline model "${id}" does not exist (known: ${known}): a scripted model needs its script, e.g. { ...defaultModelRegistry, offline: offlineProvider({ scripts: { ${JSON.stringify(id)}: { turns: [...] } } }) }`,
    );
  };
}
