import type { PhaseTimes, Profile } from './analyze.js';
import { PHASES } from './analyze.js';
import { formatMs, formatPath, formatUsd } from './format.js';

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

const PHASE_COLOURS: Readonly<Record<(typeof PHASES)[number], string>> = {
  perceive: '#6b8fd6',
  decide: '#d68f3c',
  act: '#4aa36b',
  reflect: '#9b6bc2',
};
const PERCENTILE_COLOURS = ['#9cc3e6', '#3d7fc1', '#1d3f66'] as const;

const LABEL_WIDTH = 260;
const CHART_WIDTH = 520;
const BAR = 14;

/** A horizontal bar chart; each row has one bar per series (grouped). */
function barChart(
  name: string,
  title: string,
  rows: readonly { readonly label: string; readonly values: readonly number[] }[],
  series: readonly { readonly name: string; readonly colour: string }[],
  unit: (value: number) => string,
): string {
  const max = Math.max(1e-9, ...rows.flatMap((row) => row.values));
  const rowHeight = series.length * BAR + 10;
  const height = rows.length * rowHeight + 30;
  const width = LABEL_WIDTH + CHART_WIDTH + 90;
  const parts: string[] = [];
  rows.forEach((row, r) => {
    const y = 24 + r * rowHeight;
    parts.push(`<text x="${LABEL_WIDTH - 8}" y="${y + (series.length * BAR) / 2 + 4}" text-anchor="end">${escape(row.label)}</text>`);
    row.values.forEach((value, s) => {
      const w = Math.max(1, (value / max) * CHART_WIDTH);
      const by = y + s * BAR;
      parts.push(
        `<rect data-series="${escape(series[s]?.name ?? '')}" x="${LABEL_WIDTH}" y="${by}" width="${w.toFixed(1)}" height="${BAR - 2}" fill="${series[s]?.colour ?? '#888'}"><title>${escape(`${row.label} ${series[s]?.name ?? ''}: ${unit(value)}`)}</title></rect>`,
        `<text x="${(LABEL_WIDTH + w + 4).toFixed(1)}" y="${by + BAR - 4}" class="value">${escape(unit(value))}</text>`,
      );
    });
  });
  const legend = series
    .map(
      (item, i) =>
        `<rect x="${LABEL_WIDTH + i * 90}" y="4" width="10" height="10" fill="${item.colour}"/><text x="${LABEL_WIDTH + i * 90 + 14}" y="13">${escape(item.name)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" data-chart="${name}" aria-label="${escape(title)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>${escape(title)}</title>${series.length > 1 ? legend : ''}${parts.join('')}</svg>`;
}

/** One 100 % stacked bar per row: the share of each phase. */
function phaseChart(rows: readonly { readonly label: string; readonly phases: PhaseTimes }[]): string {
  const rowHeight = 24;
  const height = rows.length * rowHeight + 34;
  const width = LABEL_WIDTH + CHART_WIDTH + 20;
  const parts: string[] = [];
  rows.forEach((row, r) => {
    const y = 28 + r * rowHeight;
    const total = PHASES.reduce((sum, phase) => sum + row.phases[phase], 0);
    parts.push(`<text x="${LABEL_WIDTH - 8}" y="${y + 13}" text-anchor="end">${escape(row.label)}</text>`);
    let x = LABEL_WIDTH;
    for (const phase of PHASES) {
      const w = total > 0 ? (row.phases[phase] / total) * CHART_WIDTH : 0;
      if (w <= 0) continue;
      const pct = Math.round((row.phases[phase] / total) * 1000) / 10;
      parts.push(
        `<rect data-phase="${phase}" x="${x.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="18" fill="${PHASE_COLOURS[phase]}"><title>${escape(`${row.label} ${phase}: ${formatMs(row.phases[phase])} (${pct} %)`)}</title></rect>`,
      );
      x += w;
    }
  });
  const legend = PHASES.map(
    (phase, i) =>
      `<rect x="${LABEL_WIDTH + i * 100}" y="4" width="10" height="10" fill="${PHASE_COLOURS[phase]}"/><text x="${LABEL_WIDTH + i * 100 + 14}" y="13">${phase}</text>`,
  ).join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" data-chart="phases" aria-label="Time by phase" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}"><title>Time by phase</title>${legend}${parts.join('')}</svg>`;
}

function htmlTable(
  id: string,
  header: readonly string[],
  rows: readonly (readonly string[])[],
  rowAttribute?: (index: number) => string,
): string {
  // Numbers (durations, counts, dollars) align right, text left.
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((row) => /^[$\d]/.test(row[i] ?? '')));
  const cls = (i: number): string => (numeric[i] === true ? ' class="num"' : '');
  const head = header.map((cell, i) => `<th${cls(i)}>${escape(cell)}</th>`).join('');
  const body = rows
    .map(
      (row, i) =>
        `<tr${rowAttribute === undefined ? '' : ` ${rowAttribute(i)}`}>${row.map((cell, c) => `<td${cls(c)}>${escape(cell)}</td>`).join('')}</tr>`,
    )
    .join('');
  return `<table id="${id}"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export interface ProfileHtmlOptions {
  /** Page title (default "Agent profile"). */
  readonly title?: string;
  /** Rows per chart and table (default 15). */
  readonly limit?: number;
}

/**
 * The profile as ONE self-contained HTML page: inline CSS and inline SVG charts (slowest tools, time by
 * phase, costliest paths, cost per tenant), tables of the same data; no script, no external asset (a
 * Content-Security-Policy forbids loading any).
 */
export function renderProfileHtml(profile: Profile, options: ProfileHtmlOptions = {}): string {
  const title = options.title ?? 'Agent profile';
  const limit = options.limit ?? 15;
  const tools = profile.tools.slice(0, limit);
  const paths = profile.paths.slice(0, limit);
  const { totals } = profile;
  const range =
    profile.from === undefined || profile.to === undefined
      ? ''
      : ` from ${new Date(profile.from).toISOString()} to ${new Date(profile.to).toISOString()}`;
  const sections = [
    `<section id="tools"><h2>Slowest tools</h2>${
      tools.length === 0
        ? '<p>No tool calls.</p>'
        : barChart(
            'tools',
            'Tool latency p50 / p95 / p99',
            tools.map((tool) => ({ label: tool.tool, values: [tool.p50Ms, tool.p95Ms, tool.p99Ms] })),
            ['p50', 'p95', 'p99'].map((name, i) => ({ name, colour: PERCENTILE_COLOURS[i] ?? '#888' })),
            formatMs,
          )
    }${htmlTable(
      'tools-table',
      ['tool', 'calls', 'errors', 'p50', 'p95', 'p99', 'max'],
      tools.map((tool) => [
        tool.tool,
        String(tool.calls),
        String(tool.errors),
        formatMs(tool.p50Ms),
        formatMs(tool.p95Ms),
        formatMs(tool.p99Ms),
        formatMs(tool.maxMs),
      ]),
      (i) => `data-tool="${escape(tools[i]?.tool ?? '')}"`,
    )}</section>`,
    `<section id="phases"><h2>Time by phase</h2>${phaseChart([
      { label: 'all runs', phases: profile.phases },
      ...profile.agents.map((agent) => ({ label: `agent ${agent.key}`, phases: agent.phases })),
      ...profile.tenants.map((tenant) => ({ label: `tenant ${tenant.key}`, phases: tenant.phases })),
    ])}</section>`,
    `<section id="paths"><h2>Costliest paths</h2>${
      paths.length === 0
        ? '<p>No runs.</p>'
        : barChart(
            'paths',
            'Total model cost per path',
            paths.map((path) => ({ label: formatPath(path.path), values: [path.totalCostUsd] })),
            [{ name: 'total cost', colour: '#c0504d' }],
            formatUsd,
          )
    }${htmlTable(
      'paths-table',
      ['path', 'runs', 'total cost', 'mean cost', 'mean time', 'mean steps'],
      paths.map((path) => [
        formatPath(path.path),
        String(path.runs),
        formatUsd(path.totalCostUsd),
        formatUsd(path.meanCostUsd),
        formatMs(path.meanDurationMs),
        String(path.meanSteps),
      ]),
    )}</section>`,
    `<section id="unnecessary"><h2>Unnecessary tool calls</h2>${
      profile.unnecessary.length === 0
        ? '<p>None.</p>'
        : htmlTable(
            'unnecessary-table',
            ['run', 'tool', 'call', 'why', 'time'],
            profile.unnecessary.map((call) => [
              call.runId,
              call.tool,
              call.callId,
              call.reasons
                .map((reason) => (reason === 'repeated' && call.repeatOf !== undefined ? `repeated (of ${call.repeatOf})` : reason))
                .join(', '),
              formatMs(call.durationMs),
            ]),
            (i) => `data-reasons="${escape(profile.unnecessary[i]?.reasons.join(' ') ?? '')}"`,
          )
    }${profile.content ? '' : '<p class="note">No content was recorded: "unreferenced" results cannot be judged.</p>'}</section>`,
    `<section id="tenants"><h2>Per tenant</h2>${barChart(
      'tenants',
      'Model cost per tenant',
      profile.tenants.map((tenant) => ({ label: tenant.key, values: [tenant.costUsd] })),
      [{ name: 'cost', colour: '#4f81bd' }],
      formatUsd,
    )}${htmlTable(
      'tenants-table',
      ['tenant', 'runs', 'cost', 'run p50', 'run p95', 'tool calls', 'unnecessary'],
      profile.tenants.map((t) => [
        t.key,
        String(t.runs),
        formatUsd(t.costUsd),
        formatMs(t.runP50Ms),
        formatMs(t.runP95Ms),
        String(t.toolCalls),
        String(t.unnecessaryCalls),
      ]),
    )}</section>`,
    `<section id="agents"><h2>Per agent</h2>${htmlTable(
      'agents-table',
      ['agent', 'runs', 'cost', 'run p50', 'run p95', 'tool calls', 'unnecessary'],
      profile.agents.map((a) => [
        a.key,
        String(a.runs),
        formatUsd(a.costUsd),
        formatMs(a.runP50Ms),
        formatMs(a.runP95Ms),
        String(a.toolCalls),
        String(a.unnecessaryCalls),
      ]),
    )}</section>`,
  ];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
h1{font-size:22px}h2{font-size:17px;margin-top:28px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;margin:8px 0}td,th{padding:3px 10px;border-bottom:1px solid #eee;text-align:left}
td.num,th.num{text-align:right}svg{display:block;margin:8px 0;font-size:12px}svg .value{fill:#555}
.summary{color:#444}.note{color:#777;font-style:italic}
</style>
</head>
<body>
<h1>${escape(title)}</h1>
<p class="summary" id="summary">${profile.runs} runs, ${profile.events} events${escape(range)}: ${escape(formatUsd(totals.costUsd))} model cost, ${totals.modelCalls} model calls, ${totals.toolCalls} tool calls, ${totals.unnecessaryCalls} unnecessary (${escape(formatMs(totals.unnecessaryMs))} of tool time).</p>
${sections.join('\n')}
</body>
</html>
`;
}
