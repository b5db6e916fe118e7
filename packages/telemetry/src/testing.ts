import { TelemetryError, TelemetryErrorCode } from './errors.js';
import { createReplay, diffRecordings, formatRecordingDiff } from './replay.js';
import type { Recording, RecordingDifference, ReplaySession } from './replay.js';

export { createMemorySink } from './sinks/memory.js';
export type { MemorySink } from './sinks/memory.js';

/** Thrown by `expectReplayToMatch`; `differences` holds the structured diff. */
export class ReplayMismatchError extends TelemetryError {
  override readonly name = 'ReplayMismatchError';
  readonly differences: readonly RecordingDifference[];

  constructor(differences: readonly RecordingDifference[]) {
    super(
      TelemetryErrorCode.ReplayMismatch,
      `the replayed run differs from its recording in ${differences.length} place(s):\n${formatRecordingDiff(differences)}`,
    );
    this.differences = differences;
  }
}

/** Re-executes a recorded run against replay sources and returns what it recorded. */
export type ReplayRun = (session: ReplaySession) => Recording | Promise<Recording>;

/**
 * Test helper (vitest or any runner): replays `recording` through `run` (which gets the replay model
 * and tools), checks every recorded response was consumed, and throws `ReplayMismatchError` naming
 * each differing decision, tool result and output by step and path. `run` may also be an
 * already-produced recording to compare.
 */
export async function expectReplayToMatch(recording: Recording, run: ReplayRun | Recording): Promise<void> {
  const session = typeof run === 'function' ? createReplay(recording) : undefined;
  const actual = typeof run === 'function' && session ? await run(session) : (run as Recording);
  const differences = diffRecordings(recording, actual);
  if (differences.length > 0) throw new ReplayMismatchError(differences);
  session?.assertDrained();
}
