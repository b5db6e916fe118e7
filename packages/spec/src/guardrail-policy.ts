import { z } from 'zod';
import { ApprovalPolicyText } from './agent.js';
import { API_VERSION, Identifier, Metadata, SemverVersion } from './common.js';
import { GuardrailAction, GuardrailHook } from './values.js';

// `kind: GuardrailPolicy`: which detectors run at which hook with which action, which tools may be
// called and with which arguments, and whether the policy is enforced or only monitored (shadow).
// `@charter/guardrails` compiles it; this file is the contract both sides read.

/** Built-in packs a policy may extend. */
export const GuardrailPack = z.enum(['recommended', 'strict']);
export type GuardrailPack = z.infer<typeof GuardrailPack>;

/** PII entities the built-in detector knows. Custom patterns and dictionaries add their own names. */
export const PiiEntity = z.enum(['EMAIL', 'PHONE', 'CREDIT_CARD', 'IBAN', 'US_SSN', 'IP_ADDRESS']);
export type PiiEntity = z.infer<typeof PiiEntity>;

/** How redacted spans are replaced: `****`, numbered placeholders (`[EMAIL_1]`), or a salted hash. */
export const RedactionMode = z.enum(['mask', 'placeholder', 'hash']);
export type RedactionMode = z.infer<typeof RedactionMode>;

const EntityName = z.string().regex(/^[A-Z][A-Z0-9_]{0,31}$/, { error: 'an entity name is UPPER_SNAKE_CASE, e.g. "EMPLOYEE_ID"' });
const Term = z.string().min(1).max(200);
const Hostname = z
  .string()
  .max(253)
  .regex(/^(?:\*\.)?[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?){0,8}$/, {
    error: 'must be a lower-case host name such as "example.com" or "*.example.com"',
  });

/** A user-defined pattern. Guardrails rejects patterns with unbounded or nested quantifiers. */
export const CustomPattern = z.strictObject({
  entity: EntityName,
  pattern: z.string().min(1).max(256),
  /** Lower-case words one of which must occur in the text before the pattern runs (a cheap prefilter). */
  keywords: z.array(Term).max(32).optional(),
  caseInsensitive: z.boolean().default(false),
});

/** A dictionary of literal terms reported as an entity (whole words, case-insensitive). */
export const Dictionary = z.strictObject({
  entity: EntityName,
  terms: z.array(Term).min(1).max(10_000),
});

const common = {
  action: GuardrailAction,
  /** Overrides the rule-id prefix of the findings (defaults to the detector name). */
  id: z
    .string()
    .regex(/^[a-z][a-z0-9-]{0,40}$/)
    .optional(),
};

export const PiiDetectorConfig = z.strictObject({
  detector: z.literal('pii'),
  ...common,
  options: z
    .strictObject({
      entities: z.array(PiiEntity).optional(),
      redaction: RedactionMode.default('placeholder'),
      patterns: z.array(CustomPattern).max(64).default([]),
      dictionaries: z.array(Dictionary).max(32).default([]),
    })
    .default({ redaction: 'placeholder', patterns: [], dictionaries: [] }),
});

export const SecretsDetectorConfig = z.strictObject({
  detector: z.literal('secrets'),
  ...common,
  options: z
    .strictObject({
      /** Only these rule ids (default: all). */
      rules: z.array(z.string().min(1).max(64)).optional(),
      exclude: z.array(z.string().min(1).max(64)).default([]),
      redaction: RedactionMode.default('mask'),
      /** Minimum Shannon entropy (bits per character) of a generic `password=`/`api_key=` value. */
      minEntropy: z.number().min(0).max(8).default(3),
    })
    .default({ exclude: [], redaction: 'mask', minEntropy: 3 }),
});

export const InjectionDetectorConfig = z.strictObject({
  detector: z.literal('injection'),
  ...common,
  /** Score (0-1) at or above which the action applies. Lower is stricter. */
  threshold: z.number().min(0).max(1).default(0.5),
  options: z
    .strictObject({
      /** Decode base64/hex runs and look for instructions inside. */
      decode: z.boolean().default(true),
    })
    .default({ decode: true }),
});

export const KeywordList = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, { error: 'a list id is lower-case words joined by "-"' }),
  terms: z.array(Term).min(1).max(10_000),
});

/** Topic and keyword deny-lists: each list is a topic; terms match whole words, case-insensitively. */
export const KeywordsDetectorConfig = z.strictObject({
  detector: z.literal('keywords'),
  ...common,
  options: z.strictObject({ lists: z.array(KeywordList).min(1).max(64) }),
});

/** System-prompt leakage: canary tokens planted in the system prompt must never appear in output. */
export const CanaryDetectorConfig = z.strictObject({
  detector: z.literal('canary'),
  ...common,
  options: z.strictObject({ tokens: z.array(z.string().min(8).max(128)).max(32).default([]) }).default({ tokens: [] }),
});

export const LengthDetectorConfig = z.strictObject({
  detector: z.literal('length'),
  ...common,
  options: z.strictObject({ maxChars: z.int().positive().max(10_000_000) }),
});

/** A model-based (async) detector registered by name when the policy is compiled. */
export const ClassifierDetectorConfig = z.strictObject({
  detector: z.literal('classifier'),
  ...common,
  threshold: z.number().min(0).max(1).default(0.5),
  options: z.strictObject({ name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/) }),
});

export const DetectorConfig = z.discriminatedUnion('detector', [
  PiiDetectorConfig,
  SecretsDetectorConfig,
  InjectionDetectorConfig,
  KeywordsDetectorConfig,
  CanaryDetectorConfig,
  LengthDetectorConfig,
  ClassifierDetectorConfig,
]);
export type DetectorConfig = z.infer<typeof DetectorConfig>;
export type DetectorConfigInput = z.input<typeof DetectorConfig>;

/** Constraints on one tool-call argument, addressed by a dotted path (`refund.amount`). */
export const ArgumentConstraint = z
  .strictObject({
    required: z.boolean().default(false),
    min: z.number().optional(),
    max: z.number().optional(),
    enum: z
      .array(z.union([z.string(), z.number(), z.boolean()]))
      .min(1)
      .max(256)
      .optional(),
    maxLength: z.int().nonnegative().optional(),
    maxItems: z.int().nonnegative().optional(),
    /** E-mail recipients (a string, a comma-separated string, or a list of strings). */
    recipients: z
      .strictObject({
        /** Allowed domains (`example.com`, or `*.example.com` for sub-domains). */
        domains: z.array(Hostname).default([]),
        /** Names of run-context facts (e.g. `customerEmail`) whose values are allowed addresses. */
        context: z.array(z.string().min(1).max(64)).default([]),
      })
      .optional(),
    /** Allowed host names for URL arguments (`*.example.com` allows sub-domains). */
    urlDomains: z.array(Hostname).min(1).optional(),
    /** Name of a run-context fact the argument must equal (e.g. `customerId`). */
    equalsContext: z.string().min(1).max(64).optional(),
    /**
     * Name of a run-context fact holding the values the argument may take (e.g. `customerOrders`, the
     * order ids of the run's customer): binds an identifier chosen by the model to what the run may touch.
     */
    oneOfContext: z.string().min(1).max(64).optional(),
  })
  .superRefine((constraint, ctx) => {
    if (constraint.min !== undefined && constraint.max !== undefined && constraint.min > constraint.max) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: `min ${constraint.min} is greater than max ${constraint.max}` });
    }
    if (constraint.recipients?.domains.length === 0 && constraint.recipients.context.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['recipients'], message: 'recipients allows nobody: list domains, context facts, or both' });
    }
  });
export type ArgumentConstraint = z.infer<typeof ArgumentConstraint>;

const ArgumentPath = z.string().regex(/^[a-z_][\w-]{0,63}(?:\.[a-z_][\w-]{0,63}){0,7}$/i, {
  error: 'an argument path is a dotted name such as "amount" or "refund.amount"',
});

export const ToolRule = z.strictObject({
  tool: Identifier,
  /** Calls of this tool allowed in one run; the next one is denied. */
  maxCallsPerRun: z.int().positive().max(10_000).optional(),
  args: z.record(ArgumentPath, ArgumentConstraint).default({}),
  /** When a call needs a human's approval even though it passes every constraint. */
  approval: ApprovalPolicyText.optional(),
  /** What a violated constraint or limit leads to. */
  onViolation: z.enum(['deny', 'needs-approval']).default('deny'),
});
export type ToolRule = z.infer<typeof ToolRule>;

export const ToolPolicy = z
  .strictObject({
    /** The allow-list: a call to any other tool is denied. Absent: every tool not denied is allowed. */
    allow: z.array(Identifier).optional(),
    deny: z.array(Identifier).default([]),
    /** Tool calls of any kind allowed in one run. */
    maxCallsPerRun: z.int().positive().max(100_000).optional(),
    rules: z.array(ToolRule).default([]),
  })
  .superRefine((tools, ctx) => {
    const seen = new Set<string>();
    tools.rules.forEach((rule, index) => {
      if (seen.has(rule.tool))
        ctx.addIssue({ code: 'custom', path: ['rules', index, 'tool'], message: `tool "${rule.tool}" already has a rule: merge them` });
      seen.add(rule.tool);
      if (tools.allow && !tools.allow.includes(rule.tool)) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', index, 'tool'],
          message: `tool "${rule.tool}" has a rule but is not in tools.allow: add it there or remove the rule`,
        });
      }
    });
  });
export type ToolPolicy = z.infer<typeof ToolPolicy>;

/**
 * What the agent loop does with a side-effecting tool call that is not grounded in trusted context
 * (the user did not ask for that kind of action, or an argument value comes only from untrusted content).
 */
export const ProvenancePolicy = z.strictObject({
  /** Default true: every side-effecting call is checked. */
  enabled: z.boolean().default(true),
  /** Default `needs-approval` (a human sees which untrusted content the call came from); `deny` refuses it. */
  action: z.enum(['needs-approval', 'deny']).default('needs-approval'),
});
export type ProvenancePolicy = z.infer<typeof ProvenancePolicy>;

export const GuardrailPolicySpec = z.strictObject({
  version: SemverVersion,
  /** `monitor` records what enforce would decide without enforcing it (the shadow stage). */
  mode: z.enum(['enforce', 'monitor']).default('enforce'),
  extends: z.array(GuardrailPack).max(4).default([]),
  hooks: z.partialRecord(GuardrailHook, z.array(DetectorConfig).max(32)).default({}),
  tools: ToolPolicy.optional(),
  /** Absent: enabled, `needs-approval`. */
  provenance: ProvenancePolicy.optional(),
});
export type GuardrailPolicySpec = z.infer<typeof GuardrailPolicySpec>;
export type GuardrailPolicySpecInput = z.input<typeof GuardrailPolicySpec>;

export const GuardrailPolicy = z.strictObject({
  apiVersion: z.literal(API_VERSION),
  kind: z.literal('GuardrailPolicy'),
  metadata: Metadata,
  spec: GuardrailPolicySpec,
});
export type GuardrailPolicy = z.infer<typeof GuardrailPolicy>;
export type GuardrailPolicyInput = z.input<typeof GuardrailPolicy>;
