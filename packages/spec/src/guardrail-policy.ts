import { z } from 'zod';
import { API_VERSION, Metadata, SemverVersion } from './common.js';

// First cut of `kind: GuardrailPolicy`; `@charter/guardrails` refines the detector and rule options.

export const GuardrailAction = z.enum(['allow', 'redact', 'needs-approval', 'deny']);
export type GuardrailAction = z.infer<typeof GuardrailAction>;

export const GuardrailHook = z.enum(['input', 'output', 'tool-call', 'tool-result']);
export type GuardrailHook = z.infer<typeof GuardrailHook>;

export const DetectorConfig = z.strictObject({
  detector: z.string().min(1).max(64),
  action: GuardrailAction,
  threshold: z.number().min(0).max(1).optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

export const GuardrailPolicySpec = z.strictObject({
  version: SemverVersion,
  mode: z.enum(['enforce', 'monitor']).default('enforce'),
  extends: z.array(z.string().min(1)).default([]),
  hooks: z.partialRecord(GuardrailHook, z.array(DetectorConfig)).default({}),
  tools: z
    .strictObject({
      allow: z.array(z.string().min(1)).optional(),
      rules: z.array(z.record(z.string(), z.unknown())).default([]),
    })
    .optional(),
});

export const GuardrailPolicy = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('GuardrailPolicy'),
  metadata: Metadata,
  spec: GuardrailPolicySpec,
});
export type GuardrailPolicy = z.infer<typeof GuardrailPolicy>;
export type GuardrailPolicyInput = z.input<typeof GuardrailPolicy>;
