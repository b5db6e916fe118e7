import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createReplay, diffRecordings, formatRecordingDiff, readRecording, TelemetryError } from '@charter/telemetry';
import type { Recording, RecordingDifference, ReplaySession } from '@charter/telemetry';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, usageError } from '../errors.js';
import { inputPath } from '../files.js';
import { createStyle } from '../format.js';

const USAGE = `Usage: charter replay <recording> --against <recording> [--json]
       charter replay <recording> --agent <module> [--json]

Compares a recorded run with another recording of the same input and names
every differing guardrail decision, tool result, model response and output by
step and JSON pointer.

With --agent, re-executes the recording first: <module> is an ES module that
exports \`rerun(session)\` (built with @charter/agent/replay: the agent with
the recording's model responses and tool results, under the current policy),
and its new recording is compared with the recorded one. Every recorded
response must be used.

Options:
  --against <file>  the recording to compare with (the re-run)
  --agent <module>  re-execute through this module's \`rerun\` export
  --json            print the differences as JSON
  --help            show this help

Exit 1: the runs differ, a recording is invalid, or the re-run diverged.`;

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
  throw usageError('nothing to compare with: pass --against <recording> or --agent <module>');
}

/** Loads `rerun` from the host module named by `--agent` (a path, relative to the working directory). */
async function loadRerun(module: string, io: Io): Promise<Rerun> {
  const path = resolve(io.cwd, module);
  let loaded: { rerun?: unknown };
  try {
    loaded = (await import(pathToFileURL(path).href)) as { rerun?: unknown };
  } catch (error) {
    throw usageError(
      `--agent ${module}: cannot load ${path}: ${error instanceof Error ? (error.message.split('\n')[0] ?? '') : String(error)}`,
    );
  }
  if (typeof loaded.rerun !== 'function')
    throw usageError(`--agent ${module}: the module exports no \`rerun\` function (see @charter/agent/replay)`);
  return loaded.rerun as Rerun;
}

async function runReplay(args: readonly string[], io: Io, rerun: Rerun | undefined): Promise<ExitCode> {
  const parsed = parseArgs(args, { boolean: ['json'], valued: ['against', 'agent'] });
  const [file, ...extra] = parsed.positionals;
  if (file === undefined) throw usageError('missing <recording>');
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}"`);
  const against = parsed.flags.get('against');
  const agent = parsed.flags.get('agent');
  if (typeof against === 'string' && typeof agent === 'string')
    throw usageError('pass either --against <recording> or --agent <module>, not both');
  const host = typeof agent === 'string' ? await loadRerun(agent, io) : rerun;
  const source: { file: string } | { rerun: Rerun } =
    typeof against === 'string' ? { file: against } : host ? { rerun: host } : nothingToCompare();
  // Missing or unreadable recordings are input errors (exit 2); what they hold is checked below (exit 1).
  const expectedPath = inputPath(io, file, 'recording');
  const target: { path: string } | { rerun: Rerun } = 'file' in source ? { path: inputPath(io, source.file, 'recording') } : source;
  const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
  let expected: Recording;
  let actual: Recording;
  let differences: RecordingDifference[];
  try {
    expected = readRecording(expectedPath);
    if ('path' in target) {
      actual = readRecording(target.path);
      differences = diffRecordings(expected, actual);
    } else {
      const session = createReplay(expected);
      actual = await target.rerun(session, io);
      differences = diffRecordings(expected, actual);
      // Unused recorded responses matter only when nothing else differs: a changed decision (a tool
      // now denied) leaves its recorded result unused, and the differences already say why.
      if (differences.length === 0) session.assertDrained();
    }
  } catch (error) {
    if (!TelemetryError.isInstance(error) && !isCodedError(error)) throw error;
    if (parsed.flags.has('json')) io.stdout(`${JSON.stringify({ ok: false, error: { code: error.code, message: error.message } })}\n`);
    else io.stdout(`${style.red('✖')} ${error.message}\n`);
    return ExitCode.Failed;
  }
  if (parsed.flags.has('json')) {
    io.stdout(`${JSON.stringify({ ok: differences.length === 0, differences })}\n`);
  } else if (differences.length === 0) {
    io.stdout(
      `${style.green('✔')} ${file}: replay identical (${expected.modelResponses.length} model responses, ${expected.toolResults.length} tool results, ${expected.decisions.length} decisions, output and status)\n`,
    );
  } else {
    io.stdout(`${style.red('✖')} ${file}: ${differences.length} difference(s)\n`);
    io.stdout(`${formatRecordingDiff(differences).replace(/^/gm, '  ')}\n`);
  }
  return differences.length === 0 ? ExitCode.Ok : ExitCode.Failed;
}

/** An error a re-run raised with a stable code (e.g. `AGENT_BAD_INPUT` from @charter/agent): reported, exit 1. */
function isCodedError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === 'string' && !CliError.isInstance(error);
}
