import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SpecError } from './errors.js';
import { loadAgent } from './load-agent.js';
import { loadPlaybook } from './playbook.js';
import type { Playbook, PlaybookInput } from './playbook-schema.js';
import { Playbook as PlaybookSchema } from './playbook-schema.js';
import { playbookRoutes, routeEscalation } from './routing.js';
import { ESCALATION_REASONS } from './values.js';

const ROOT = join(import.meta.dirname, '..', '..', '..');
const PLAYBOOK_DIR = join(ROOT, 'playbooks');

/** Every playbook of the repository's playbooks/ folder. */
function repoPlaybooks(): Playbook[] {
  return readdirSync(PLAYBOOK_DIR)
    .filter((file) => file.endsWith('.md') && file !== 'README.md')
    .sort()
    .map((file) => {
      const { value, issues } = loadPlaybook({ path: join(PLAYBOOK_DIR, file) });
      if (value === undefined) throw new Error(`${file}: ${JSON.stringify(issues)}`);
      return value;
    });
}

function playbook(name: string, triggers: PlaybookInput['spec']['triggers']): Playbook {
  const base = repoPlaybooks()[0];
  if (base === undefined) throw new Error('no playbook in the repository');
  return PlaybookSchema.parse({ ...base, metadata: { ...base.metadata, name }, spec: { ...base.spec, triggers } });
}

describe('playbookRoutes', () => {
  it("routes every escalation reason of the repository's playbooks, in the reference agent's playbooks too", () => {
    const all = playbookRoutes(repoPlaybooks());
    expect(ESCALATION_REASONS.filter((reason) => (all.escalations.get(reason) ?? []).length === 0)).toEqual([]);
    // The playbooks loadAgent returns (the ones the reference manifest lists) route every reason as well.
    const agent = loadAgent(join(ROOT, 'packages', 'reference-agent', 'agent.yaml'));
    expect(agent.playbooks.size).toBeGreaterThan(0);
    const routes = playbookRoutes(agent.playbooks);
    for (const reason of ESCALATION_REASONS) expect(routeEscalation(routes, reason), reason).toBeDefined();
    expect(routes.alerts.get('CharterModelFallbackActive')).toBe('model-provider-outage');
    expect(routes.escalations.get('model_error')).toEqual(['model-provider-outage']);
  });

  it('maps alerts to one playbook and lists escalations, error codes, rules and rollout checks in the order given', () => {
    const routes = playbookRoutes([
      playbook('first', { alerts: ['AlertA'], escalations: ['tool_failure'], errorCodes: ['TOOL_TIMEOUT'] }),
      playbook('second', { escalations: ['tool_failure', 'model_error'], errorCodes: ['TOOL_UNAVAILABLE'], guardrailRules: ['pii.email'] }),
      playbook('third', { rolloutChecks: ['maxDisagreementRate'] }),
    ]);
    expect([...routes.alerts]).toEqual([['AlertA', 'first']]);
    expect(routes.escalations.get('tool_failure')).toEqual(['first', 'second']);
    expect(routes.escalations.get('model_error')).toEqual(['second']);
    expect(routes.errorCodes.get('TOOL_UNAVAILABLE')).toEqual(['second']);
    expect(routes.guardrailRules.get('pii.email')).toEqual(['second']);
    expect(routes.rolloutChecks.get('maxDisagreementRate')).toEqual(['third']);
  });

  it('throws SPEC_ROUTE_CONFLICT when two playbooks claim one alert or one playbook is given twice', () => {
    const a = playbook('a', { alerts: ['AlertA'] });
    const b = playbook('b', { alerts: ['AlertA'] });
    expect(() => playbookRoutes([a, b])).toThrow(expect.objectContaining({ code: 'SPEC_ROUTE_CONFLICT' }) as Error);
    expect(() => playbookRoutes([a, b])).toThrow(/AlertA is a trigger of both "a" and "b"/);
    expect(() => playbookRoutes([a, a])).toThrow(SpecError);
  });
});

describe('routeEscalation', () => {
  const routes = playbookRoutes([
    playbook('timeouts', { escalations: ['tool_failure'], errorCodes: ['TOOL_TIMEOUT'] }),
    playbook('cascade', { escalations: ['tool_failure'], errorCodes: ['TOOL_UNAVAILABLE'] }),
    playbook('leak', { escalations: ['guardrail_denied'], guardrailRules: ['tool.arg.recipient'] }),
  ]);

  it('prefers the playbook that also lists the escalation’s error code or rule, else the first', () => {
    expect(routeEscalation(routes, 'tool_failure', { errorCodes: ['TOOL_UNAVAILABLE'] })).toBe('cascade');
    expect(routeEscalation(routes, 'tool_failure', { errorCodes: ['TOOL_TIMEOUT'] })).toBe('timeouts');
    expect(routeEscalation(routes, 'tool_failure')).toBe('timeouts');
    expect(routeEscalation(routes, 'guardrail_denied', { ruleIds: ['tool.arg.recipient'] })).toBe('leak');
  });

  it('is undefined for a reason no playbook lists', () => {
    expect(routeEscalation(routes, 'handoff')).toBeUndefined();
  });
});
