import type { Playbook } from '@charter/spec';
import type { ControlActor, ControlStore } from './controls.js';
import { StateError, StateErrorCode } from './errors.js';

/** One machine action a playbook run carried out. */
export interface PlaybookStepResult {
  /** 1-based index of the mitigation in the playbook. */
  readonly mitigation: number;
  readonly step: string;
  readonly action: string;
  readonly target?: string | undefined;
  readonly value?: number | undefined;
}

export interface RunPlaybookOptions {
  /** Who runs the playbook (recorded with every control it sets). */
  readonly by: string;
  /** Why (recorded); default: "playbook <id>". Each control's reason also names the mitigation. */
  readonly reason?: string | undefined;
  /** The tool for `tool.disable` actions written as `$tool` (the alert's `tool` label). */
  readonly tool?: string | undefined;
}

/**
 * Executes a playbook's machine actions in order, as controls of `agent` in `store`: every mitigation
 * with an `action` sets that control, recorded with who ran the playbook and which mitigation it was.
 * Human-only mitigations are skipped (they are the operator's). All arguments are checked before the
 * first control is set, so a playbook that cannot run changes nothing.
 */
export async function runPlaybook(
  store: ControlStore,
  playbook: Playbook,
  agent: string,
  options: RunPlaybookOptions,
): Promise<PlaybookStepResult[]> {
  const id = playbook.metadata.name;
  const planned: PlaybookStepResult[] = [];
  playbook.spec.mitigations.forEach((mitigation, index) => {
    const action = mitigation.action;
    if (action === undefined) return;
    let target = action.tool;
    if (target === '$tool') {
      if (options.tool === undefined)
        throw new StateError(
          StateErrorCode.Playbook,
          `playbook ${id}, mitigation ${index + 1} disables "$tool" (the alert's tool label): name the tool with --tool`,
        );
      target = options.tool;
    }
    planned.push({ mitigation: index + 1, step: mitigation.step, action: action.type, target, value: action.weight });
  });
  const reason = options.reason ?? `playbook ${id}`;
  for (const step of planned) {
    const actor: ControlActor = {
      by: options.by,
      reason: `${reason} (playbook ${id}, mitigation ${step.mitigation}: ${step.step})`.slice(0, 2000),
    };
    await store.set(agent, { action: step.action as never, target: step.target, value: step.value }, actor);
  }
  return planned;
}
