import { resolve } from 'node:path';
import { createReplay, diffRecordings, formatRecordingDiff, readRecording, TelemetryError } from '@charter/telemetry';
import type { Recording, ReplaySession } from '@charter/telemetry';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { usageError } from '../errors.js';
import { createStyle } from '../format.js';

const USAGE = `Usage: charter replay <recording> --against <recording> [--json]

Compares a recorded run with another recording of the same input and names
every differing guardrail decision, tool result, model response and output by
step and JSON pointer.

Re-executing a recording against the current agent (replay model and tools
serving the recorded responses) needs a host that can build that agent: it
passes a re-run function to createReplayCommand. Without one, pass the
re-run's recording with --against.

Options:
  --against <file>  the recording to compare with (the re-run)
  --json            print the differences as JSON
  --help            show this help

Exit codes: 0 identical, 1 different or invalid recording, 2 usage error.`;

/** Re-executes a recorded run against replay sources and returns its recording (provided by @charter/agent). */
export type Rerun = (session: ReplaySession, io: Io) => Promise<Recording>;

/** Builds `charter replay`; `rerun` lets the agent package re-execute the recording instead of `--against`. */
export function createReplayCommand(options: { rerun?: Rerun } = {}): Command {
  return {
    name: 'replay',
    summary: 'Replay a recorded run and report differences in decisions, tool results and output',
    usage: USAGE,
    run: (args, io) => runReplay(args, io, options.rerun),
  };
}

/** `charter replay <file> --against <file>` (re-execution needs a host-provided `rerun`). */
export const replayCommand: Command = createReplayCommand();

function nothingToCompare(): never {
  throw usageError('nothing to compare with: pass --against <recording> (this build has no re-run hook)');
}

async function runReplay(args: readonly string[], io: Io, rerun: Rerun | undefined): Promise<ExitCode> {
  const parsed = parseArgs(args, { boolean: ['json'], valued: ['against'] });
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) throw usageError('missing <recording>');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}"`);
  const against = parsed.flags.get('against');
  const source: { file: string } | { rerun: Rerun } = typeof against === 'string' ? { file: against } : rerun ? { rerun } : nothingToCompare();
  const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
  let expected: Recording;
  let actual: Recording;
  try {
    expected = readRecording(resolve(io.cwd, file));
    if ('file' in source) {
      actual = readRecording(resolve(io.cwd, source.file));
    } else {
      const session = createReplay(expected);
      actual = await source.rerun(session, io);
      session.assertDrained();
    }
  } catch (error) {
    if (!TelemetryError.isInstance(error)) throw error;
    if (parsed.flags.has('json')) io.stdout(`${JSON.stringify({ ok: false, error: { code: error.code, message: error.message } })}\n`);
    else io.stdout(`${style.red('✖')} ${error.message}\n`);
    return ExitCode.Failed;
  }
  const differences = diffRecordings(expected, actual);
  if (parsed.flags.has('json')) {
    io.stdout(`${JSON.stringify({ ok: differences.length === 0, differences })}\n`);
  } else if (differences.length === 0) {
    io.stdout(
      `${style.green('✔')} ${file}: replay matches (${expected.modelResponses.length} model responses, ${expected.toolResults.length} tool results, ${expected.decisions.length} decisions, output and status)\n`,
    );
  } else {
    io.stdout(`${style.red('✖')} ${file}: ${differences.length} difference(s)\n`);
    io.stdout(`${formatRecordingDiff(differences).replace(/^/gm, '  ')}\n`);
  }
  return differences.length === 0 ? ExitCode.Ok : ExitCode.Failed;
}
