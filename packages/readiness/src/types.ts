import type { EvidenceKind } from '@charter/spec';

/** The six dimensions of the production-readiness standard, in the order scorecards show them. */
export const DIMENSIONS = [
  { id: 'business-value', title: 'Business value', prefix: 'BIZ' },
  { id: 'reliability', title: 'Reliability', prefix: 'REL' },
  { id: 'observability', title: 'Observability', prefix: 'OBS' },
  { id: 'fallback', title: 'Fallback and escalation', prefix: 'FAL' },
  { id: 'security', title: 'Security', prefix: 'SEC' },
  { id: 'performance', title: 'Performance', prefix: 'PERF' },
] as const;
export type DimensionId = (typeof DIMENSIONS)[number]['id'];

/** `blocker`: a rule that does not pass holds the agent in staging. `warning`: shown, never holds. */
export type Severity = 'blocker' | 'warning';

/** What a rule decided. `missing-evidence` is never a pass: the evidence is absent, stale or invalid. */
export type RuleStatus = 'pass' | 'fail' | 'missing-evidence';

/** A rule's result after waivers: `waived` keeps the status it had in `waivedStatus`. */
export type ResultStatus = RuleStatus | 'waived';

/** Where a result applies: a file (the manifest, the policy, a source file) and a range in it. */
export interface SourceLocation {
  /** Path relative to the agent's folder (`agent.yaml`, `policy.yaml`, `src/desk.ts`). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  /** JSON pointer into a YAML document, when the location is one. */
  readonly pointer?: string;
}

/** Standards a rule maps to. */
export interface RuleReferences {
  /** OWASP Top 10 for LLM Applications 2025: `LLM01` … `LLM10`. */
  readonly owaspLlm: readonly string[];
  /** OWASP Agentic AI threats and mitigations: `T1` … `T15`. */
  readonly owaspAgentic: readonly string[];
  /** NIST AI RMF 1.0 subcategories, e.g. `MEASURE 2.5`. */
  readonly nistAiRmf: readonly string[];
}

export interface RuleResult {
  readonly ruleId: string;
  readonly dimension: DimensionId;
  readonly severity: Severity;
  readonly title: string;
  readonly status: ResultStatus;
  /** For a waived result: what the rule decided before the waiver. */
  readonly waivedStatus?: RuleStatus;
  /** Why it passed or not, with the measured values. */
  readonly message: string;
  readonly remediation: string;
  readonly location?: SourceLocation;
  /** The evidence kinds the rule judged. */
  readonly evidence: readonly EvidenceKind[];
  readonly waiver?: WaiverResult;
}

export interface Waiver {
  readonly rule: string;
  readonly reason: string;
  readonly approver: string;
  /** Last day the waiver applies (YYYY-MM-DD, inclusive, UTC). */
  readonly expires: string;
}

export interface WaiverResult extends Waiver {
  /** `active`: applies; `expired`: past its date, fails the check; `unused`: its rule passes. */
  readonly state: 'active' | 'expired' | 'unused';
  readonly location: SourceLocation;
}

export interface EvidenceStatus {
  readonly kind: EvidenceKind;
  /** Relative to the agent's folder. */
  readonly file: string;
  readonly state: 'fresh' | 'stale' | 'missing' | 'invalid';
  /** Why it is not fresh. */
  readonly reason?: string;
  readonly producedAt?: string;
  /** Milliseconds between `producedAt` and the evaluation. */
  readonly ageMs?: number;
  readonly commit?: string;
}

export interface DimensionScore {
  readonly id: DimensionId;
  readonly title: string;
  readonly total: number;
  readonly passed: number;
  readonly failed: number;
  readonly missing: number;
  readonly waived: number;
  /** `passed / total`, 0-1. */
  readonly score: number;
  /** No unwaived blocker that does not pass. */
  readonly ready: boolean;
}

export interface LintSummary {
  readonly ran: boolean;
  readonly cached: boolean;
  /** `hit` (read from the cache by its key), `miss` (linted and stored) or `off` (no cache, or not linted). */
  readonly cache: 'hit' | 'miss' | 'off';
  readonly files: number;
  readonly durationMs: number;
  readonly problems: number;
  readonly reason?: string;
}

/** What `evaluateReadiness` returns: everything every output format shows (`charter check --format json`). */
export interface Report {
  readonly format: 'charter.readiness';
  readonly v: 1;
  readonly agent: { readonly name: string; readonly title?: string; readonly owner: string; readonly lifecycle: string };
  /** Absolute folder of the manifest. */
  readonly dir: string;
  /** The manifest file, relative to `dir`. */
  readonly manifest: string;
  readonly commit: string;
  readonly manifestDigest: string;
  readonly evaluatedAt: string;
  /** True when no unwaived blocker fails or lacks evidence and no waiver has expired. */
  readonly ready: boolean;
  readonly score: { readonly passed: number; readonly total: number; readonly score: number };
  readonly dimensions: readonly DimensionScore[];
  /** Every rule's result, blockers first, then by dimension and id. */
  readonly results: readonly RuleResult[];
  readonly waivers: readonly WaiverResult[];
  readonly evidence: readonly EvidenceStatus[];
  readonly lint: LintSummary;
  /** Problems in the manifest and what it names (from `loadAgent`), errors and warnings. */
  readonly issues: readonly {
    readonly file: string;
    readonly line: number;
    readonly column: number;
    readonly message: string;
    readonly code: string;
    readonly severity: string;
  }[];
  readonly durationMs: number;
  /**
   * The whole-result cache (`evaluateReadinessCached`, `charter check`): `hit` (the stored report of an
   * unchanged tree; `lint` is as stored), `miss` (evaluated, and stored unless `cacheReason` says why
   * not) or `off`. Absent from `evaluateReadiness`, which never caches a whole result.
   */
  readonly cache?: 'hit' | 'miss' | 'off';
  /** Why the result cache missed, or why a result was not stored. */
  readonly cacheReason?: string;
}
