// The evaluation of this policy against its labelled set: every case of eval/cases.yaml is evaluated by
// the policy engine (@charter/guardrails) at its hook, and compared with its label.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { compilePolicy, type GuardrailEngine } from '@charter/guardrails';
import { loadPolicy } from '@charter/spec';
import { parse } from 'yaml';
import { z } from 'zod';

export const POLICY_PATH = fileURLToPath(new URL('../policy.yaml', import.meta.url));
export const CASES_PATH = fileURLToPath(new URL('../eval/cases.yaml', import.meta.url));

const Action = z.enum(['allow', 'redact', 'deny', 'needs-approval']);
export const EvalCase = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/),
  label: z.string().min(1).max(40),
  hook: z.enum(['input', 'output', 'tool-result']),
  expect: Action,
  text: z.string().min(1).max(20_000),
});
export type EvalCase = z.infer<typeof EvalCase>;

export interface CaseResult {
  readonly id: string;
  readonly label: string;
  readonly hook: EvalCase['hook'];
  readonly expected: EvalCase['expect'];
  /** What enforce mode decides (a monitor-mode policy is judged by what it would do). */
  readonly actual: EvalCase['expect'];
  readonly ruleId: string | undefined;
  readonly ok: boolean;
}

export interface EvalReport {
  readonly policy: { readonly name: string; readonly version: string; readonly mode: string };
  readonly total: number;
  readonly passed: number;
  /** Per label: cases and how many were decided as labelled. */
  readonly labels: readonly { readonly label: string; readonly cases: number; readonly passed: number }[];
  readonly cases: readonly CaseResult[];
}

/** The policy as a compiled engine; throws listing every problem of policy.yaml with file:line. */
export function loadEngine(path: string = POLICY_PATH): GuardrailEngine {
  const { value, issues } = loadPolicy({ path });
  const errors = issues.filter((issue) => issue.severity === 'error');
  if (value === undefined || errors.length > 0)
    throw new Error(
      `${path} does not load:\n${errors.map((issue) => `${issue.file}:${issue.line}:${issue.column} ${issue.message}`).join('\n')}`,
    );
  return compilePolicy(value);
}

/** The labelled cases; throws naming the first invalid one. */
export function loadCases(path: string = CASES_PATH): EvalCase[] {
  const parsed = z.strictObject({ cases: z.array(EvalCase).min(1) }).safeParse(parse(readFileSync(path, 'utf8')));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${path}: ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}`);
  }
  return parsed.data.cases;
}

/** Evaluates every case with the engine and reports per case and per label. */
export function evaluate(engine: GuardrailEngine = loadEngine(), cases: readonly EvalCase[] = loadCases()): EvalReport {
  const results: CaseResult[] = cases.map((item) => {
    const decision = engine.evaluate({ hook: item.hook, content: item.text }, engine.createRun());
    return {
      id: item.id,
      label: item.label,
      hook: item.hook,
      expected: item.expect,
      actual: decision.wouldBe,
      ruleId: decision.ruleId,
      ok: decision.wouldBe === item.expect,
    };
  });
  const labels = [...new Set(results.map((result) => result.label))].map((label) => {
    const own = results.filter((result) => result.label === label);
    return { label, cases: own.length, passed: own.filter((result) => result.ok).length };
  });
  return {
    policy: { name: engine.name, version: engine.version, mode: engine.mode },
    total: results.length,
    passed: results.filter((result) => result.ok).length,
    labels,
    cases: results,
  };
}
