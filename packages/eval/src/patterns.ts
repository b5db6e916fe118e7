// Failure patterns: the failed cases of a report clustered by what they share — a guardrail rule id,
// a tool error code, an escalation reason, a scenario category — ranked by frequency × cost, each
// linked to the playbooks whose triggers cover it (or flagged as having none).
import {
  type EscalationReason,
  type EvalCase,
  type EvalPattern,
  type EvalPatternKind,
  type Playbook,
  playbookRoutes,
  type PlaybookRoutes,
  routeEscalation,
} from '@charter/spec';

interface Cluster {
  readonly kind: EvalPatternKind;
  readonly value: string;
  readonly cases: EvalCase[];
}

function covering(routes: PlaybookRoutes, kind: Exclude<EvalPatternKind, 'category'>, value: string): readonly string[] {
  if (kind === 'rule') return routes.guardrailRules.get(value) ?? [];
  if (kind === 'error-code') return routes.errorCodes.get(value) ?? [];
  return routes.escalations.get(value as never) ?? [];
}

/** The keys a failed case is clustered under. */
function keysOf(c: EvalCase): { kind: EvalPatternKind; value: string }[] {
  const keys: { kind: EvalPatternKind; value: string }[] = [];
  for (const rule of new Set(c.ruleIds)) keys.push({ kind: 'rule', value: rule });
  for (const code of new Set(c.errorCodes)) keys.push({ kind: 'error-code', value: code });
  if (c.status === 'escalated' && c.reason !== undefined) keys.push({ kind: 'escalation', value: c.reason });
  keys.push({ kind: 'category', value: c.category });
  return keys;
}

/**
 * Clusters the failed cases. A pattern's score is its frequency × the mean cost of its failed runs
 * (the spend they lost); ties, and runs that cost nothing, rank by frequency. A category's playbooks
 * are those covering any rule, error code or escalation reason of its failed cases.
 */
export function findPatterns(cases: readonly EvalCase[], playbooks: Iterable<Playbook> = []): EvalPattern[] {
  const routes = playbookRoutes([...playbooks]);
  const clusters = new Map<string, Cluster>();
  for (const c of cases) {
    if (c.passed) continue;
    for (const key of keysOf(c)) {
      const id = `${key.kind}\u0000${key.value}`;
      const cluster = clusters.get(id) ?? { ...key, cases: [] };
      cluster.cases.push(c);
      clusters.set(id, cluster);
    }
  }
  const patterns = [...clusters.values()].map((cluster): EvalPattern => {
    const count = cluster.cases.length;
    const costUsd = cluster.cases.reduce((sum, c) => sum + c.costUsd, 0);
    const linked = linkedPlaybooks(routes, cluster);
    return {
      kind: cluster.kind,
      value: cluster.value,
      count,
      costUsd: round(costUsd),
      score: round(count * (costUsd / count)),
      cases: cluster.cases.slice(0, 20).map((c) => c.id),
      playbooks: linked,
    };
  });
  const order: Record<EvalPatternKind, number> = { rule: 0, 'error-code': 1, escalation: 2, category: 3 };
  return patterns.sort((a, b) => b.score - a.score || b.count - a.count || order[a.kind] - order[b.kind] || a.value.localeCompare(b.value));
}

/**
 * The playbooks covering a cluster, the best first: for an escalation reason, the one the agent's own
 * routing picks given the cluster's error codes and rules; for a category, those covering most of its
 * failed cases' rules, error codes and escalation reasons.
 */
function linkedPlaybooks(routes: PlaybookRoutes, cluster: Cluster): string[] {
  if (cluster.kind === 'rule' || cluster.kind === 'error-code') return [...covering(routes, cluster.kind, cluster.value)];
  if (cluster.kind === 'escalation') {
    const all = covering(routes, 'escalation', cluster.value);
    const first = routeEscalation(routes, cluster.value as EscalationReason, {
      errorCodes: [...new Set(cluster.cases.flatMap((c) => c.errorCodes))],
      ruleIds: [...new Set(cluster.cases.flatMap((c) => c.ruleIds))],
    });
    return first === undefined ? [...all] : [first, ...all.filter((id) => id !== first)];
  }
  const hits = new Map<string, number>();
  for (const c of cluster.cases)
    for (const key of keysOf(c))
      if (key.kind !== 'category') for (const id of covering(routes, key.kind, key.value)) hits.set(id, (hits.get(id) ?? 0) + 1);
  return [...hits.entries()].sort(([a, x], [b, y]) => y - x || a.localeCompare(b)).map(([id]) => id);
}

function round(usd: number): number {
  return Math.round(usd * 1e9) / 1e9;
}
