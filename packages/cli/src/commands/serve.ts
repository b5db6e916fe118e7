import { runServe, ServeError } from '@charter/serve';
import { DATABASE_URL_ENV, StateError, StateErrorCode } from '@charter/state';
import { parseArgs } from '../args.js';
import { type Command, ExitCode } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';

const USAGE = `Usage: charter serve <agent dir> [--db <url>] [--port N] [--host <addr>] [--workers N] [--module <file>]

Serves the agent of <agent dir> over HTTP to the tenants of the state database
(add them with "charter tenants add"): POST /v1/agents/<name>/runs, GET /v1/runs/<id>,
GET /v1/runs/<id>/events (server-sent events), POST /v1/runs/<id>/approval and /feedback,
/healthz, /readyz, /metrics, /openapi.json. Runs go through a durable fair queue; SIGTERM
(or Ctrl-C) drains: new runs get 503, runs in flight finish or go back to the queue.

The tool implementations (and optionally an offline model) come from a serve module:
--module <file>, else serve.mjs or serve.js in the agent folder, exporting "tools" and "model".

Options:
  --db <url>       postgres://… (several instances) or pglite:<dir> (one process)
                   (default: $${DATABASE_URL_ENV}, else pglite:<agent dir>/.charter/serve-db)
  --port N         port to listen on (default 8080; 0 picks a free one)
  --host <addr>    address to listen on (default 127.0.0.1)
  --workers N      worker loops in this process (default 2; 0: HTTP only)
  --module <file>  the serve module
  --help           show this help

Exit codes: 0 stopped cleanly, 2 usage error, the agent cannot be loaded or the state cannot be opened.`;

function integer(flag: string | true | undefined, name: string, min: number, max: number): number | undefined {
  if (flag === undefined) return undefined;
  if (flag === true || !/^\d{1,6}$/.test(flag) || Number(flag) < min || Number(flag) > max)
    throw usageError(`--${name} needs a whole number from ${min} to ${max}`);
  return Number(flag);
}

function value(flag: string | true | undefined, name: string): string | undefined {
  if (flag === true) throw usageError(`--${name} needs a value`);
  return flag;
}

/** `charter serve <agent dir>`: a thin shell over `runServe` from @charter/serve. */
export const serveCommand: Command = {
  name: 'serve',
  summary: 'Serve an agent over HTTP to many tenants (queue, quotas, fair share, SSE, OpenAPI)',
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, { valued: ['db', 'port', 'host', 'workers', 'module'] });
    const [dir, ...rest] = positionals;
    if (dir === undefined) throw usageError('name the agent folder to serve: charter serve <agent dir>');
    if (rest.length > 0) throw usageError(`unexpected argument "${rest[0] ?? ''}"`);
    const port = integer(flags.get('port'), 'port', 0, 65_535);
    const workers = integer(flags.get('workers'), 'workers', 0, 256);
    const db = value(flags.get('db'), 'db');
    const host = value(flags.get('host'), 'host');
    const module = value(flags.get('module'), 'module');
    let running;
    try {
      running = await runServe({
        dir,
        db,
        module,
        env: io.env,
        cwd: io.cwd,
        ...(port === undefined ? {} : { port }),
        ...(host === undefined ? {} : { host }),
        ...(workers === undefined ? {} : { workers }),
      });
    } catch (error) {
      if (ServeError.isInstance(error)) throw new CliError(CliErrorCode.Usage, error.message, { cause: error });
      if (StateError.isInstance(error))
        throw new CliError(error.code === StateErrorCode.BadConfig ? CliErrorCode.Usage : CliErrorCode.Io, error.message, { cause: error });
      if ((error as { code?: unknown }).code === 'EADDRINUSE')
        throw new CliError(CliErrorCode.Io, `port ${port ?? 8080} is in use: pass --port`);
      throw error;
    }
    io.stdout(
      `charter serve: ${running.service.agentName} on ${running.url} (state ${running.db}, ${workers ?? 2} workers); OpenAPI at ${running.url}/openapi.json\n`,
    );
    await new Promise<void>((resolve) => {
      const stop = (): void => {
        process.off('SIGTERM', stop);
        process.off('SIGINT', stop);
        resolve();
      };
      process.on('SIGTERM', stop);
      process.on('SIGINT', stop);
    });
    io.stderr('charter serve: draining (new runs get 503)…\n');
    const drained = await running.stop();
    io.stderr(`charter serve: stopped; ${drained.finished} runs finished, ${drained.requeued} handed back to the queue\n`);
    return ExitCode.Ok;
  },
};
