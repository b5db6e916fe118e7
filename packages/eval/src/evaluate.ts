// `charter eval`'s engine: run the subject's scenario suite and replay its recorded runs that carry a
// labelled feedback, judge each against its expectation, and report accuracy per category with a
// Wilson interval; optionally compare with a baseline report and cluster the failures.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  EVAL_REPORT_FORMAT,
  EVAL_REPORT_VERSION,
  type EvalCase,
  type EvalCategory,
  type EvalComparison,
  type EvalComparisonRow,
  EvalReport,
  type Feedback,
  type Playbook,
} from '@charter/spec';
import { parseRecording, type Recording } from '@charter/telemetry';
import { EvalError, EvalErrorCode } from './errors.js';
import { type Expectation, expectationOf, feedbackCategory, isLabelled, judge, type Observation } from './judge.js';
import { findPatterns } from './patterns.js';
import { fisherOneSided, holm, wilson } from './stats.js';

/** One scenario of the subject's suite: its category, its expectation and how to run it. */
export interface EvalScenarioCase {
  readonly id: string;
  readonly category: string;
  readonly expected: Expectation;
  run(): Promise<Observation>;
}

/**
 * What `charter eval --agent <module>` loads: the module exports `evalSubject(options)` returning this.
 * The subject runs the agent with its current code and policy (or the policy `options.policyFile` names).
 */
export interface EvalSubject {
  /** `metadata.name` of the agent. */
  readonly agent: string;
  /** The agent's playbooks (`loadAgent(...).playbooks`): failure patterns link to them. */
  readonly playbooks?: Iterable<Playbook> | undefined;
  /** The labelled scenario suite. */
  scenarios?(): Promise<readonly EvalScenarioCase[]> | readonly EvalScenarioCase[];
  /** Re-executes a recorded run with the current code and policy (model responses and tool results from the recording). */
  replay?(recording: Recording): Promise<Observation>;
}

/** What a subject module's `evalSubject` receives. */
export interface EvalSubjectOptions {
  /** A GuardrailPolicy file replacing the one the manifest names (to evaluate a policy change). */
  readonly policyFile?: string | undefined;
}

export interface EvaluateOptions {
  /** Run the scenario suite (default true). */
  readonly scenarios?: boolean;
  /** Feedback on the agent's runs (`listFeedback(state, { agent })`): the labelled ones are replayed. */
  readonly feedback?: readonly Feedback[];
  /** Recordings of runs (`readRecordings(dir)`), matched to feedback by run id. */
  readonly recordings?: readonly Recording[];
  /** Confidence level of the intervals (default 0.95). */
  readonly level?: number;
  /** A label for what is evaluated (a commit, a policy version). */
  readonly version?: string;
  /** Compare with this report (`readEvalReport`). */
  readonly baseline?: EvalReport;
  /** Significance of the regression test (default 0.05). */
  readonly alpha?: number;
  /** `none` (default): each category at `alpha`; `holm`: the family of categories at `alpha`. */
  readonly correction?: 'none' | 'holm';
  /** Cluster the failures into patterns (default false). */
  readonly patterns?: boolean;
  readonly clock?: () => number;
}

function checkRatio(name: string, value: number): number {
  if (!(value > 0 && value < 1)) throw new EvalError(EvalErrorCode.BadOptions, `${name} must be between 0 and 1 (exclusive), got ${value}`);
  return value;
}

function caseOf(
  id: string,
  source: EvalCase['source'],
  category: string,
  observed: Observation,
  failures: readonly string[],
  feedbackId?: string,
): EvalCase {
  return {
    id,
    source,
    category,
    passed: failures.length === 0,
    failures: failures.map((f) => f.slice(0, 2000)),
    status: observed.status.slice(0, 32),
    ...(observed.reason === undefined ? {} : { reason: observed.reason.slice(0, 64) }),
    ruleIds: [...new Set(observed.ruleIds)].slice(0, 100),
    errorCodes: [...new Set(observed.actions.flatMap((a) => (a.errorCode === undefined ? [] : [a.errorCode])))],
    costUsd: Math.max(0, observed.costUsd),
    ...(feedbackId === undefined ? {} : { feedbackId }),
  };
}

/** Runs the evaluation and returns its report (format `charter.eval`, v 1). */
export async function evaluate(subject: EvalSubject, options: EvaluateOptions = {}): Promise<EvalReport> {
  if (typeof subject !== 'object' || (subject as unknown) === null || typeof subject.agent !== 'string' || subject.agent === '')
    throw new EvalError(
      EvalErrorCode.BadSubject,
      'the eval subject has no `agent` name: evalSubject() must return { agent, scenarios?, replay? }',
    );
  const level = checkRatio('level', options.level ?? 0.95);
  const alpha = checkRatio('alpha', options.alpha ?? 0.05);
  const clock = options.clock ?? Date.now;
  const started = clock();
  const cases: EvalCase[] = [];

  if (options.scenarios ?? true) {
    if (typeof subject.scenarios !== 'function')
      throw new EvalError(
        EvalErrorCode.BadSubject,
        `the eval subject of ${subject.agent} has no scenarios(): pass --no-scenarios or export one`,
      );
    for (const scenario of await subject.scenarios()) {
      const observed = await scenario.run();
      cases.push(caseOf(scenario.id, 'scenario', scenario.category, observed, judge(scenario.expected, observed)));
    }
  }

  // The labelled set: the latest labelled feedback of each run of this agent.
  const feedback = (options.feedback ?? []).filter((f) => f.agent === subject.agent);
  const latest = new Map<string, Feedback>();
  for (const f of feedback) if (isLabelled(f)) latest.set(f.runId, f);
  const recordings = new Map((options.recordings ?? []).map((r) => [r.runId, r]));
  const missingRecording: string[] = [];
  let replayed = 0;
  for (const [runId, f] of latest) {
    const recording = recordings.get(runId);
    const expected = recording === undefined ? undefined : expectationOf(f, recording);
    if (recording === undefined || expected === undefined) {
      missingRecording.push(runId);
      continue;
    }
    if (typeof subject.replay !== 'function')
      throw new EvalError(
        EvalErrorCode.BadSubject,
        `the eval subject of ${subject.agent} has no replay(recording): it cannot re-run recorded runs`,
      );
    let observed: Observation;
    let failures: string[];
    try {
      observed = await subject.replay(recording);
      failures = judge(expected, observed);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      observed = { status: 'diverged', actions: [], ruleIds: [], costUsd: 0, ...(typeof code === 'string' ? { reason: code } : {}) };
      failures = [`the replay diverged from the recording: ${error instanceof Error ? error.message : String(error)}`];
    }
    replayed++;
    cases.push(caseOf(`feedback:${runId}`, 'feedback', feedbackCategory(f), observed, failures, f.id));
  }

  const byCategory = new Map<string, EvalCase[]>();
  for (const c of cases) byCategory.set(c.category, [...(byCategory.get(c.category) ?? []), c]);
  const categories: EvalCategory[] = [...byCategory.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([category, list]) => ({ category, ...proportion(list, level) }));

  const report: EvalReport = {
    format: EVAL_REPORT_FORMAT,
    v: EVAL_REPORT_VERSION,
    agent: subject.agent,
    ...(options.version === undefined ? {} : { version: options.version }),
    producedAt: new Date(clock()).toISOString(),
    durationMs: Math.max(0, clock() - started),
    level,
    overall: proportion(cases, level),
    categories,
    feedback: {
      records: feedback.length,
      labelled: latest.size,
      replayed,
      missingRecording,
      unlabelled: new Set(feedback.filter((f) => !latest.has(f.runId)).map((f) => f.runId)).size,
    },
    cases,
    ...(options.baseline === undefined
      ? {}
      : {
          comparison: compareReports(
            options.baseline,
            { agent: subject.agent, categories },
            { alpha, correction: options.correction ?? 'none' },
          ),
        }),
    ...(options.patterns === true ? { patterns: findPatterns(cases, subject.playbooks ?? []) } : {}),
  };
  return EvalReport.parse(report);
}

function proportion(list: readonly EvalCase[], level: number) {
  const passed = list.filter((c) => c.passed).length;
  return { passed, total: list.length, ...wilson(passed, list.length, level) };
}

/**
 * Compares per category: a one-sided Fisher's exact test of "the current version passes less often",
 * at `alpha` per category (`correction: 'none'`) or over the family of categories (`'holm'`). A
 * category regressed when its (adjusted) p-value is below `alpha`.
 */
export function compareReports(
  baseline: Pick<EvalReport, 'agent' | 'categories'> & Partial<Pick<EvalReport, 'version' | 'producedAt'>>,
  current: Pick<EvalReport, 'agent' | 'categories'>,
  options: { readonly alpha?: number; readonly correction?: 'none' | 'holm' } = {},
): EvalComparison {
  const alpha = checkRatio('alpha', options.alpha ?? 0.05);
  const correction = options.correction ?? 'none';
  if (baseline.agent !== current.agent)
    throw new EvalError(
      EvalErrorCode.BadBaseline,
      `the baseline report is for agent "${baseline.agent}", not "${current.agent}": compare two versions of the same agent`,
    );
  const names = [...new Set([...baseline.categories, ...current.categories].map((c) => c.category))].sort();
  const counts = (list: readonly EvalCategory[], name: string) => {
    const found = list.find((c) => c.category === name);
    return { passed: found?.passed ?? 0, total: found?.total ?? 0 };
  };
  const raw = names.map((category) => {
    const b = counts(baseline.categories, category);
    const c = counts(current.categories, category);
    return {
      category,
      b,
      c,
      p: fisherOneSided(b.passed, b.total, c.passed, c.total),
      floor: fisherOneSided(b.passed, b.total, 0, c.total),
    };
  });
  const adjusted = correction === 'holm' ? holm(raw.map((r) => r.p)) : raw.map((r) => r.p);
  const floors = correction === 'holm' ? raw.map((r) => Math.min(1, r.floor * raw.length)) : raw.map((r) => r.floor);
  const rows: EvalComparisonRow[] = raw.map((r, i) => {
    const rate = (x: { passed: number; total: number }) => (x.total === 0 ? 0 : x.passed / x.total);
    const adjustedP = adjusted[i] ?? 1;
    return {
      category: r.category,
      baseline: r.b,
      current: r.c,
      delta: rate(r.c) - rate(r.b),
      pValue: r.p,
      adjustedP,
      regressed: r.b.total > 0 && r.c.total > 0 && below(adjustedP, alpha),
      detectable: r.b.passed > 0 && r.c.total > 0 && below(floors[i] ?? 1, alpha),
    };
  });
  return {
    baseline: {
      agent: baseline.agent,
      ...(baseline.version === undefined ? {} : { version: baseline.version }),
      producedAt: baseline.producedAt ?? new Date(0).toISOString(),
    },
    test: 'fisher-exact-one-sided',
    correction,
    alpha,
    regressed: rows.some((r) => r.regressed),
    categories: rows,
  };
}

/** p < alpha, strictly, beyond floating-point noise (3 of 3 against 0 of 3 is exactly 0.05: not below 0.05). */
function below(p: number, alpha: number): boolean {
  return p < alpha * (1 - 1e-9);
}

/** Reads a report `charter eval --json` wrote; throws `EVAL_BAD_BASELINE` naming the file and the first problem. */
export function readEvalReport(path: string): EvalReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new EvalError(EvalErrorCode.BadBaseline, `cannot read the baseline ${path}: ${(error as Error).message}`, { cause: error });
  }
  const result = EvalReport.safeParse(parsed);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new EvalError(
      EvalErrorCode.BadBaseline,
      `${path} is not a charter.eval v${EVAL_REPORT_VERSION} report (${issue === undefined || issue.path.length === 0 ? '(report)' : issue.path.join('.')}: ${issue?.message ?? 'invalid'}): write it with charter eval --json`,
    );
  }
  return result.data;
}

/** Reads recordings: a `.json` file, or every `*.json` in a folder (as `npm start -- --record <dir>` writes them). */
export function readRecordings(path: string): Recording[] {
  let files: string[];
  try {
    files = statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((f) => f.endsWith('.json'))
          .sort()
          .map((f) => join(path, f))
      : [path];
  } catch (error) {
    throw new EvalError(EvalErrorCode.BadRecording, `cannot read recordings at ${path}: ${(error as Error).message}`, { cause: error });
  }
  return files.map((file) => {
    try {
      return parseRecording(JSON.parse(readFileSync(file, 'utf8')), file);
    } catch (error) {
      throw new EvalError(EvalErrorCode.BadRecording, `${file} is not a Charter recording: ${(error as Error).message.slice(0, 500)}`, {
        cause: error,
      });
    }
  });
}
