import { z } from 'zod';
import { evalReportJsonSchema } from './eval-report.js';
import { evidenceJsonSchema } from './evidence.js';
import { kinds, type Kind } from './kinds.js';

const FILE_NAMES: Record<Kind, string> = {
  Agent: 'agent.schema.json',
  GuardrailPolicy: 'guardrail-policy.schema.json',
  Playbook: 'playbook.schema.json',
};

/**
 * JSON Schemas of every kind (and of evidence reports), keyed by the file name under `packages/spec/schema/`. Cross-field rules
 * are enforced by the loader only; JSON Schema carries the structure editors complete and check.
 */
export function jsonSchemas(): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [kind, schema] of Object.entries(kinds) as [Kind, z.ZodType][]) {
    const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' });
    out[FILE_NAMES[kind]] = {
      ...json,
      $id: `https://charter.dev/schema/v1alpha1/${FILE_NAMES[kind]}`,
      title: `Charter ${kind}`,
    };
  }
  out['evidence.schema.json'] = evidenceJsonSchema();
  out['eval-report.schema.json'] = evalReportJsonSchema();
  return out;
}
