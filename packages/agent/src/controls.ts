// Operational controls: state outside the agent (a database, a file) that an operator or a playbook
// sets, and that every running instance reads at each step. The loop consults them through the
// injected `ControlSource` (AgentOptions.controls); nothing here knows where they are stored.
import type { GuardDecision } from './governance.js';
import type { Runtime } from './runtime.js';

/** The playbook machine actions a control can hold (`PLAYBOOK_ACTIONS` of @charter/spec). */
export type ControlAction =
  'agent.kill-switch' | 'tool.disable' | 'approvals.require-all' | 'model.switch-fallback' | 'rollout.abort' | 'rollout.set-weight';

/** One control in force for an agent. */
export interface Control {
  readonly action: ControlAction;
  /** The tool of `tool.disable`; absent for agent-wide controls. */
  readonly target?: string | undefined;
  /** The argument of controls that take one (`rollout.set-weight`: the weight). */
  readonly value?: unknown;
  /** Who set it and why (audited by the store). */
  readonly by: string;
  readonly reason: string;
}

/**
 * Where the loop reads the controls in force for an agent. `controls` is called at every step
 * through a cache (`CONTROL_MAX_AGE_MS`), so a source may query a database each time it is called.
 * A source that throws fails the step: the run ends `failed` with the error's code.
 */
export interface ControlSource {
  controls(agent: string): Promise<readonly Control[]> | readonly Control[];
}

/** A control read is reused for this long: a change reaches every running instance within it (< 1 s). */
export const CONTROL_MAX_AGE_MS = 500;

/** The rule id a control's decision carries, e.g. `control:tool.disable`. */
export function controlRuleId(action: ControlAction): string {
  return `control:${action}`;
}

/** A cached reader of one agent's controls. */
export class ControlGate {
  readonly #source: ControlSource;
  readonly #agent: string;
  readonly #clock: () => number;
  #at = Number.NEGATIVE_INFINITY;
  #current: readonly Control[] = [];
  #loading: Promise<readonly Control[]> | undefined;

  constructor(source: ControlSource, agent: string, clock: () => number = Date.now) {
    this.#source = source;
    this.#agent = agent;
    this.#clock = clock;
  }

  /** The controls in force, read again when the last read is older than `CONTROL_MAX_AGE_MS`. */
  async read(): Promise<readonly Control[]> {
    if (this.#clock() - this.#at < CONTROL_MAX_AGE_MS) return this.#current;
    if (this.#loading === undefined) {
      const loading = this.#fetch();
      this.#loading = loading;
      // Cleared once settled (always after the assignment above: promise callbacks run later).
      loading.then(
        () => (this.#loading = undefined),
        () => (this.#loading = undefined),
      );
    }
    return this.#loading;
  }

  async #fetch(): Promise<readonly Control[]> {
    const controls = await this.#source.controls(this.#agent);
    this.#current = controls;
    this.#at = this.#clock();
    return controls;
  }
}

/** The kill switch in force, as the message of the escalation it causes; undefined when the agent runs. */
export async function killSwitch(rt: Runtime): Promise<string | undefined> {
  if (rt.controls === undefined) return undefined;
  const kill = (await rt.controls.read()).find((control) => control.action === 'agent.kill-switch');
  return kill === undefined ? undefined : `the agent is stopped by its kill switch (set by ${kill.by}: ${kill.reason})`;
}

/**
 * What the controls decide for one tool call: `deny` when `tool.disable` names the tool (even for an
 * approved call), `needs-approval` under `approvals.require-all` for a side-effecting call not yet
 * approved; undefined when no control applies.
 */
export async function callControl(rt: Runtime, tool: string, sideEffects: string, approved: boolean): Promise<GuardDecision | undefined> {
  if (rt.controls === undefined) return undefined;
  const controls = await rt.controls.read();
  const disabled = controls.find((control) => control.action === 'tool.disable' && control.target === tool);
  if (disabled !== undefined) return decision('deny', controlRuleId('tool.disable'));
  const all = controls.find((control) => control.action === 'approvals.require-all');
  if (all !== undefined && sideEffects !== 'none' && !approved) return decision('needs-approval', controlRuleId('approvals.require-all'));
  return undefined;
}

/** Combines a control's decision with the guardrails' (absent for an approved call): deny wins, then needs-approval. */
export function withControl(control: GuardDecision | undefined, guard: GuardDecision | undefined): GuardDecision {
  if (guard === undefined) return control ?? decision('allow');
  if (control === undefined) return guard;
  if (control.action === 'deny' || guard.action === 'allow' || guard.action === 'redact')
    return { ...guard, action: control.action, wouldBe: control.action, enforced: true, ruleIds: [...control.ruleIds, ...guard.ruleIds] };
  return { ...guard, ruleIds: [...control.ruleIds, ...guard.ruleIds] };
}

function decision(action: GuardDecision['action'], ...ruleIds: string[]): GuardDecision {
  return { action, wouldBe: action, enforced: true, ruleIds };
}
