import type { SimulationResult, TimelinePoint } from './simulate.js';

const WIDTH = 960;
const HEIGHT = 220;
const PAD = { left: 56, right: 16, top: 24, bottom: 28 };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

interface Series {
  readonly label: string;
  readonly colour: string;
  readonly values: readonly number[];
  readonly dashed?: boolean;
}

/** An SVG line chart; NaN values leave gaps. */
function lineChart(
  id: string,
  title: string,
  times: readonly number[],
  series: readonly Series[],
  yMin: number,
  yMax: number,
  unit: string,
): string {
  const tMax = Math.max(1, times.at(-1) ?? 1);
  const x = (t: number) => PAD.left + ((WIDTH - PAD.left - PAD.right) * t) / tMax;
  const y = (v: number) => PAD.top + (HEIGHT - PAD.top - PAD.bottom) * (1 - (v - yMin) / (yMax - yMin || 1));
  const paths = series.map((line) => {
    let d = '';
    let open = false;
    line.values.forEach((value, index) => {
      if (!Number.isFinite(value)) {
        open = false;
        return;
      }
      d += `${open ? 'L' : 'M'}${x(times[index] ?? 0).toFixed(1)},${y(Math.min(yMax, Math.max(yMin, value))).toFixed(1)}`;
      open = true;
    });
    return `<path class="series" data-series="${escapeHtml(line.label)}" d="${d}" fill="none" stroke="${line.colour}" stroke-width="2"${line.dashed ? ' stroke-dasharray="5 4"' : ''}/>`;
  });
  const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => {
    const value = yMin + f * (yMax - yMin);
    return `<line x1="${PAD.left}" x2="${WIDTH - PAD.right}" y1="${y(value).toFixed(1)}" y2="${y(value).toFixed(1)}" stroke="#e5e7eb"/><text x="${PAD.left - 6}" y="${(y(value) + 4).toFixed(1)}" text-anchor="end">${formatValue(value, unit)}</text>`;
  });
  const hours = tMax / 3_600_000;
  const legend = series
    .map(
      (line, index) =>
        `<rect x="${PAD.left + index * 170}" y="4" width="12" height="4" fill="${line.colour}"/><text x="${PAD.left + 16 + index * 170}" y="10">${escapeHtml(line.label)}</text>`,
    )
    .join('');
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg id="${id}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeHtml(title)}">${ticks.join('')}${legend}${paths.join('')}<text x="${WIDTH - PAD.right}" y="${HEIGHT - 6}" text-anchor="end">${hours.toFixed(1)} h simulated</text></svg></figure>`;
}

function formatValue(value: number, unit: string): string {
  if (unit === '%') return `${value.toFixed(0)} %`;
  if (unit === 'ms') return `${value.toFixed(0)} ms`;
  return value.toFixed(2);
}

/**
 * One self-contained HTML file (inline SVG and CSS, a few lines of script, no network) charting a
 * simulation: the candidate's traffic share (planned weight and what the router sent), the
 * stage-to-date success rates and geometric-mean latencies of both arms, and the transitions.
 */
export function simulationHtml(result: SimulationResult, title: string): string {
  const points: readonly TimelinePoint[] = result.timeline;
  const times = points.map((point) => point.t);
  const traffic = lineChart(
    'traffic-share',
    'Traffic share of the candidate',
    times,
    [
      { label: 'planned weight', colour: '#6b7280', values: points.map((p) => p.weight), dashed: true },
      { label: 'routed to candidate', colour: '#2563eb', values: points.map((p) => p.candidateShare) },
    ],
    0,
    100,
    '%',
  );
  const successes = points.flatMap((p) => [p.successControl, p.successCandidate]).filter(Number.isFinite);
  const low = Math.max(0, Math.floor((Math.min(1, ...successes) - 0.02) * 100) / 100);
  const success = lineChart(
    'success-rate',
    'Success rate (stage to date)',
    times,
    [
      { label: 'control', colour: '#16a34a', values: points.map((p) => p.successControl * 100) },
      { label: 'candidate', colour: '#dc2626', values: points.map((p) => p.successCandidate * 100) },
    ],
    low * 100,
    100,
    '%',
  );
  const latencies = points.flatMap((p) => [p.latencyControlMs, p.latencyCandidateMs]).filter(Number.isFinite);
  const latency = lineChart(
    'latency',
    'Latency, geometric mean (stage to date)',
    times,
    [
      { label: 'control', colour: '#16a34a', values: points.map((p) => p.latencyControlMs) },
      { label: 'candidate', colour: '#dc2626', values: points.map((p) => p.latencyCandidateMs) },
    ],
    0,
    Math.max(1, ...latencies) * 1.1,
    'ms',
  );
  const rows = result.transitions
    .map(
      (record) =>
        `<tr><td>${(record.at / 3_600_000).toFixed(2)} h</td><td>${escapeHtml(record.event)}</td><td>${escapeHtml(record.from.status)} → ${escapeHtml(record.to.status)}</td><td>${record.to.weight} %</td><td>${escapeHtml(record.reason)}</td></tr>`,
    )
    .join('');
  const data = JSON.stringify({ outcome: result.outcome, points: points.length, transitions: result.transitions.length }).replace(
    /</g,
    '\\u003c',
  );
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<script>window.addEventListener('error', function (e) { document.documentElement.setAttribute('data-errors', String(e.message)); });</script>
<style>body{font:14px system-ui,sans-serif;margin:24px;color:#111827}figure{margin:0 0 24px}figcaption{font-weight:600;margin-bottom:4px}svg{width:100%;max-width:${WIDTH}px;height:auto;font-size:11px;fill:#374151}table{border-collapse:collapse}td,th{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}</style>
</head><body>
<h1>${escapeHtml(title)}</h1>
<p id="outcome">Outcome: <strong>${escapeHtml(result.outcome)}</strong> after ${result.requests.toLocaleString('en-US')} requests (${result.candidateRequests.toLocaleString('en-US')} to the candidate).</p>
${traffic}
${success}
${latency}
<h2>Transitions</h2>
<table id="transitions"><thead><tr><th>time</th><th>event</th><th>state</th><th>weight</th><th>reason</th></tr></thead><tbody>${rows}</tbody></table>
<script id="simulation-data" type="application/json">${data}</script>
<script>
(function () {
  var data = JSON.parse(document.getElementById('simulation-data').textContent);
  var series = document.querySelectorAll('path.series').length;
  document.body.setAttribute('data-ready', 'true');
  document.body.setAttribute('data-series', String(series));
  document.body.setAttribute('data-outcome', data.outcome);
})();
</script>
</body></html>
`;
}
