import { redactUrl, StateError } from '@charter/state';
import { loadEvents, TelemetryError, type TelemetryEvent } from '@charter/telemetry';
import { formatProfile, profileEvents, renderProfileHtml } from '@charter/telemetry/profile';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath, shown, writeOutput } from '../files.js';
import { openStateFor } from './control.js';

const DEFAULT_EVENTS = '.charter/events.jsonl';

const USAGE = `Usage: charter profile [<events.jsonl> | --db <url>] [--agent <name>] [--tenant <id>]
                       [--limit N] [--json] [--html <file>]

Profiles recorded telemetry (the JSONL events of @charter/telemetry; the
reference agent writes ${DEFAULT_EVENTS}, the default; or the events a
telemetry sink stored in @charter/state with --db): the slowest tools
(p50/p95/p99), the costliest paths (a run's tool calls in order, by total
model cost), unnecessary tool calls (repeated with the same arguments in a
run, or whose result no later step used), the time per phase
(perceive/decide/act/reflect), per agent and per tenant.

A tool result is "used" when no guardrail withheld it, a model request of its
run follows it and, when content was recorded, one of its values appears in
later model output, tool arguments or the run's output
(docs/guides/where-to-look.md says more).

Options:
  --db <url>       read the events of @charter/state instead of a file
                   (postgres://…, pglite:<dir>, file:<dir>; the reference
                   agent's --db run writes them there)
  --agent <name>   only the runs of this agent
  --tenant <id>    only the runs of this tenant ("-" for runs without one)
  --limit N        rows per table (default 10)
  --json           print the profile as JSON
  --html <file>    also write one self-contained HTML report with charts
  --help           show this help

Exit 2: the log is missing or unreadable, a line is not a valid event
(named by file:line), or the state cannot be opened.`;

/** `charter profile [events.jsonl]`: a thin shell over `profileEvents` of @charter/telemetry/profile. */
export const profileCommand: Command = {
  name: 'profile',
  summary: 'Profile recorded runs: slow tools, costly paths, unnecessary calls, time per phase',
  usage: USAGE,
  run: (args, io) => runProfile(args, io),
};

async function runProfile(args: readonly string[], io: Io): Promise<ExitCode> {
  const parsed = parseArgs(args, { boolean: ['json'], valued: ['agent', 'tenant', 'limit', 'html', 'db'] });
  const [file, ...extra] = parsed.positionals;
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}": name one event log`);
  const limitFlag = parsed.flags.get('limit');
  const limit = limitFlag === undefined ? 10 : Number(limitFlag);
  if (limitFlag === true || !Number.isInteger(limit) || limit < 1)
    throw usageError(`--limit needs a positive integer, got "${String(limitFlag)}"`);
  const html = parsed.flags.get('html');
  const agent = parsed.flags.get('agent');
  const tenant = parsed.flags.get('tenant');

  const db = parsed.flags.get('db');
  if (db !== undefined && file !== undefined) throw usageError('name an event log or --db <url>, not both');
  const { events, source } =
    db === undefined ? fromFile(io, file ?? DEFAULT_EVENTS) : await fromState(io, db, typeof agent === 'string' ? agent : undefined);
  const profile = profileEvents(events, {
    ...(typeof agent === 'string' ? { agent } : {}),
    ...(typeof tenant === 'string' ? { tenant } : {}),
  });
  if (typeof html === 'string') {
    const written = writeOutput(io, html, renderProfileHtml(profile, { title: `Agent profile: ${source}`, limit: Math.max(limit, 15) }));
    io.stderr(`wrote ${shown(io, written)}\n`);
  }
  io.stdout(parsed.flags.has('json') ? `${JSON.stringify(profile, null, 2)}\n` : formatProfile(profile, { limit }));
  return ExitCode.Ok;
}

function fromFile(io: Io, file: string): { events: TelemetryEvent[]; source: string } {
  const path = inputPath(io, file, 'event log');
  try {
    return { events: loadEvents(path), source: shown(io, path) };
  } catch (error) {
    if (!TelemetryError.isInstance(error)) throw error;
    throw new CliError(CliErrorCode.Io, error.message.replace(path, shown(io, path)), { cause: error });
  }
}

async function fromState(io: Io, db: string | true, agent: string | undefined): Promise<{ events: TelemetryEvent[]; source: string }> {
  if (db === true) throw usageError('--db needs a value');
  const stores = await openStateFor(db, io);
  try {
    return { events: await stores.events.read(agent === undefined ? {} : { agent }), source: redactUrl(db) };
  } catch (error) {
    if (!StateError.isInstance(error)) throw error;
    throw new CliError(CliErrorCode.Io, error.message, { cause: error });
  } finally {
    await stores.close();
  }
}
