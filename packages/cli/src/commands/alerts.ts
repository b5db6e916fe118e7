import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { loadAgent, playbookRoutes, SpecError } from '@charter/spec';
import { alertRulesToYaml, generateAlertRules, TelemetryError, type AlertRuleOptions } from '@charter/telemetry';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { codeFrame, createStyle } from '../format.js';

const USAGE = `Usage: charter alerts <manifest> [-o <file>] [--runbook-url <template>] [--min-runs-per-hour <n>]

Generates Prometheus rules from an Agent manifest's SLOs: recording rules for the
SLIs, multi-window multi-burn-rate alerts (page 1h/5m at 14.4x and 6h/30m at 6x,
ticket 3d/6h at 1x, for a 30-day window) and signal alerts, each with a
runbook_url to its playbook. Check the output with "promtool check rules".

Options:
  -o, --output <file>           write the rules to <file> instead of stdout
  --runbook-url <template>      runbook_url template, {id} = playbook id
                                (default /docs/default/component/charter/playbooks/{id}/)
  --min-runs-per-hour <n>       minimum-traffic guard (default 10)
  --help                        show this help

Exit codes: 0 rules written, 1 the manifest is invalid, 2 usage error.`;

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'Generate Prometheus SLO burn-rate alerts from an Agent manifest',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await -- the Command interface is async
  async run(args: readonly string[], io: Io): Promise<ExitCode> {
    const { positionals, flags } = parseArgs(args, { valued: ['output', 'runbook-url', 'min-runs-per-hour'], aliases: { '-o': 'output' } });
    if (positionals.length !== 1)
      throw usageError(
        positionals.length === 0 ? 'name the Agent manifest to generate alerts for' : `expected one manifest, got ${positionals.length}`,
      );
    const options: { -readonly [K in keyof AlertRuleOptions]?: AlertRuleOptions[K] } = {};
    const runbookUrl = flags.get('runbook-url');
    if (typeof runbookUrl === 'string') options.runbookUrl = runbookUrl;
    const minRuns = flags.get('min-runs-per-hour');
    if (typeof minRuns === 'string') {
      const value = Number(minRuns);
      if (!Number.isFinite(value) || value <= 0) throw usageError(`--min-runs-per-hour must be a positive number, got "${minRuns}"`);
      options.minRunsPerHour = value;
    }

    const path = resolve(io.cwd, positionals[0] ?? '');
    // The playbooks the manifest names decide which runbook each alert opens (their triggers.alerts).
    const agent = loadAgent(path);
    const { manifest, issues } = agent;
    if (!manifest) {
      if (issues.some((issue) => issue.code === 'file-not-found')) {
        throw new CliError(CliErrorCode.Io, `no file at ${relative(io.cwd, path) || path}: name an existing Agent manifest`);
      }
      const style = createStyle(false);
      for (const issue of issues) {
        const shown = relative(io.cwd, issue.file) || issue.file;
        io.stderr(`${shown}:${issue.line}:${issue.column}: error: ${issue.message} [${issue.code}]\n`);
        if (issue.code !== 'file-not-found' && issue.code !== 'file-too-large') {
          const frame = codeFrame(
            readFileSync(agent.manifestFile, 'utf8'),
            issue.line,
            issue.column,
            issue.endLine,
            issue.endColumn,
            style,
          );
          if (frame) io.stderr(`${frame}\n`);
        }
      }
      return ExitCode.Failed;
    }

    let yaml: string;
    let count: number;
    try {
      const rules = generateAlertRules(manifest, { ...options, routes: playbookRoutes(agent.playbooks) });
      count = rules.groups.reduce((total, group) => total + group.rules.length, 0);
      yaml = alertRulesToYaml(rules);
    } catch (error) {
      if (SpecError.isInstance(error)) {
        io.stderr(`charter alerts: ${error.message} [${error.code}]\n`);
        return ExitCode.Failed;
      }
      if (!TelemetryError.isInstance(error)) throw error;
      // Options come from the command line; anything else the generator rejects comes from the manifest.
      if (runbookUrl !== undefined && error.message.includes('runbookUrl'))
        throw new CliError(CliErrorCode.Usage, `--runbook-url: ${error.message} [${error.code}]`, { cause: error });
      io.stderr(`charter alerts: ${error.message} [${error.code}]\n`);
      return ExitCode.Failed;
    }

    const output = flags.get('output');
    if (typeof output !== 'string') {
      io.stdout(yaml);
      return ExitCode.Ok;
    }
    const target = resolve(io.cwd, output);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, yaml);
    io.stdout(`wrote ${count} rules for ${manifest.metadata.name} to ${relative(io.cwd, target) || target}\n`);
    return ExitCode.Ok;
  },
};
