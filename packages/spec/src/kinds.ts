import type { z } from 'zod';
import { AgentManifest } from './agent.js';
import { GuardrailPolicy } from './guardrail-policy.js';
import { Playbook } from './playbook-schema.js';

/** Every document kind `@charter/spec` validates, by `kind`. */
export const kinds = {
  Agent: AgentManifest,
  GuardrailPolicy,
  Playbook,
} as const satisfies Record<string, z.ZodType>;

export type Kind = keyof typeof kinds;
/** The validated value of each kind. */
export interface KindValues {
  Agent: z.infer<typeof AgentManifest>;
  GuardrailPolicy: z.infer<typeof GuardrailPolicy>;
  Playbook: z.infer<typeof Playbook>;
}

export function isKind(value: unknown): value is Kind {
  return typeof value === 'string' && Object.hasOwn(kinds, value);
}
