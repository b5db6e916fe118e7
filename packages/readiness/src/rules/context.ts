import type { AgentManifest, EvidenceDataOf, EvidenceKind, GuardrailPolicy, Playbook } from '@charter/spec';
import type { AlertingRule } from '@charter/telemetry';
import type { LintFinding } from '../lint.js';
import type { OwnerResolution } from '../owners.js';
import type { DimensionId, RuleReferences, RuleStatus, Severity, SourceLocation } from '../types.js';

/** Where a result points: a JSON pointer into the manifest or the policy, or a place in a source file. */
export type Anchor = { readonly manifest: string } | { readonly policy: string } | { readonly source: SourceLocation };

export interface Outcome {
  readonly status: RuleStatus;
  readonly message: string;
  readonly at?: Anchor;
}

export interface PlaybookLookup {
  readonly id: string;
  /** The playbook's file relative to the agent's folder, when found. */
  readonly file: string | undefined;
  readonly playbook: Playbook | undefined;
  /** Why it is not usable (not found, does not validate). */
  readonly problem: string | undefined;
}

/** What a rule's `check` sees. Evidence and lint it declares are guaranteed present (the gate checks first). */
export interface RuleContext {
  /** The manifest's value at a JSON pointer: the validated manifest (defaults applied) when it validates, else the raw YAML. */
  at(pointer: string): unknown;
  num(pointer: string): number | undefined;
  str(pointer: string): string | undefined;
  list(pointer: string): readonly unknown[];
  /** The validated manifest, when it validates. */
  readonly manifest: AgentManifest | undefined;
  /** The policy `spec.policy` names, when it loads and validates. */
  readonly policy: GuardrailPolicy | undefined;
  /** Why the policy is missing, when it is. */
  readonly policyProblem: string | undefined;
  /** The fresh evidence of a kind the rule declares in `evidence`. */
  evidence<K extends EvidenceKind>(kind: K): EvidenceDataOf<K>;
  /** Lint findings of the given plugin rules (names without `@charter/`), plus files that did not parse. */
  lint(rules: readonly string[]): readonly LintFinding[];
  /** The linted files (relative to the agent's folder). */
  readonly lintedFiles: readonly string[];
  /** The owner group resolved in the organisation's data. */
  readonly owner: OwnerResolution;
  /** The alert rules `charter alerts` generates from this manifest, or why they cannot be generated. */
  readonly alerts: readonly AlertingRule[] | string;
  /** The generated rule file's digest (`sha256:<hex>`), when alerts could be generated. */
  readonly alertRulesDigest: string | undefined;
  /** A playbook by id, looked up in the agent's playbooks folder. */
  playbook(id: string): PlaybookLookup;
  /** Upper bounds (seconds) of the run-duration histogram that the latency SLI is computed from. */
  readonly runDurationBuckets: readonly number[];
}

export interface RuleDefinition {
  /** Stable id: `<DIMENSION PREFIX>-<n>`; never reused with another meaning. */
  readonly id: string;
  readonly dimension: DimensionId;
  readonly severity: Severity;
  /** The requirement in one sentence. */
  readonly title: string;
  /** Why the rule exists. */
  readonly rationale: string;
  /** What it reads: manifest/policy pointers, `evidence <kind>`, `lint <rule>`, `catalog`. */
  readonly reads: readonly string[];
  /** When it passes, precisely. */
  readonly passes: string;
  /** What to do when it does not pass. */
  readonly remediation: string;
  readonly references: RuleReferences;
  /** Evidence kinds it judges: missing, stale or invalid evidence → `missing-evidence`. */
  readonly evidence?: readonly EvidenceKind[];
  /** Plugin rules whose findings it judges: lint not run → `missing-evidence`. */
  readonly lint?: readonly string[];
  /** The manifest pointer its result points at when `check` names none. */
  readonly anchor: string;
  check(ctx: RuleContext): Outcome;
}

export const pass = (message: string, at?: Anchor): Outcome => ({ status: 'pass', message, ...(at === undefined ? {} : { at }) });
export const fail = (message: string, at?: Anchor): Outcome => ({ status: 'fail', message, ...(at === undefined ? {} : { at }) });
export const manifestAt = (pointer: string): Anchor => ({ manifest: pointer });
export const policyAt = (pointer: string): Anchor => ({ policy: pointer });

export const pct = (ratio: number): string => `${(ratio * 100).toFixed(ratio >= 0.999 || ratio === 0 ? 0 : 1)} %`;
