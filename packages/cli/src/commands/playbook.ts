import { loadAgent } from '@charter/spec';
import { defaultActor, runPlaybook } from '@charter/state';
import { parseArgs } from '../args.js';
import { type Command, ExitCode } from '../command.js';
import { usageError } from '../errors.js';
import { inputPath } from '../files.js';
import { openStateFor, stateUsage } from './control.js';

const USAGE = `Usage: charter playbook run <id> --agent <dir> [--tool <name>] [--by <who>] [--reason <text>]
                           [--db <url>] [--json]

Executes the machine actions of a playbook the agent's manifest lists, in the
order of its mitigations, as operational controls of that agent (see
"charter control"). Each is recorded with who ran the playbook and which
mitigation it was. Mitigations without an action are left to the operator.
Every argument is checked before the first control is set.

Options:
  --agent <dir>    the agent's folder (or its agent.yaml)
  --tool <name>    the tool for actions written "$tool" (the alert's tool label)
  --by <who>       who runs it (default: the operating-system user)
  --reason <text>  why (default: "playbook <id>")
  --db <url>       the state: postgres://…, pglite:<dir>, file:<dir>
                   (default: $CHARTER_DATABASE_URL, else file:.charter)
  --json           print the actions taken as JSON
  --help           show this help

Exit codes: 0 done, 1 the agent's manifest has errors, 2 usage error, unreadable agent or state.`;

/** `charter playbook run <id> --agent <dir>`: executes a playbook's machine actions in order. */
export const playbookCommand: Command = {
  name: 'playbook',
  summary: "Execute a playbook's machine actions (controls) for an agent, in order, recorded",
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, { boolean: ['json'], valued: ['agent', 'tool', 'by', 'reason', 'db'] });
    const [sub, id, ...extra] = positionals;
    if (sub !== 'run') throw usageError(sub === undefined ? 'missing sub-command "run"' : `unknown sub-command "${sub}" (expected "run")`);
    if (id === undefined) throw usageError('missing <id> (a playbook the manifest lists in spec.playbooks)');
    if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}"`);
    const dir = flags.get('agent');
    if (typeof dir !== 'string') throw usageError('--agent <dir> is required');
    const value = (name: string): string | undefined => {
      const flag = flags.get(name);
      if (flag === true) throw usageError(`--${name} needs a value`);
      return flag;
    };
    // A missing path, binary file or unreadable file is exit 2; a manifest with errors is exit 1.
    const loaded = loadAgent(inputPath(io, dir, 'agent manifest', { folder: true }));
    const errors = loaded.issues.filter((issue) => issue.severity === 'error');
    if (loaded.manifest === undefined || errors.length > 0) {
      for (const issue of errors.slice(0, 5)) io.stderr(`${issue.file}:${issue.line}:${issue.column}: ${issue.message}\n`);
      io.stderr(`charter playbook: the agent at ${dir} has ${errors.length} error(s): fix them first (charter validate ${dir})\n`);
      return ExitCode.Failed;
    }
    const agent = loaded.manifest.metadata.name;
    const playbook = loaded.playbooks.get(id);
    if (playbook === undefined) {
      const listed = loaded.manifest.spec.playbooks;
      throw usageError(`${agent} does not list playbook "${id}"${listed.length > 0 ? `; it lists ${listed.join(', ')}` : ''}`);
    }
    const by = value('by') ?? io.env.USER ?? defaultActor();
    const stores = await openStateFor(flags.get('db'), io);
    try {
      let steps;
      try {
        steps = await runPlaybook(stores.controls, playbook, agent, { by, reason: value('reason'), tool: value('tool') });
      } catch (error) {
        stateUsage(error);
      }
      if (flags.has('json')) {
        io.stdout(`${JSON.stringify({ playbook: id, agent, by, store: stores.kind, actions: steps })}\n`);
        return ExitCode.Ok;
      }
      if (steps.length === 0) io.stdout(`Playbook ${id} has no machine actions: its mitigations are the operator's.\n`);
      for (const step of steps)
        io.stdout(
          `✔ ${step.mitigation}. ${step.action}${step.target === undefined ? '' : ` ${step.target}`}${step.value === undefined ? '' : ` = ${step.value}`}  — ${step.step}\n`,
        );
      if (steps.length > 0) io.stdout(`${steps.length} control(s) set for ${agent} by ${by} in ${stores.kind} state.\n`);
      return ExitCode.Ok;
    } finally {
      await stores.close();
    }
  },
};
