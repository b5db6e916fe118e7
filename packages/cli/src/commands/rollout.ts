import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import {
  argoToYaml,
  createRolloutController,
  describeState,
  exportArgo,
  exportFlagd,
  flagKeyOf,
  formatMs,
  formatTimeline,
  FileRolloutStore,
  loadRolloutPlan,
  RolloutError,
  simulateRollout,
  simulationHtml,
  type CandidateProfile,
  type Gate,
  type GuardResult,
  type RolloutController,
  type RolloutPlan,
  type TransitionOutcome,
} from '@charter/rollout';
import { evaluateReadiness, holding, ReadinessError } from '@charter/readiness';
import { durationToMs, MANIFEST_FILE } from '@charter/spec';
import { createJsonlSink, createTelemetry, openAuditLog, TelemetryError } from '@charter/telemetry';
import { parseArgs, type ParsedArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath, shown, writeOutput } from '../files.js';

const USAGE = `Usage: charter rollout <plan|status|start|advance|pause|resume|abort|simulate|export> <manifest> [options]

Stages an agent's release as its manifest's spec.rollout says: shadow, canary,
then progressive weights, each promoted only when its guards hold (samples per
arm, stabilisation period, a sequential analysis against the concurrent control,
the readiness gate, the error budget). State lives in --state-dir; every
transition is appended to the audit log and the event log.

  plan      the stages, weights, stabilisation periods and thresholds
  status    where the rollout is, its statistics and which guards hold
  start     begin the first stage (--candidate <label>); needs the readiness gate
  advance   promote to the next stage if every guard holds (exit 1 otherwise)
  pause     hold the current stage          resume   continue it
  abort     the kill switch: every request to the control at the next flag evaluation
  simulate  synthetic traffic through the real router and analysis; prints a timeline
  export    the current stage as a flagd flag definition (--flagd, default), or the
            plan as an Argo Rollouts Rollout + AnalysisTemplate (--argo)

The readiness gate: start and every promotion evaluate the agent with
@charter/readiness (as charter check does: its manifest, code and the evidence
reports for this commit); an agent held in staging does not start or advance.
--skip-gate <reason> proceeds without the gate; the skip is printed as a warning
and recorded in the transition and the audit log.

Options:
  --state-dir <dir>            rollout state (default .charter/rollouts)
  --audit <file>               audit log (default .charter/audit.jsonl)
  --events <file>              event log, JSONL (default .charter/events.jsonl)
  --id <id>                    rollout id (default the agent name)
  --reason <text>              why (recorded with the transition)
  --candidate <label>          start: what is rolled out (e.g. its version)
  --control <label>            start: what it replaces
  --skip-gate <reason>         start, advance: proceed without a readiness gate
  --evidence <dir>             start, advance: the evidence reports (default
                               <agent>/.charter/evidence)
  --commit <sha>               start, advance: the commit the evidence must be for
                               (default CHARTER_COMMIT, else the checkout's HEAD)
  --json                       plan, status, simulate: print JSON
  simulate:
    --success-drop <points>    candidate success rate lower by N points
    --latency-increase <pct>   candidate latency higher by N %
    --leak-rate <rate>         probability that a candidate request leaks PII
    --seed <n>                 random seed (default 1)
    --requests-per-interval <n> traffic per analysis interval (default 200)
    --stabilization <duration|plan> every stage's stabilisation (default 0s)
    --skip-shadow              start at the canary
    --html <file>              write a chart (one self-contained HTML file)
  export:
    --flagd | --argo           what to export (default --flagd)
    -o, --output <file>        write to <file> instead of stdout
    --prometheus-address <url> --argo: the AnalysisTemplate's Prometheus
  --help                       show this help

Exit codes: 0 done, 1 refused (guards, gate, illegal transition, invalid manifest), 2 usage error.`;

const SUBCOMMANDS = ['plan', 'status', 'start', 'advance', 'pause', 'resume', 'abort', 'simulate', 'export'] as const;
type Sub = (typeof SUBCOMMANDS)[number];

const COMMON = ['state-dir', 'audit', 'events', 'id'];
const ALLOWED: Record<Sub, readonly string[]> = {
  plan: ['json'],
  status: [...COMMON, 'json'],
  start: [...COMMON, 'reason', 'candidate', 'control', 'skip-gate', 'evidence', 'commit'],
  advance: [...COMMON, 'reason', 'skip-gate', 'evidence', 'commit'],
  pause: [...COMMON, 'reason'],
  resume: [...COMMON, 'reason'],
  abort: [...COMMON, 'reason'],
  simulate: [
    'json',
    'success-drop',
    'latency-increase',
    'leak-rate',
    'seed',
    'requests-per-interval',
    'stabilization',
    'skip-shadow',
    'html',
  ],
  export: [...COMMON, 'flagd', 'argo', 'output', 'prometheus-address'],
};

export const rolloutCommand: Command = {
  name: 'rollout',
  summary: 'Stage an agent release: shadow, canary, progressive, with sequential analysis and a kill switch',
  usage: USAGE,
  run: runRollout,
};

async function runRollout(args: readonly string[], io: Io): Promise<ExitCode> {
  const parsed = parseArgs(args, {
    boolean: ['json', 'skip-shadow', 'flagd', 'argo'],
    valued: [
      'state-dir',
      'audit',
      'events',
      'id',
      'reason',
      'candidate',
      'control',
      'skip-gate',
      'evidence',
      'commit',
      'success-drop',
      'latency-increase',
      'leak-rate',
      'seed',
      'requests-per-interval',
      'stabilization',
      'html',
      'output',
      'prometheus-address',
    ],
    aliases: { '-o': 'output' },
  });
  const [sub, manifest, ...extra] = parsed.positionals;
  if (sub === undefined) throw usageError(`name a sub-command: ${SUBCOMMANDS.join(', ')}`);
  if (!(SUBCOMMANDS as readonly string[]).includes(sub)) throw usageError(`unknown sub-command "${sub}" (${SUBCOMMANDS.join(', ')})`);
  const command = sub as Sub;
  for (const flag of parsed.flags.keys())
    if (!ALLOWED[command].includes(flag)) throw usageError(`--${flag} does not apply to "rollout ${command}"`);
  if (manifest === undefined) throw usageError(`rollout ${command} needs the Agent manifest (or its folder)`);
  if (extra.length > 0) throw usageError(`unexpected argument "${extra[0] ?? ''}"`);

  const manifestPath = inputPath(io, manifest, 'Agent manifest', { folder: true });
  if (statSync(manifestPath).isDirectory()) inputPath(io, join(manifestPath, MANIFEST_FILE), 'Agent manifest');
  let loaded: ReturnType<typeof loadRolloutPlan>;
  try {
    loaded = loadRolloutPlan(manifestPath);
  } catch (error) {
    if (!RolloutError.isInstance(error)) throw error;
    io.stderr(`charter rollout: ${error.message} [${error.code}]\n`);
    return ExitCode.Failed;
  }
  const { plan } = loaded;
  try {
    switch (command) {
      case 'plan':
        return showPlan(plan, parsed, io);
      case 'simulate':
        return await simulate(plan, parsed, io);
      default:
        return await operate(command, plan, loaded.policyVersion, parsed, io, manifestPath);
    }
  } catch (error) {
    if (TelemetryError.isInstance(error))
      throw new CliError(
        CliErrorCode.Io,
        `${error.message} [${error.code}]; a transition already committed is audited by the next rollout command that can write the audit log`,
        { cause: error },
      );
    if (RolloutError.isInstance(error) && error.code === 'ROLLOUT_STORE')
      throw new CliError(CliErrorCode.Io, `${error.message} [${error.code}]`, { cause: error });
    if (!RolloutError.isInstance(error)) throw error;
    io.stderr(`charter rollout ${command}: ${error.message} [${error.code}]\n`);
    return ExitCode.Failed;
  }
}

/** Creates `folder` one level at a time (a recursive mkdir loops forever under /proc); `CLI_IO` when it cannot. */
function ensureFolder(io: Io, folder: string): string {
  const missing: string[] = [];
  let current = folder;
  while (!existsSync(current)) {
    missing.unshift(current);
    const up = dirname(current);
    if (up === current) break;
    current = up;
  }
  if (existsSync(current) && !statSync(current).isDirectory())
    throw new CliError(CliErrorCode.Io, `cannot use ${shown(io, folder)}: ${shown(io, current)} is a file, not a folder`);
  for (const part of missing) {
    try {
      mkdirSync(part);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      if (code !== 'EEXIST') throw new CliError(CliErrorCode.Io, `cannot create the folder ${shown(io, part)} (${code})`, { cause: error });
    }
  }
  return folder;
}

function flag(parsed: ParsedArgs, name: string): string | undefined {
  const value = parsed.flags.get(name);
  return typeof value === 'string' ? value : undefined;
}

function numberFlag(parsed: ParsedArgs, name: string, check: (value: number) => boolean, what: string): number | undefined {
  const text = flag(parsed, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) throw usageError(`--${name} must be ${what}, got "${text}"`);
  return value;
}

function showPlan(plan: RolloutPlan, parsed: ParsedArgs, io: Io): ExitCode {
  if (parsed.flags.has('json')) {
    io.stdout(`${JSON.stringify({ flagKey: flagKeyOf(plan.agent), ...plan })}\n`);
    return ExitCode.Ok;
  }
  const lines = [`rollout plan of ${plan.agent} (flag ${flagKeyOf(plan.agent)}, plan ${plan.hash})`];
  plan.stages.forEach((stage, index) =>
    lines.push(
      `  ${index + 1}. ${stage.name.padEnd(12)} ${stage.kind.padEnd(11)} ${String(stage.weight).padStart(3)} %  stabilise ${formatMs(stage.stabilizationMs)}`,
    ),
  );
  const a = plan.analysis;
  lines.push(
    `analysis every ${formatMs(a.intervalMs)}: at least ${a.minSamples} samples per arm; tolerances: error rate +${a.maxErrorRateIncrease * 100} points, latency +${a.maxLatencyIncreasePct} %, disagreement ${a.maxDisagreementRate * 100} % over the noise floor; autoRollback ${a.autoRollback ? 'on' : 'off'}`,
  );
  io.stdout(`${lines.join('\n')}\n`);
  return ExitCode.Ok;
}

function profileOf(parsed: ParsedArgs): CandidateProfile {
  const successDropPts = numberFlag(parsed, 'success-drop', (v) => v >= 0 && v <= 100, 'a number of points from 0 to 100');
  const latencyIncreasePct = numberFlag(parsed, 'latency-increase', (v) => v >= -100, 'a percentage (≥ −100)');
  const leakRate = numberFlag(parsed, 'leak-rate', (v) => v >= 0 && v <= 1, 'a probability from 0 to 1');
  return {
    ...(successDropPts === undefined ? {} : { successDropPts }),
    ...(latencyIncreasePct === undefined ? {} : { latencyIncreasePct }),
    ...(leakRate === undefined ? {} : { leakRate }),
  };
}

async function simulate(plan: RolloutPlan, parsed: ParsedArgs, io: Io): Promise<ExitCode> {
  const candidate = profileOf(parsed);
  const seed = numberFlag(parsed, 'seed', (v) => Number.isInteger(v), 'an integer') ?? 1;
  const requestsPerInterval =
    numberFlag(parsed, 'requests-per-interval', (v) => Number.isInteger(v) && v > 0 && v <= 1_000_000, 'a positive integer') ?? 200;
  const stabilization = flag(parsed, 'stabilization') ?? '0s';
  let stabilizationMs: number | undefined;
  if (stabilization !== 'plan') {
    try {
      stabilizationMs = durationToMs(stabilization);
    } catch {
      throw usageError(`--stabilization must be a duration such as 0s, 30m or 24h, or "plan", got "${stabilization}"`);
    }
  }
  const result = await simulateRollout({
    plan,
    candidate,
    seed,
    requestsPerInterval,
    ...(stabilizationMs === undefined ? {} : { stabilizationMs }),
    skipShadow: parsed.flags.has('skip-shadow'),
  });
  const html = flag(parsed, 'html');
  let chart: string | undefined;
  if (html !== undefined) {
    const label = Object.keys(candidate).length === 0 ? 'healthy candidate' : JSON.stringify(candidate);
    chart = writeOutput(io, html, simulationHtml(result, `${plan.agent}: simulated rollout, ${label}`));
  }
  if (parsed.flags.has('json')) {
    const { timeline: _timeline, ...rest } = result;
    io.stdout(`${JSON.stringify({ ...rest, candidate, seed })}\n`);
  } else {
    io.stdout(
      `simulated rollout of ${plan.agent}, candidate ${Object.keys(candidate).length === 0 ? 'healthy' : JSON.stringify(candidate)}, seed ${seed}\n`,
    );
    io.stdout(formatTimeline(result));
    if (chart !== undefined) io.stdout(`chart written to ${shown(io, chart)}\n`);
  }
  return ExitCode.Ok;
}

/**
 * The readiness gate of `@charter/readiness`, as `charter check` evaluates it: held in staging (a
 * blocker failing or without evidence) refuses the transition, naming the blockers.
 */
function readinessGate(manifestPath: string, io: Io, evidence: string | undefined, commit: string | undefined): Gate {
  return async () => {
    let readiness;
    try {
      readiness = await evaluateReadiness({
        dir: manifestPath,
        ...(evidence === undefined ? {} : { evidenceDir: resolve(io.cwd, evidence) }),
        ...(commit === undefined ? {} : { commit }),
      });
    } catch (error) {
      if (ReadinessError.isInstance(error)) throw new CliError(CliErrorCode.Io, `${error.message} [${error.code}]`, { cause: error });
      throw error;
    }
    const blockers = holding(readiness);
    const score = `${readiness.score.passed}/${readiness.score.total}`;
    if (readiness.ready) return { ready: true, summary: `readiness: ready for production (score ${score})` };
    const ids = blockers.map((r) => r.ruleId);
    return {
      ready: false,
      summary: `readiness: held in staging by ${ids.length} blocker(s): ${ids.slice(0, 8).join(', ')}${ids.length > 8 ? ', …' : ''} (score ${score}; charter check ${shown(io, manifestPath)} for details)`,
    };
  };
}

function controllerFor(
  plan: RolloutPlan,
  policyVersion: string,
  parsed: ParsedArgs,
  io: Io,
  withLogs: boolean,
  gate?: Gate,
): RolloutController {
  const at = (name: string, fallback: string) => resolve(io.cwd, flag(parsed, name) ?? fallback);
  const store = new FileRolloutStore(ensureFolder(io, at('state-dir', join('.charter', 'rollouts'))));
  if (!withLogs) return createRolloutController({ plan, store, ...(flag(parsed, 'id') ? { id: flag(parsed, 'id') ?? '' } : {}) });
  const auditPath = at('audit', join('.charter', 'audit.jsonl'));
  const eventsPath = at('events', join('.charter', 'events.jsonl'));
  ensureFolder(io, dirname(auditPath));
  ensureFolder(io, dirname(eventsPath));
  const telemetry = createTelemetry({ agent: plan.agent, sinks: [createJsonlSink({ path: eventsPath })] });
  return createRolloutController({
    plan,
    store,
    ...(gate === undefined ? {} : { gate }),
    audit: openAuditLog(auditPath),
    telemetry,
    policyVersion,
    ...(flag(parsed, 'id') ? { id: flag(parsed, 'id') ?? '' } : {}),
    onTransition: () => void telemetry.flush(),
  });
}

function formatGuards(guards: readonly GuardResult[]): string {
  return guards.map((guard) => `  ${guard.ok ? 'ok  ' : 'FAIL'} ${guard.guard.padEnd(13)} ${guard.detail}`).join('\n');
}

function report(outcome: TransitionOutcome, plan: RolloutPlan, io: Io): ExitCode {
  if (!outcome.ok) {
    io.stderr(`${outcome.reason}\n`);
    if (outcome.guards.length > 0) io.stderr(`${formatGuards(outcome.guards)}\n`);
    return ExitCode.Failed;
  }
  const record = outcome.transition;
  io.stdout(`${record.event}: ${record.from.status} → ${describeState(plan, outcome.state)} (transition ${record.seq})\n`);
  return ExitCode.Ok;
}

async function operate(
  command: Exclude<Sub, 'plan' | 'simulate'>,
  plan: RolloutPlan,
  policyVersion: string,
  parsed: ParsedArgs,
  io: Io,
  manifestPath: string,
): Promise<ExitCode> {
  const readOnly = command === 'status' || command === 'export';
  const skipGate = flag(parsed, 'skip-gate');
  if (skipGate?.trim() === '') throw usageError('--skip-gate needs a reason');
  const commit = flag(parsed, 'commit') ?? io.env.CHARTER_COMMIT;
  if (commit !== undefined && !/^[0-9a-f]{7,64}$/.test(commit)) throw usageError(`--commit must be a hex commit id, got "${commit}"`);
  const evidence = flag(parsed, 'evidence');
  const gate = readOnly || skipGate !== undefined ? undefined : readinessGate(manifestPath, io, evidence, commit);
  const controller = controllerFor(plan, policyVersion, parsed, io, !readOnly, gate);
  const reason = flag(parsed, 'reason');
  const actor = { type: 'human' as const, id: io.env.USER ?? 'operator' };
  const operator = { actor, ...(reason === undefined ? {} : { reason }) };
  if (skipGate !== undefined)
    io.stderr(
      `charter rollout ${command}: WARNING: no readiness gate is checked (--skip-gate "${skipGate}"); the skip is recorded in the audit log\n`,
    );
  switch (command) {
    case 'status':
      return status(controller, plan, parsed, io);
    case 'export':
      return exportCommand(controller, plan, parsed, io);
    case 'start': {
      const candidate = flag(parsed, 'candidate');
      if (candidate === undefined) throw usageError('rollout start needs --candidate <label> (what is rolled out, e.g. its version)');
      const control = flag(parsed, 'control');
      return report(
        await controller.start({
          ...operator,
          candidate,
          ...(skipGate === undefined ? {} : { skipGate }),
          ...(control === undefined ? {} : { control }),
        }),
        plan,
        io,
      );
    }
    case 'advance':
      return report(await controller.advance({ ...operator, ...(skipGate === undefined ? {} : { skipGate }) }), plan, io);
    case 'pause':
      return report(await controller.pause(operator), plan, io);
    case 'resume':
      return report(await controller.resume(operator), plan, io);
    case 'abort':
      return report(await controller.abort(operator), plan, io);
  }
}

async function status(controller: RolloutController, plan: RolloutPlan, parsed: ParsedArgs, io: Io): Promise<ExitCode> {
  const state = await controller.load();
  const { analysis, guards } = await controller.guards({ skipGate: 'status only: the gate is asked on start and advance' });
  if (parsed.flags.has('json')) {
    io.stdout(
      `${JSON.stringify({ state, analysis, guards }, (_key, value: unknown) => (typeof value === 'number' && !Number.isFinite(value) ? null : value))}\n`,
    );
    return ExitCode.Ok;
  }
  const lines = [`${plan.agent}: ${describeState(plan, state)}${state.candidate ? `, candidate ${state.candidate}` : ''}`];
  if (state.reason) lines.push(`last transition (${state.seq}): ${state.reason}`);
  if (analysis) {
    lines.push(
      `requests in this stage: control ${state.stats.control.requests}, candidate ${state.stats.candidate.requests}; verdict ${analysis.verdict}: ${analysis.summary}`,
    );
    for (const metric of analysis.metrics.filter((m) => m.verdict !== 'skipped'))
      lines.push(
        `  ${metric.metric.padEnd(15)} ${metric.verdict.padEnd(12)} effect ${pct(metric.effect)} (CS ${pct(metric.lower)} … ${pct(metric.upper)}, tolerance ${pct(metric.tolerance)})`,
      );
    lines.push('guards for the next promotion:', formatGuards(guards.filter((guard) => guard.guard !== 'gate')));
  }
  io.stdout(`${lines.join('\n')}\n`);
  return ExitCode.Ok;
}

function pct(value: number): string {
  return Number.isFinite(value) ? `${(value * 100).toFixed(1)} %` : '—';
}

async function exportCommand(controller: RolloutController, plan: RolloutPlan, parsed: ParsedArgs, io: Io): Promise<ExitCode> {
  if (parsed.flags.has('flagd') && parsed.flags.has('argo')) throw usageError('choose one of --flagd and --argo');
  const address = flag(parsed, 'prometheus-address');
  if (address !== undefined && !parsed.flags.has('argo')) throw usageError('--prometheus-address applies to --argo');
  let text: string;
  if (parsed.flags.has('argo')) {
    text = await argoToYaml(exportArgo(plan, address === undefined ? {} : { prometheusAddress: address }));
  } else {
    const state = await controller.load();
    text = `${JSON.stringify(exportFlagd(plan, state), null, 2)}\n`;
  }
  const output = flag(parsed, 'output');
  if (output === undefined) {
    io.stdout(text);
    return ExitCode.Ok;
  }
  const target = writeOutput(io, output, text);
  io.stdout(
    `wrote ${parsed.flags.has('argo') ? 'the Argo Rollout and AnalysisTemplate' : `the flagd flag ${flagKeyOf(plan.agent)}`} to ${shown(io, target)}\n`,
  );
  return ExitCode.Ok;
}
