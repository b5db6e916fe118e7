import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadAgent, MANIFEST_FILE, playbookRoutes, SpecError, type SpecIssue } from '@charter/spec';
import { alertRulesToYaml, DEFAULT_RUNBOOK_URL, generateAlertRules, TelemetryError, type AlertRuleOptions } from '@charter/telemetry';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath, shown, writeOutput } from '../files.js';
import { codeFrame, createStyle } from '../format.js';

const USAGE = `Usage: charter alerts <manifest> [-o <file>] [--runbook-url <template>] [--min-runs-per-hour <n>]

<manifest> is an Agent manifest or a folder holding agent.yaml; the agent must
load cleanly (manifest, its policy and playbooks, as "charter validate" checks).
Generates Prometheus rules from the manifest's SLOs: recording rules for the
SLIs, multi-window multi-burn-rate alerts (page 1h/5m at 14.4x and 6h/30m at 6x,
ticket 3d/6h at 1x, for a 30-day window) and signal alerts, each with a
runbook_url to its playbook. Check the output with "promtool check rules".

Options:
  -o, --output <file>           write the rules to <file> instead of stdout
  --runbook-url <template>      runbook_url template, {id} = playbook id
                                (default ${DEFAULT_RUNBOOK_URL})
  --min-runs-per-hour <n>       minimum-traffic guard (default 10)
  --help                        show this help

Exit 1: the agent does not load (problems printed with file:line:column).`;

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

    const path = inputPath(io, positionals[0] ?? '', 'Agent manifest', { folder: true });
    if (statSync(path).isDirectory()) inputPath(io, join(path, MANIFEST_FILE), 'Agent manifest');
    const agent = loadAgent(path);
    const { manifest } = agent;
    if (!agent.ok || manifest === undefined) {
      printIssues(agent.issues, io);
      return ExitCode.Failed;
    }

    let yaml: string;
    let count: number;
    try {
      // The playbooks the manifest names decide which runbook each alert opens (their triggers.alerts).
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
    const target = writeOutput(io, output, yaml);
    io.stdout(`wrote ${count} rules for ${manifest.metadata.name} to ${shown(io, target)}\n`);
    return ExitCode.Ok;
  },
};

/** The agent's errors on stderr, compiler style, each with the offending line of its own file. */
function printIssues(issues: readonly SpecIssue[], io: Io): void {
  const style = createStyle(false);
  const sources = new Map<string, string>();
  for (const issue of issues) {
    if (issue.severity !== 'error') continue;
    io.stderr(`${shown(io, issue.file)}:${issue.line}:${issue.column}: error: ${issue.message} [${issue.code}]\n`);
    if (issue.code === 'file-not-found' || issue.code === 'file-too-large' || !existsSync(issue.file)) continue;
    let source = sources.get(issue.file);
    if (source === undefined) {
      source = readFileSync(issue.file, 'utf8');
      sources.set(issue.file, source);
    }
    const frame = codeFrame(source, issue.line, issue.column, issue.endLine, issue.endColumn, style);
    if (frame) io.stderr(`${frame}\n`);
  }
}
