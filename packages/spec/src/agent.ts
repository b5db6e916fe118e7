import { z } from 'zod';
import { parseApprovalPolicy } from './approval.js';
import { API_VERSION, Duration, durationToMs, Identifier, Metadata, SemverRange } from './common.js';
import { costIssues, CostSpec } from './cost.js';
import { SideEffects } from './values.js';

/** A key performance indicator of the business case, measured before and targeted after. */
export const Kpi = z
  .strictObject({
    name: z.string().min(1).max(80),
    unit: z.string().min(1).max(32),
    baseline: z.number(),
    target: z.number(),
    direction: z.enum(['increase', 'decrease']),
  })
  .superRefine((kpi, ctx) => {
    const improves = kpi.direction === 'increase' ? kpi.target > kpi.baseline : kpi.target < kpi.baseline;
    if (!improves) {
      ctx.addIssue({
        code: 'custom',
        path: ['target'],
        message: `target ${kpi.target} does not ${kpi.direction} from baseline ${kpi.baseline}: fix the target or the direction`,
      });
    }
  });

export const BusinessCase = z.strictObject({
  problem: z.string().min(10).max(4000),
  users: z.array(z.string().min(1)).min(1),
  kpis: z.array(Kpi).min(1),
  roi: z.strictObject({
    hypothesis: z.string().min(10).max(4000),
    annualValueUsd: z.number().nonnegative().optional(),
    annualCostUsd: z.number().nonnegative().optional(),
    paybackMonths: z.number().positive().max(120).optional(),
  }),
});

const ModelRef = z.strictObject({
  provider: z.string().min(1).max(64),
  id: z.string().min(1).max(128),
});

export const ModelSpec = z.strictObject({
  provider: z.string().min(1).max(64),
  id: z.string().min(1).max(128),
  fallback: ModelRef.optional(),
  params: z
    .strictObject({
      temperature: z.number().min(0).max(2).optional(),
      topP: z.number().gt(0).max(1).optional(),
      maxOutputTokens: z.int().positive().optional(),
      seed: z.int().optional(),
    })
    .default({}),
});

/** `never`, `always`, or `when <argument> <op> <value>` (e.g. `when amount > 100`). */
export const ApprovalPolicyText = z.string().superRefine((value, ctx) => {
  const parsed = parseApprovalPolicy(value);
  if ('error' in parsed) ctx.addIssue({ code: 'custom', message: parsed.error });
});

const FieldPath = z.string().regex(/^[a-z_][\w-]{0,63}(?:\.[a-z_][\w-]{0,63}){0,7}$/i, {
  error: 'a field path is a dotted name such as "notes" or "order.notes"',
});

/**
 * How the agent's provenance check (ADR 0011) reads a tool: whether its results are trusted context,
 * which words of the user's request ask for its kind of action, which arguments the model may choose freely.
 */
export const ToolProvenance = z.strictObject({
  /** `trusted`: the result is the organisation's own record (e.g. its order database); default `untrusted`. */
  result: z.enum(['trusted', 'untrusted']).default('untrusted'),
  /** Fields of a trusted result that hold third-party text (order notes, e-mail bodies): untrusted all the same. */
  untrustedFields: z.array(FieldPath).max(32).default([]),
  /** Words or phrases of the user's request that ask for this kind of action; default: derived from the tool's name. */
  intent: z.array(z.string().min(2).max(60)).min(1).max(64).optional(),
  /** Arguments whose values the model may choose freely: not checked for a trusted origin. */
  freeArgs: z.array(FieldPath).max(32).default([]),
});
export type ToolProvenance = z.infer<typeof ToolProvenance>;

export const ToolGrant = z.strictObject({
  name: Identifier,
  version: SemverRange,
  sideEffects: SideEffects,
  scopes: z
    .array(z.string().regex(/^[a-z][a-z0-9_-]{0,31}(?::[a-z][a-z0-9_-]{0,31}){0,3}$/, { error: 'a scope reads like "orders:read"' }))
    .default([]),
  approval: ApprovalPolicyText.default('never'),
  description: z.string().max(500).optional(),
  provenance: ToolProvenance.optional(),
});
export type ToolGrant = z.infer<typeof ToolGrant>;

export const Budgets = z.strictObject({
  maxSteps: z.int().positive().max(1000),
  maxTokens: z.int().positive(),
  maxCostUsd: z.number().positive(),
  timeoutMs: z.int().positive(),
});

export const Slos = z.strictObject({
  latencyP95Ms: z.number().positive(),
  successRate: z.number().gt(0).max(1),
  costPerRequestUsd: z.number().positive(),
  maxEscalationRate: z.number().min(0).max(1),
  minSatisfaction: z.number().min(1).max(5).optional(),
  window: Duration.default('30d'),
});

export const Escalation = z.strictObject({
  channel: z.enum(['console', 'jsonl', 'webhook', 'email', 'slack', 'queue']),
  target: z.string().min(1).max(500),
  transcript: z.boolean().default(true),
});

export const RolloutStage = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, { error: 'stage names are lower-case words joined by "-"' }),
  kind: z.enum(['shadow', 'canary', 'progressive']),
  weight: z.number().min(0).max(100),
  stabilization: Duration,
});

export const RolloutAnalysis = z.strictObject({
  interval: Duration.default('5m'),
  minSamples: z.int().positive().default(100),
  maxErrorRateIncrease: z.number().min(0).max(1).default(0.02),
  maxLatencyIncreasePct: z.number().min(0).max(1000).default(20),
  maxDisagreementRate: z.number().min(0).max(1).default(0.1),
  autoRollback: z.boolean().default(true),
});

export const Rollout = z
  .strictObject({
    stages: z.array(RolloutStage).min(1),
    analysis: RolloutAnalysis.default({
      interval: '5m',
      minSamples: 100,
      maxErrorRateIncrease: 0.02,
      maxLatencyIncreasePct: 20,
      maxDisagreementRate: 0.1,
      autoRollback: true,
    }),
  })
  .superRefine((rollout, ctx) => {
    let previous = -1;
    rollout.stages.forEach((stage, index) => {
      if (stage.kind === 'shadow') {
        if (stage.weight !== 0)
          ctx.addIssue({ code: 'custom', path: ['stages', index, 'weight'], message: 'a shadow stage serves no traffic: set weight to 0' });
        if (index !== 0) ctx.addIssue({ code: 'custom', path: ['stages', index, 'kind'], message: 'shadow must be the first stage' });
      }
      if (stage.kind === 'canary' && (stage.weight < 1 || stage.weight > 10)) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'weight'],
          message: `a canary serves 1-10 % of traffic, got ${stage.weight}`,
        });
      }
      if (stage.kind !== 'shadow' && stage.weight <= previous) {
        ctx.addIssue({
          code: 'custom',
          path: ['stages', index, 'weight'],
          message: `weights must increase from stage to stage: ${stage.weight} follows ${previous}`,
        });
      }
      previous = Math.max(previous, stage.weight);
    });
    const last = rollout.stages.at(-1);
    if (last && last.weight !== 100) {
      ctx.addIssue({
        code: 'custom',
        path: ['stages', rollout.stages.length - 1, 'weight'],
        message: 'the last stage must reach weight 100',
      });
    }
  });

export const DataHandling = z.strictObject({
  classification: z.enum(['public', 'internal', 'confidential', 'restricted']),
  retentionDays: z.int().positive().max(3650),
  pii: z.boolean(),
});

/**
 * A readiness waiver: lets an agent go to production while one rule of the production-readiness
 * standard (`@charter/readiness`) does not pass, for a reason, approved by someone, until a date.
 */
export const ReadinessWaiver = z.strictObject({
  rule: z.string().regex(/^[A-Z]{2,6}-\d{1,3}$/, { error: 'a readiness rule id reads like "FAL-5"' }),
  reason: z.string().min(10).max(1000),
  approver: z.string().min(1).max(200),
  expires: z.iso.date({ error: 'an expiry date reads like "2026-12-31"' }),
});
export type ReadinessWaiver = z.infer<typeof ReadinessWaiver>;

export const AgentSpec = z.strictObject({
  businessCase: BusinessCase,
  model: ModelSpec,
  tools: z.array(ToolGrant).default([]),
  policy: z.string().min(1).max(500),
  budgets: Budgets,
  slos: Slos,
  escalation: Escalation,
  rollout: Rollout,
  playbooks: z.array(Identifier).default([]),
  data: DataHandling,
  /** Readiness waivers (also accepted in `readiness-waivers.yaml` beside the manifest). */
  waivers: z.array(ReadinessWaiver).optional(),
  /** Cost controls: decision cache, model cascade, early exits, batching (cost.ts). */
  cost: CostSpec.optional(),
});

/** The Agent Manifest: the single source of truth of an agent. */
export const AgentManifest = z
  .strictObject({
    apiVersion: z.literal(API_VERSION),
    kind: z.literal('Agent'),
    metadata: Metadata,
    spec: AgentSpec,
  })
  .superRefine((manifest, ctx) => {
    const { spec } = manifest;
    const seen = new Map<string, number>();
    spec.tools.forEach((tool, index) => {
      const first = seen.get(tool.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'tools', index, 'name'],
          message: `tool "${tool.name}" is already declared at spec.tools[${first}]`,
        });
      }
      seen.set(tool.name, index);
      if (tool.sideEffects === 'irreversible' && tool.approval.trim() === 'never') {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'tools', index, 'approval'],
          message: `"${tool.name}" is irreversible: give it an approval policy ("always" or "when <argument> <op> <value>")`,
        });
      }
      const provenance = tool.provenance;
      if (provenance?.result === 'untrusted' && provenance.untrustedFields.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'tools', index, 'provenance', 'untrustedFields'],
          message: `"${tool.name}" results are untrusted as a whole: untrustedFields applies only with result: trusted`,
        });
      }
      if (provenance !== undefined && tool.sideEffects === 'none' && (provenance.intent !== undefined || provenance.freeArgs.length > 0)) {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'tools', index, 'provenance', provenance.intent === undefined ? 'freeArgs' : 'intent'],
          message: `"${tool.name}" has no side effects, so its calls are never checked for provenance: remove intent and freeArgs`,
        });
      }
      if (tool.sideEffects !== 'none' && tool.scopes.length === 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['spec', 'tools', index, 'scopes'],
          message: `"${tool.name}" has side effects: declare the scopes its credentials need`,
        });
      }
    });
    if (spec.slos.costPerRequestUsd > spec.budgets.maxCostUsd) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec', 'slos', 'costPerRequestUsd'],
        message: `the cost SLO (${spec.slos.costPerRequestUsd} USD) exceeds the per-run budget maxCostUsd (${spec.budgets.maxCostUsd} USD)`,
      });
    }
    if (spec.slos.latencyP95Ms > spec.budgets.timeoutMs) {
      ctx.addIssue({
        code: 'custom',
        path: ['spec', 'slos', 'latencyP95Ms'],
        message: `the latency SLO (${spec.slos.latencyP95Ms} ms) exceeds the run timeout budgets.timeoutMs (${spec.budgets.timeoutMs} ms)`,
      });
    }
    if (spec.data.pii && spec.data.classification === 'public') {
      ctx.addIssue({ code: 'custom', path: ['spec', 'data', 'classification'], message: 'data with PII cannot be classified public' });
    }
    if (spec.cost !== undefined)
      for (const issue of costIssues(spec.cost, spec)) ctx.addIssue({ code: 'custom', path: [...issue.path], message: issue.message });
    const windowMs = durationToMs(spec.slos.window);
    if (windowMs < 86_400_000) {
      ctx.addIssue({ code: 'custom', path: ['spec', 'slos', 'window'], message: 'an SLO window is at least 1d' });
    }
  });

export type AgentManifest = z.infer<typeof AgentManifest>;
export type AgentManifestInput = z.input<typeof AgentManifest>;
