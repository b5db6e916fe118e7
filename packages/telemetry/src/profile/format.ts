import type { GroupStat, PhaseTimes, Profile } from './analyze.js';
import { PHASES } from './analyze.js';

/** Milliseconds as the table shows them: `850 ms`, `2.41 s`. */
export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms * 10) / 10} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

/** Dollars with enough digits for a fraction of a cent. */
export function formatUsd(usd: number): string {
  return usd >= 1 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}

/** A path of tool calls as one line: `lookup_order → refund`, or `(no tool call)`. */
export function formatPath(path: readonly string[]): string {
  return path.length === 0 ? '(no tool call)' : path.join(' → ');
}

/** Left-aligned first column, right-aligned numbers; two spaces between columns. */
function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((cell, i) => Math.max(cell.length, ...rows.map((row) => (row[i] ?? '').length)));
  // Numbers (durations, counts, dollars, shares) align right, text left.
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => /^[$\d-]/.test(row[i] ?? '')));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => (numeric[i] === true ? cell.padStart(widths[i] ?? 0) : cell.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((width) => '-'.repeat(width))), ...rows.map(line)].join('\n');
}

function share(part: number, total: number): string {
  return total > 0 ? `${Math.round((part / total) * 1000) / 10} %` : '-';
}

function phaseCells(phases: PhaseTimes): string[] {
  const total = PHASES.reduce((sum, phase) => sum + phases[phase], 0);
  return PHASES.map((phase) => share(phases[phase], total));
}

function groupTable(title: string, groups: readonly GroupStat[]): string {
  return `${title}\n${table(
    [title.split(' ')[1] ?? 'key', 'runs', 'cost', 'run p50', 'run p95', 'tool calls', 'unnecessary', ...PHASES],
    groups.map((group) => [
      group.key,
      String(group.runs),
      formatUsd(group.costUsd),
      formatMs(group.runP50Ms),
      formatMs(group.runP95Ms),
      String(group.toolCalls),
      String(group.unnecessaryCalls),
      ...phaseCells(group.phases),
    ]),
  )}`;
}

export interface FormatProfileOptions {
  /** Rows per table (default 10). */
  readonly limit?: number;
}

/** The profile as plain-text tables (what `charter profile` prints). */
export function formatProfile(profile: Profile, options: FormatProfileOptions = {}): string {
  const limit = options.limit ?? 10;
  const { totals } = profile;
  const sections: string[] = [];
  sections.push(
    `${profile.runs} runs, ${profile.events} events: ${formatUsd(totals.costUsd)} model cost, ${totals.modelCalls} model calls, ${totals.toolCalls} tool calls, ${totals.unnecessaryCalls} unnecessary (${formatMs(totals.unnecessaryMs)} of tool time)`,
  );
  sections.push(
    `Slowest tools (by p95)\n${table(
      ['tool', 'calls', 'errors', 'p50', 'p95', 'p99', 'max', 'total'],
      profile.tools
        .slice(0, limit)
        .map((tool) => [
          tool.tool,
          String(tool.calls),
          String(tool.errors),
          formatMs(tool.p50Ms),
          formatMs(tool.p95Ms),
          formatMs(tool.p99Ms),
          formatMs(tool.maxMs),
          formatMs(tool.totalMs),
        ]),
    )}`,
  );
  if (profile.models.length > 0)
    sections.push(
      `Models\n${table(
        ['model', 'calls', 'p50', 'p95', 'p99', 'tokens in', 'tokens out', 'cost'],
        profile.models
          .slice(0, limit)
          .map((model) => [
            `${model.provider}/${model.model}`,
            String(model.calls),
            formatMs(model.p50Ms),
            formatMs(model.p95Ms),
            formatMs(model.p99Ms),
            String(model.inputTokens),
            String(model.outputTokens),
            formatUsd(model.costUsd),
          ]),
      )}`,
    );
  sections.push(
    `Costliest paths (tool calls in order, by total model cost)\n${table(
      ['path', 'runs', 'total cost', 'mean cost', 'mean time', 'mean steps'],
      profile.paths
        .slice(0, limit)
        .map((path) => [
          formatPath(path.path),
          String(path.runs),
          formatUsd(path.totalCostUsd),
          formatUsd(path.meanCostUsd),
          formatMs(path.meanDurationMs),
          String(path.meanSteps),
        ]),
    )}`,
  );
  sections.push(
    profile.unnecessary.length === 0
      ? 'Unnecessary tool calls: none'
      : `Unnecessary tool calls (${profile.unnecessary.length}${profile.content ? '' : '; no content recorded: "unreferenced" not judged'})\n${table(
          ['run', 'tool', 'call', 'why', 'time'],
          profile.unnecessary
            .slice(0, limit)
            .map((call) => [
              call.runId,
              call.tool,
              call.callId,
              call.reasons
                .map((reason) => (reason === 'repeated' && call.repeatOf !== undefined ? `repeated (of ${call.repeatOf})` : reason))
                .join(', '),
              formatMs(call.durationMs),
            ]),
        )}`,
  );
  const total = PHASES.reduce((sum, phase) => sum + profile.phases[phase], 0);
  sections.push(
    `Time by phase\n${table(
      ['phase', 'time', 'share'],
      PHASES.map((phase) => [phase, formatMs(profile.phases[phase]), share(profile.phases[phase], total)]),
    )}`,
  );
  sections.push(groupTable('Per agent', profile.agents));
  sections.push(groupTable('Per tenant', profile.tenants));
  return `${sections.join('\n\n')}\n`;
}
