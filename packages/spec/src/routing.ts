// Playbook routing: which playbook an alert's runbook_url opens and which one an escalation's context
// packet names. The table is derived from the playbooks' own `spec.triggers`, so it is written once,
// in the playbooks; the alert generator and the agent both read it from here.
import { SpecError, SpecErrorCode } from './errors.js';
import type { Playbook } from './playbook-schema.js';
import type { EscalationReason } from './values.js';

/** The routing table of a set of playbooks, from their triggers. Playbook ids keep the order the playbooks were given in. */
export interface PlaybookRoutes {
  /** Alert name → the one playbook its `runbook_url` opens. */
  readonly alerts: ReadonlyMap<string, string>;
  /** Escalation reason → the playbooks that list it in `triggers.escalations`. */
  readonly escalations: ReadonlyMap<EscalationReason, readonly string[]>;
  /** Error code → the playbooks that list it in `triggers.errorCodes`. */
  readonly errorCodes: ReadonlyMap<string, readonly string[]>;
  /** Guardrail rule id → the playbooks that list it in `triggers.guardrailRules`. */
  readonly guardrailRules: ReadonlyMap<string, readonly string[]>;
  /** Rollout-analysis check → the playbooks that list it in `triggers.rolloutChecks`. */
  readonly rolloutChecks: ReadonlyMap<string, readonly string[]>;
}

/** What is known about an escalation besides its reason: the error codes and guardrail rule ids behind it. */
export interface EscalationContext {
  readonly errorCodes?: readonly string[];
  readonly ruleIds?: readonly string[];
}

function add<K>(map: Map<K, string[]>, key: K, id: string): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [id]);
  else if (!list.includes(id)) list.push(id);
}

/**
 * Builds the routing table from playbooks (e.g. `loadAgent(path).playbooks`, or any list of loaded
 * playbooks). An alert opens exactly one runbook: throws `SpecError` (`SPEC_ROUTE_CONFLICT`) when two
 * playbooks list the same alert, or when one playbook id is given twice.
 */
export function playbookRoutes(playbooks: Iterable<Playbook> | ReadonlyMap<string, Playbook>): PlaybookRoutes {
  const list: Iterable<Playbook> = isMap(playbooks) ? playbooks.values() : playbooks;
  const seen = new Set<string>();
  const alerts = new Map<string, string>();
  const escalations = new Map<EscalationReason, string[]>();
  const errorCodes = new Map<string, string[]>();
  const guardrailRules = new Map<string, string[]>();
  const rolloutChecks = new Map<string, string[]>();
  for (const playbook of list) {
    const id = playbook.metadata.name;
    if (seen.has(id)) throw new SpecError(SpecErrorCode.RouteConflict, `playbook "${id}" is given twice: pass each playbook once`);
    seen.add(id);
    const { triggers } = playbook.spec;
    for (const alert of triggers.alerts) {
      const other = alerts.get(alert);
      if (other !== undefined && other !== id) {
        throw new SpecError(
          SpecErrorCode.RouteConflict,
          `alert ${alert} is a trigger of both "${other}" and "${id}", but an alert opens one runbook: keep it in the triggers.alerts of one playbook and link the other from its text`,
        );
      }
      alerts.set(alert, id);
    }
    for (const reason of triggers.escalations) add(escalations, reason, id);
    for (const code of triggers.errorCodes) add(errorCodes, code, id);
    for (const rule of triggers.guardrailRules) add(guardrailRules, rule, id);
    for (const check of triggers.rolloutChecks) add(rolloutChecks, check, id);
  }
  return { alerts, escalations, errorCodes, guardrailRules, rolloutChecks };
}

/**
 * The playbook an escalation's context packet names: among the playbooks that list the reason, the
 * first that also lists one of the escalation's error codes or guardrail rule ids, else the first.
 * Undefined when no playbook lists the reason.
 */
export function routeEscalation(routes: PlaybookRoutes, reason: EscalationReason, context: EscalationContext = {}): string | undefined {
  const candidates = routes.escalations.get(reason) ?? [];
  if (candidates.length <= 1) return candidates[0];
  const hinted = new Set<string>();
  for (const code of context.errorCodes ?? []) for (const id of routes.errorCodes.get(code) ?? []) hinted.add(id);
  for (const rule of context.ruleIds ?? []) for (const id of routes.guardrailRules.get(rule) ?? []) hinted.add(id);
  return candidates.find((id) => hinted.has(id)) ?? candidates[0];
}

function isMap(value: Iterable<Playbook> | ReadonlyMap<string, Playbook>): value is ReadonlyMap<string, Playbook> {
  return typeof (value as { get?: unknown }).get === 'function' && typeof (value as { values?: unknown }).values === 'function';
}
