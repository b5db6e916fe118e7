import { checkQuotas, openServeState, type Quotas, ServeError, serveStateUrl, type Tenant, TenantStore } from '@charter/serve';
import { DATABASE_URL_ENV, type SqlDriver, StateError, StateErrorCode, type StateStores } from '@charter/state';
import { parseArgs } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';

const USAGE = `Usage: charter tenants add <id> [quota options] [--weight N] (--db <url> | --agent <dir>) [--json]
       charter tenants list (--db <url> | --agent <dir>) [--json]
       charter tenants revoke <id> (--db <url> | --agent <dir>) [--json]
       charter tenants set-quota <id> [quota options] [--weight N] (--db <url> | --agent <dir>) [--json]

Manages the tenants of "charter serve". "add" prints the tenant's API key once: only its
SHA-256 is stored. "revoke" disables the key (every instance refuses it within a second).
Quotas not set fall back to the service's defaults (from the manifest's budgets).

Quota options:
  --rpm N             run requests per minute
  --concurrent N      runs queued or running at once
  --tokens-per-day N  model tokens per UTC day (charged from the runs' real usage)
  --cost-per-day USD  model spend per UTC day
  --weight N          share of the workers when tenants compete (default 1)

Options:
  --db <url>       the serve state: postgres://… or pglite:<dir> (default: $${DATABASE_URL_ENV})
  --agent <dir>    use the agent's embedded default, pglite:<dir>/.charter/serve-db
                   (one process at a time: stop "charter serve" first)
  --json           print JSON
  --help           show this help

Exit codes: 0 done, 2 usage error, unknown tenant or the state cannot be opened.`;

const QUOTA_FLAGS: Readonly<Record<string, keyof Quotas>> = {
  rpm: 'requestsPerMinute',
  concurrent: 'concurrentRuns',
  'tokens-per-day': 'tokensPerDay',
  'cost-per-day': 'costPerDayUsd',
};

function number(flag: string | true | undefined, name: string): number | undefined {
  if (flag === undefined) return undefined;
  if (flag === true || !/^\d{1,12}(?:\.\d{1,9})?$/.test(flag)) throw usageError(`--${name} needs a positive number`);
  return Number(flag);
}

async function open(flags: Map<string, string | true>, io: Io): Promise<{ readonly state: StateStores; readonly sql: SqlDriver }> {
  const db = flags.get('db');
  const agent = flags.get('agent');
  if (db === true || agent === true) throw usageError(`--${db === true ? 'db' : 'agent'} needs a value`);
  const fromEnv = io.env[DATABASE_URL_ENV];
  if (db === undefined && agent === undefined && (fromEnv === undefined || fromEnv === ''))
    throw usageError(`name the serve state: --db <url>, --agent <dir> or $${DATABASE_URL_ENV}`);
  const url = db ?? (agent === undefined ? fromEnv : serveStateUrl(agent, undefined, {}));
  let state: StateStores;
  try {
    state = await openServeState(url ?? '', { env: io.env, cwd: io.cwd });
  } catch (error) {
    if (StateError.isInstance(error))
      throw new CliError(error.code === StateErrorCode.BadConfig ? CliErrorCode.Usage : CliErrorCode.Io, error.message, { cause: error });
    throw error;
  }
  if (state.sql === undefined) {
    await state.close();
    throw usageError(`tenants live in SQL state: use postgres://… or pglite:<dir>, not ${state.kind}`);
  }
  return { state, sql: state.sql };
}

const line = (tenant: Tenant): string => {
  const quotas = Object.entries(tenant.quotas)
    .map(([key, limit]) => `${key}=${String(limit)}`)
    .join(' ');
  return `${tenant.id}\t${tenant.revokedAt === undefined ? 'active' : `revoked ${tenant.revokedAt}`}\tweight ${tenant.weight}\tkey ${tenant.keyPrefix}…${quotas === '' ? '' : `\t${quotas}`}\n`;
};

/** `charter tenants add|list|revoke|set-quota`: a thin shell over @charter/serve's TenantStore. */
export const tenantsCommand: Command = {
  name: 'tenants',
  summary: 'Add, list, revoke tenants of charter serve and set their quotas',
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, {
      boolean: ['json'],
      valued: ['db', 'agent', 'weight', ...Object.keys(QUOTA_FLAGS)],
    });
    const [action, id, ...rest] = positionals;
    if (action === undefined || !['add', 'list', 'revoke', 'set-quota'].includes(action))
      throw usageError(`name an action: add, list, revoke or set-quota${action === undefined ? '' : ` (not "${action}")`}`);
    if (action !== 'list' && id === undefined) throw usageError(`charter tenants ${action} needs the tenant id`);
    if (rest.length > 0 || (action === 'list' && id !== undefined)) throw usageError(`unexpected argument "${rest[0] ?? id ?? ''}"`);
    const quotas: Partial<Record<keyof Quotas, number>> = {};
    for (const [flag, key] of Object.entries(QUOTA_FLAGS)) {
      const limit = number(flags.get(flag), flag);
      if (limit !== undefined) quotas[key] = limit;
    }
    const weight = number(flags.get('weight'), 'weight');
    try {
      checkQuotas(quotas, 'charter tenants');
    } catch (error) {
      throw new CliError(CliErrorCode.Usage, (error as Error).message, { cause: error });
    }
    const { state, sql } = await open(flags, io);
    const json = flags.get('json') === true;
    try {
      const tenants = new TenantStore(sql);
      if (action === 'list') {
        const all = await tenants.list();
        io.stdout(json ? `${JSON.stringify(all, null, 2)}\n` : all.length === 0 ? 'no tenants\n' : all.map(line).join(''));
        return ExitCode.Ok;
      }
      const tenantId = id ?? '';
      if (action === 'add') {
        const { tenant, apiKey } = await tenants.add(tenantId, { quotas, ...(weight === undefined ? {} : { weight }) });
        io.stdout(
          json ? `${JSON.stringify({ ...tenant, apiKey }, null, 2)}\n` : `${line(tenant)}API key (shown once, stored hashed): ${apiKey}\n`,
        );
        return ExitCode.Ok;
      }
      const tenant = action === 'revoke' ? await tenants.revoke(tenantId) : await tenants.setQuota(tenantId, quotas, weight);
      io.stdout(json ? `${JSON.stringify(tenant, null, 2)}\n` : line(tenant));
      return ExitCode.Ok;
    } catch (error) {
      if (ServeError.isInstance(error)) throw new CliError(CliErrorCode.Usage, error.message, { cause: error });
      throw error;
    } finally {
      await state.close();
    }
  },
};
