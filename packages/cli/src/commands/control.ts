import { PLAYBOOK_ACTIONS } from '@charter/spec';
import {
  type ControlInput,
  DATABASE_URL_ENV,
  defaultActor,
  openState,
  redactUrl,
  StateError,
  StateErrorCode,
  type StateStores,
} from '@charter/state';
import { parseArgs } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';

const USAGE = `Usage: charter control <action> <agent> --reason <text> [--tool <name>] [--weight N] [--model <id>]
                      [--by <who>] [--clear] [--db <url>] [--json]
       charter control list <agent> [--db <url>] [--json]

Sets (or with --clear, clears) an operational control of an agent. Every running
instance of the agent that reads the same state obeys it within a second:
  agent.kill-switch      new and running runs escalate without calling the model
  tool.disable           calls of --tool are refused (a decision names the control)
  approvals.require-all  every side-effecting call waits for a human's approval
  model.switch-fallback  recorded (optional --model); honoured by the model-fallback work
  rollout.abort          recorded for the rollout controller
  rollout.set-weight     recorded with --weight 0-100 for the rollout controller
Every change is recorded with who (--by, default: the OS user) and why (--reason).
"list" prints the controls in force and the recent changes.

Options:
  --reason <text>  why (required to set or clear: it is audited)
  --by <who>       who makes the change (default: the operating-system user)
  --tool <name>    the tool of tool.disable (--clear without it clears every disabled tool)
  --weight N       the traffic share of rollout.set-weight, 0-100
  --model <id>     the fallback model of model.switch-fallback
  --clear          clear the control instead of setting it
  --db <url>       the state: postgres://…, pglite:<dir>, file:<dir>
                   (default: $${DATABASE_URL_ENV}, else file:.charter)
  --json           print the result as JSON
  --help           show this help

Exit codes: 0 done, 2 usage error or the state cannot be opened.`;

const ACTIONS = new Set<string>(PLAYBOOK_ACTIONS);

/** Opens the state named by --db (or the environment); a failure to open is exit 2 with the reason. */
export async function openStateFor(db: string | true | undefined, io: Io): Promise<StateStores> {
  if (db === true) throw usageError('--db needs a value');
  try {
    return await openState({ url: db, env: io.env, cwd: io.cwd });
  } catch (error) {
    if (StateError.isInstance(error))
      throw new CliError(error.code === StateErrorCode.BadConfig ? CliErrorCode.Usage : CliErrorCode.Io, error.message, { cause: error });
    throw error;
  }
}

/** Maps a StateError raised by a command's own input (an invalid control) to a usage error. */
export function stateUsage(error: unknown): never {
  if (StateError.isInstance(error))
    throw new CliError(
      error.code === StateErrorCode.BadControl || error.code === StateErrorCode.Playbook ? CliErrorCode.Usage : CliErrorCode.Io,
      error.message,
      { cause: error },
    );
  throw error;
}

function text(flag: string | true | undefined, name: string): string | undefined {
  if (flag === true) throw usageError(`--${name} needs a value`);
  return flag;
}

/** `charter control <action> <agent>`: sets or clears an operational control, audited. */
export const controlCommand: Command = {
  name: 'control',
  summary: 'Set or clear an operational control (kill switch, disabled tool, require-all) for every instance',
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, {
      boolean: ['clear', 'json'],
      valued: ['reason', 'by', 'tool', 'weight', 'model', 'db'],
    });
    const [action, agent, ...extra] = positionals;
    if (action === undefined) throw usageError(`missing <action>: one of ${PLAYBOOK_ACTIONS.join(', ')}, or "list"`);
    if (agent === undefined) throw usageError("missing <agent> (the manifest's metadata.name)");
    if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}"`);
    const json = flags.has('json');
    if (action === 'list') return list(agent, flags.get('db'), json, io);
    if (!ACTIONS.has(action)) throw usageError(`unknown action "${action}": use one of ${PLAYBOOK_ACTIONS.join(', ')}, or "list"`);
    const reason = text(flags.get('reason'), 'reason');
    if (reason === undefined || reason.trim() === '')
      throw usageError('--reason is required: every control change is audited with who and why');
    const by = text(flags.get('by'), 'by') ?? io.env.USER ?? defaultActor();
    const tool = text(flags.get('tool'), 'tool');
    const weightText = text(flags.get('weight'), 'weight');
    const model = text(flags.get('model'), 'model');
    const clear = flags.has('clear');
    let value: unknown;
    if (weightText !== undefined) {
      value = Number(weightText);
      if (weightText.trim() === '' || !Number.isFinite(value))
        throw usageError(`--weight needs a number from 0 to 100, got "${weightText}"`);
    }
    if (model !== undefined) value = model;
    if (clear && value !== undefined) throw usageError('--clear takes no --weight or --model');
    const stores = await openStateFor(flags.get('db'), io);
    try {
      const actor = { by, reason };
      const typed = action as ControlInput['action'];
      let changed = true;
      try {
        if (clear) changed = await stores.controls.clear(agent, typed, tool, actor);
        else await stores.controls.set(agent, { action: typed, target: tool, value }, actor);
      } catch (error) {
        stateUsage(error);
      }
      const op = clear ? 'clear' : 'set';
      if (json) {
        io.stdout(`${JSON.stringify({ agent, action, target: tool, value, op, changed, by, reason, store: stores.kind })}\n`);
      } else {
        const what = `${action}${tool === undefined ? '' : ` ${tool}`}${value === undefined ? '' : ` = ${JSON.stringify(value)}`}`;
        io.stdout(
          clear && !changed
            ? `${what} was not set for ${agent}: nothing to clear\n`
            : `✔ ${what} ${clear ? 'cleared' : 'set'} for ${agent} by ${by} (${reason}) in ${stores.kind} state\n`,
        );
      }
      return ExitCode.Ok;
    } finally {
      await stores.close();
    }
  },
};

async function list(agent: string, db: string | true | undefined, json: boolean, io: Io): Promise<ExitCode> {
  const stores = await openStateFor(db, io);
  try {
    let controls;
    let history;
    try {
      controls = await stores.controls.controls(agent);
      history = await stores.controls.history(agent, 20);
    } catch (error) {
      stateUsage(error);
    }
    if (json) {
      io.stdout(`${JSON.stringify({ agent, store: stores.kind, controls, history })}\n`);
      return ExitCode.Ok;
    }
    const where =
      stores.sql === undefined
        ? stores.kind
        : `${stores.kind} ${redactUrl(db === undefined || db === true ? (io.env[DATABASE_URL_ENV] ?? '') : db)}`;
    io.stdout(`Controls of ${agent} (${where.trim()}):\n`);
    if (controls.length === 0) io.stdout('  none: the agent runs normally\n');
    for (const c of controls)
      io.stdout(
        `  ${c.action}${c.target === undefined ? '' : ` ${c.target}`}${c.value === undefined ? '' : ` = ${JSON.stringify(c.value)}`}  (${c.by}: ${c.reason})\n`,
      );
    if (history.length > 0) io.stdout('Recent changes:\n');
    for (const e of history)
      io.stdout(`  ${e.at}  ${e.op} ${e.action}${e.target === undefined ? '' : ` ${e.target}`}  by ${e.by}: ${e.reason}\n`);
    return ExitCode.Ok;
  } finally {
    await stores.close();
  }
}
