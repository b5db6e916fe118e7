import { loadEvents, TelemetryError } from '@charter/telemetry';
import { formatProfile, profileEvents, renderProfileHtml } from '@charter/telemetry/profile';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath, shown, writeOutput } from '../files.js';

const DEFAULT_EVENTS = '.charter/events.jsonl';

const USAGE = `Usage: charter profile [<events.jsonl>] [--agent <name>] [--tenant <id>] [--limit N]
                       [--json] [--html <file>]

Profiles recorded telemetry (the JSONL events of @charter/telemetry; the
reference agent writes ${DEFAULT_EVENTS}, the default): the slowest tools
(p50/p95/p99), the costliest paths (a run's tool calls in order, by total
model cost), unnecessary tool calls (repeated with the same arguments in a
run, or whose result no later step used), the time per phase
(perceive/decide/act/reflect), per agent and per tenant.

A tool result is "used" when no guardrail withheld it, a model request of its
run follows it and, when content was recorded, one of its values appears in
later model output, tool arguments or the run's output
(docs/guides/where-to-look.md says more).

Options:
  --agent <name>   only the runs of this agent
  --tenant <id>    only the runs of this tenant ("-" for runs without one)
  --limit N        rows per table (default 10)
  --json           print the profile as JSON
  --html <file>    also write one self-contained HTML report with charts
  --help           show this help

Exit 2: the log is missing or unreadable, or a line is not a valid event
(named by file:line).`;

/** `charter profile [events.jsonl]`: a thin shell over `profileEvents` of @charter/telemetry/profile. */
export const profileCommand: Command = {
  name: 'profile',
  summary: 'Profile recorded runs: slow tools, costly paths, unnecessary calls, time per phase',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await -- async so a thrown CliError rejects the promise
  async run(args, io) {
    return runProfile(args, io);
  },
};

function runProfile(args: readonly string[], io: Io): ExitCode {
  const parsed = parseArgs(args, { boolean: ['json'], valued: ['agent', 'tenant', 'limit', 'html'] });
  const [file, ...extra] = parsed.positionals;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}": name one event log`);
  const limitFlag = parsed.flags.get('limit');
  const limit = limitFlag === undefined ? 10 : Number(limitFlag);
  if (limitFlag === true || !Number.isInteger(limit) || limit < 1)
    throw usageError(`--limit needs a positive integer, got "${String(limitFlag)}"`);
  const html = parsed.flags.get('html');
  const agent = parsed.flags.get('agent');
  const tenant = parsed.flags.get('tenant');

  const path = inputPath(io, file ?? DEFAULT_EVENTS, 'event log');
  let events;
  try {
    events = loadEvents(path);
  } catch (error) {
    if (!TelemetryError.isInstance(error)) throw error;
    throw new CliError(CliErrorCode.Io, error.message.replace(path, shown(io, path)), { cause: error });
  }
  const profile = profileEvents(events, {
    ...(typeof agent === 'string' ? { agent } : {}),
    ...(typeof tenant === 'string' ? { tenant } : {}),
  });
  if (typeof html === 'string') {
    const written = writeOutput(
      io,
      html,
      renderProfileHtml(profile, { title: `Agent profile: ${shown(io, path)}`, limit: Math.max(limit, 15) }),
    );
    io.stderr(`wrote ${shown(io, written)}\n`);
  }
  io.stdout(parsed.flags.has('json') ? `${JSON.stringify(profile, null, 2)}\n` : formatProfile(profile, { limit }));
  return ExitCode.Ok;
}
