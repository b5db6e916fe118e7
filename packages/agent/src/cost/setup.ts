// Builds the cost controls of an agent from `spec.cost` and the options (createAgent calls it once).
import type { LanguageModelV3, LanguageModelV3FunctionTool } from '@ai-sdk/provider';
import { type AgentManifest, durationToMs } from '@charter/spec';
import { canonicalKey } from '../canonical.js';
import { AgentError, AgentErrorCode } from '../errors.js';
import { capabilitiesOf } from '../models/capabilities.js';
import { resolveModel } from '../models/registry.js';
import { LOOP_LIMIT } from '../reflect.js';
import type { AgentOptions, Pricing } from '../types.js';
import { batcherFor, type MicroBatcher } from './batch.js';
import { DecisionCache, digest } from './cache.js';
import type { ConfidenceVerifier } from './cascade.js';

/** The cost controls the loop consults. */
export interface CostRuntime {
  /** The `pricing` option; when absent, each model's declared list price applies (none: free). */
  readonly pricing: Pricing | undefined;
  readonly cache:
    | {
        readonly store: DecisionCache;
        readonly scope: 'tenant' | 'user' | 'agent';
        /** Digest of what is fixed per agent: name, tool set with versions, params, policy, cascade. */
        readonly fixed: string;
      }
    | undefined;
  readonly cascade:
    { readonly model: LanguageModelV3; readonly threshold: number; readonly verifier: ConfidenceVerifier | undefined } | undefined;
  /** Same tool, same arguments this many times ends the run. */
  readonly repeatedCall: number;
  /** Tool turns in a row without new information that end the run; undefined: off. */
  readonly stalledTurns: number | undefined;
  readonly batcher: MicroBatcher | undefined;
}

export interface CostSetupInput {
  readonly options: AgentOptions;
  readonly manifest: AgentManifest;
  readonly model: LanguageModelV3;
  readonly policy: unknown;
  readonly policyVersion: string;
  readonly governance: 'enforce' | 'off';
  readonly modelTools: readonly LanguageModelV3FunctionTool[];
  readonly toolVersions: Readonly<Record<string, string>>;
}

/** The cost controls, and the model the loop calls (the batching front of the model when `spec.cost.batch` is set). */
export function costSetup(input: CostSetupInput): { readonly cost: CostRuntime; readonly model: LanguageModelV3 } {
  const { options, manifest } = input;
  const declared = manifest.spec.cost;
  const batcher = declared?.batch === undefined ? undefined : batcherFor(input.model, declared.batch);

  let cascade: CostRuntime['cascade'];
  if (declared?.cascade !== undefined) {
    const spec = declared.cascade;
    // An explicit `model` replaces spec.model whole; the cascade then runs only with an explicit `cascadeModel`.
    const small =
      options.cascadeModel ??
      (options.model === undefined
        ? resolveModel(spec.model, {
            ...(options.env === undefined ? {} : { env: options.env }),
            ...(options.models === undefined ? {} : { registry: options.models }),
          })
        : undefined);
    let verifier: ConfidenceVerifier | undefined;
    if (spec.signal === 'verifier') {
      const name = spec.verifier ?? '';
      const given = options.verifiers !== undefined && Object.hasOwn(options.verifiers, name) ? options.verifiers[name] : undefined;
      if (typeof given !== 'function')
        throw new AgentError(
          AgentErrorCode.BadOptions,
          `spec.cost.cascade names the verifier "${name}": pass it as createAgent({ verifiers: { ${JSON.stringify(name)}: (candidate, { prompt }) => score } })`,
        );
      verifier = given;
    }
    // With batching, the small model batches too when it can (it is optional there: the large one must).
    const batchable = small !== undefined && declared.batch !== undefined && capabilitiesOf(small).batch !== undefined;
    if (small !== undefined)
      cascade = {
        model: batchable && declared.batch !== undefined ? batcherFor(small, declared.batch).model : small,
        threshold: spec.threshold,
        verifier,
      };
  }

  let cache: CostRuntime['cache'];
  const cacheSpec = declared?.cache;
  if (cacheSpec?.enabled === true) {
    const store =
      options.decisionCache ??
      new DecisionCache({
        ttlMs: durationToMs(cacheSpec.ttl),
        maxEntries: cacheSpec.maxEntries,
        ...(options.clock === undefined ? {} : { clock: options.clock }),
      });
    if (!(store instanceof DecisionCache))
      throw new AgentError(AgentErrorCode.BadOptions, 'decisionCache must be a DecisionCache (new DecisionCache({ ttlMs, maxEntries }))');
    const fixed = digest(
      canonicalKey({
        agent: manifest.metadata.name,
        tools: input.modelTools,
        versions: input.toolVersions,
        params: manifest.spec.model.params,
        governance: input.governance,
        policy: input.policyVersion,
        // A policy document is hashed whole: any change to it (a rule, a detector) is another cache.
        policyDocument: isDocument(input.policy) ? input.policy : null,
        canaries: options.canaries ?? [],
        cascade:
          cascade === undefined ? null : { model: `${cascade.model.provider}/${cascade.model.modelId}`, threshold: cascade.threshold },
      }),
    );
    cache = { store, scope: cacheSpec.scope, fixed };
  }

  return {
    cost: {
      pricing: options.pricing,
      cache,
      cascade,
      repeatedCall: declared?.earlyExit?.repeatedCall ?? LOOP_LIMIT,
      stalledTurns: declared?.earlyExit?.stalledTurns,
      batcher,
    },
    model: batcher?.model ?? input.model,
  };
}

function isDocument(policy: unknown): boolean {
  return typeof policy === 'object' && policy !== null && (policy as { kind?: unknown }).kind === 'GuardrailPolicy';
}
