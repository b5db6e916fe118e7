import { resolve } from 'node:path';
import type { TelemetryEvent } from '@charter/telemetry';
import { SpecError } from '@charter/spec';
import { parseArgs } from '../args.js';
import { type Command, ExitCode } from '../command.js';
import { usageError } from '../errors.js';
import { shown } from '../files.js';
import { createStyle, type Style } from '../format.js';
import { runAgentPackage, type AgentRun, type RunModel } from '../run/run.js';

const USAGE = `Usage: charter run [dir] [--input <text> | --scenario <file>] [--model offline|manifest] [--json]

Runs the agent package in [dir] (default: the working folder) once, from its Agent Manifest and the tools
module its package exports, and prints the run: each step's model call, tool calls and results, guardrail
decisions and approvals, then the outcome.

The package names its manifest with "charter": { "manifest": "agent.yaml" } (the default) and its tools
module with "exports": { "./tools": "./dist/tools.js" } (or "charter": { "tools": <subpath or file> }).
The tools module exports createTools(options?) or tools, and optionally instructions, canaries and
context (the run-context facts).

Options:
  --input <text>       the user's message
  --scenario <file>    a scenario: input, and optionally script (the offline model's turns), context,
                       faults (passed to createTools) and approval (the answer to a pause)
  --model offline      (default) the scenario's scripted model, or gullible() for --input
  --model manifest     the manifest's spec.model (endpoint and key from CHARTER_MODEL_BASE_URL and
                       CHARTER_MODEL_API_KEY)
  --json               print the run as JSON
  --help               show this help

Exit 0: the run ended (completed, escalated, denied or paused); 1: it failed (the model or a bug);
2: no package, manifest, tools module or scenario, or a package that is not built.`;

function describeEvent(event: TelemetryEvent, style: Style): string | undefined {
  switch (event.type) {
    case 'model.response':
      return `model     ${event.provider}/${event.model} → ${event.finishReason} (${event.inputTokens}+${event.outputTokens} tokens)`;
    case 'tool.call':
      return `tool      ${event.name}@${event.version} called (${event.sideEffects === 'none' ? 'read-only' : event.sideEffects})`;
    case 'tool.result':
      return `tool      ${event.name} → ${event.outcome === 'ok' ? style.green('ok') : style.red(`error ${event.errorCode ?? ''}`)}${
        event.retries > 0 ? ` after ${event.retries} retr${event.retries === 1 ? 'y' : 'ies'}` : ''
      } (${Math.round(event.durationMs)} ms)`;
    case 'guardrail.decision': {
      const colour = event.action === 'deny' ? style.red : event.action === 'allow' ? style.dim : style.yellow;
      return `guardrail ${event.hook}: ${colour(event.action)}${event.ruleIds.length > 0 ? ` [${event.ruleIds.join(', ')}]` : ''}${
        event.mode === 'monitor' ? ' (monitor)' : ''
      }`;
    }
    case 'approval.requested':
      return `approval  ${style.yellow('requested')} for ${event.tool}`;
    case 'approval.granted':
      return `approval  ${style.green('granted')} by ${event.approver}`;
    case 'approval.denied':
      return `approval  ${style.red('denied')} by ${event.approver}`;
    case 'budget.exceeded':
      return `budget    ${style.red(`${event.budget} exceeded`)}`;
    case 'escalation':
      return `escalated ${event.reason} → ${event.channel}`;
    default:
      return undefined;
  }
}

function print(run: AgentRun, io: { stdout: (text: string) => void; cwd: string }, style: Style): void {
  io.stdout(`${style.bold(run.agent)}  manifest ${shown(io, run.manifest)}  tools ${shown(io, run.toolsModule)}  model ${run.model}\n`);
  io.stdout(`${style.cyan('user')}  ${run.input}\n`);
  let step = -1;
  for (const event of run.events) {
    if (event.type === 'step') {
      if (event.step !== step) io.stdout(style.dim(`step ${event.step}\n`));
      step = event.step;
      continue;
    }
    const line = describeEvent(event, style);
    if (line !== undefined) io.stdout(`  ${line}\n`);
  }
  const { result } = run;
  const colour =
    result.status === 'completed' ? style.green : result.status === 'failed' || result.status === 'denied' ? style.red : style.yellow;
  const reason = result.reason === undefined ? '' : ` (${result.reason})`;
  io.stdout(
    `${style.bold('outcome')} ${colour(result.status)}${reason} · ${result.steps} model call${result.steps === 1 ? '' : 's'} · ${
      result.actions.length
    } tool call${result.actions.length === 1 ? '' : 's'} · ${result.decisions.length} guardrail decision${
      result.decisions.length === 1 ? '' : 's'
    } · ${Math.round(result.durationMs)} ms\n`,
  );
  if (result.output !== undefined) io.stdout(`${style.cyan('agent')} ${result.output}\n`);
  if (result.status === 'paused' && result.approval !== undefined)
    io.stdout(`waiting for approval of ${result.approval.tool}: give the scenario an "approval" to answer it\n`);
  if (result.escalation !== undefined) io.stdout(`handed to a human: ${result.escalation.reason} (context packet with the transcript)\n`);
}

/** `charter run`: a thin shell over `runAgentPackage` (src/run/). */
export const runCommand: Command = {
  name: 'run',
  summary: 'Run an agent once from its manifest and tools module, and print the run',
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, { boolean: ['json'], valued: ['input', 'scenario', 'model'] });
    const [dir = '.', ...rest] = positionals;
    if (rest.length > 0) throw usageError(`unexpected argument "${rest[0] ?? ''}"`);
    const input = flags.get('input');
    const scenario = flags.get('scenario');
    if (typeof input === 'string' && typeof scenario === 'string') throw usageError('give --input or --scenario, not both');
    if (input === undefined && scenario === undefined) throw usageError('give --input <text> or --scenario <file>');
    const model = flags.get('model') ?? 'offline';
    if (model !== 'offline' && model !== 'manifest') throw usageError(`--model must be offline or manifest, got "${String(model)}"`);
    const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
    let run: AgentRun;
    try {
      run = await runAgentPackage({
        dir: resolve(io.cwd, dir),
        ...(typeof input === 'string' ? { input } : {}),
        ...(typeof scenario === 'string' ? { scenario: resolve(io.cwd, scenario) } : {}),
        model: model satisfies RunModel,
        env: io.env,
      });
    } catch (error) {
      if (!SpecError.isInstance(error)) throw error;
      io.stderr(`${error.message}\n`);
      return ExitCode.Failed;
    }
    if (flags.get('json') === true) {
      const { result } = run;
      io.stdout(
        `${JSON.stringify(
          {
            agent: run.agent,
            model: run.model,
            input: run.input,
            status: result.status,
            reason: result.reason ?? null,
            output: result.output ?? null,
            steps: result.steps,
            actions: result.actions,
            decisions: result.decisions,
            paused: run.paused !== undefined,
            events: run.events,
          },
          null,
          2,
        )}\n`,
      );
    } else print(run, io, style);
    return run.result.status === 'failed' ? ExitCode.Failed : ExitCode.Ok;
  },
};
