// Re-executes a recording of the reference desk (`npm start -- --record <dir>` writes them): the desk
// agent is loaded from its manifest (and the policy it names) as in the scenario suite, with the recording's model
// responses and tool results in place of the scripted model and the desk's tools.
// `charter replay <recording> --agent <this module>` loads it and calls `rerun`.
import { replayModel, replayTools, rerun as rerunRecording } from '@charter/agent/replay';
import type { Recording, ReplaySession } from '@charter/telemetry';
import { createDesk } from './desk.js';
import { DESK_AGENT, loadDeskSpec } from './suite.js';

/**
 * Re-runs a recorded desk run (compatible with `@charter/cli`'s `Rerun`) and returns its recording,
 * ready for `diffRecordings`. Guardrails enforce the manifest's current policy; tools keep their current
 * contracts; the model and tool results come from the recording.
 */
export async function rerunDesk(session: ReplaySession): Promise<Recording> {
  const spec = loadDeskSpec();
  return rerunRecording(session, (s) => ({
    agent: spec,
    model: replayModel(s),
    tools: replayTools(s, createDesk().tools),
    ...DESK_AGENT,
    canaries: [...DESK_AGENT.canaries],
  }));
}

/** The name `charter replay --agent` looks for. */
export const rerun = rerunDesk;
