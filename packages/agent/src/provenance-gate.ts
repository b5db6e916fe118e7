import type { ToolGrant } from '@charter/spec';
import type { Provenance } from './provenance.js';

/**
 * The provenance check of an agent, loaded and built by its first side-effecting call instead of by
 * `import '@charter/agent'` or `createAgent`: a run that makes no such call never loads it. `get`
 * returns the check itself once it is built, so later calls do not await.
 */
export class ProvenanceGate {
  readonly #grants: readonly ToolGrant[];
  readonly #instructions: string;
  #checker: Provenance | undefined;
  #loading: Promise<Provenance> | undefined;

  constructor(grants: readonly ToolGrant[], instructions: string) {
    this.#grants = grants;
    this.#instructions = instructions;
  }

  get(): Provenance | Promise<Provenance> {
    if (this.#checker !== undefined) return this.#checker;
    this.#loading ??= import('./provenance.js').then(({ Provenance }) => {
      this.#checker = new Provenance(this.#grants, this.#instructions);
      return this.#checker;
    });
    return this.#loading;
  }
}
