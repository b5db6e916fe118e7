import type { TelemetryEvent } from './events.js';
import { METRICS } from './metric-names.js';
import type { MetricKey } from './metric-names.js';
import { METRIC_BUCKETS, observeEvent } from './metrics.js';
import type { HistogramKey, Labels } from './metrics.js';
import type { Sink } from './telemetry.js';

interface Series {
  readonly labels: Labels;
  value: number;
  /** Histograms: count per bucket (non-cumulative), sum and count. */
  readonly buckets?: number[];
  sum: number;
  count: number;
}

/** A sink that aggregates events into the `METRICS` contract and renders Prometheus text exposition. */
export interface PrometheusSink extends Sink {
  /** Prometheus text exposition format 0.0.4: `# HELP`, `# TYPE`, samples, `_bucket{le=…}`, `_sum`, `_count`. */
  text(): string;
  /** Content-Type to serve `text()` with. */
  readonly contentType: string;
  reset(): void;
}

export function createPrometheusSink(): PrometheusSink {
  const families = new Map<MetricKey, Map<string, Series>>();

  function observe(metric: MetricKey, value: number, labels: Labels): void {
    let family = families.get(metric);
    if (!family) {
      family = new Map();
      families.set(metric, family);
    }
    const def = METRICS[metric];
    const key = def.labels.map((name) => labels[name] ?? '').join('\u0000');
    let series = family.get(key);
    if (!series) {
      const bounds = def.type === 'histogram' ? METRIC_BUCKETS[metric as HistogramKey] : undefined;
      series = { labels, value: 0, sum: 0, count: 0, ...(bounds ? { buckets: new Array<number>(bounds.length).fill(0) } : {}) };
      family.set(key, series);
    }
    if (series.buckets) {
      const bounds = METRIC_BUCKETS[metric as HistogramKey];
      const index = bounds.findIndex((bound) => value <= bound);
      if (index >= 0) series.buckets[index] = (series.buckets[index] ?? 0) + 1;
      series.sum += value;
      series.count += 1;
    } else {
      series.value += value;
    }
  }

  return {
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    write(event: TelemetryEvent) {
      observeEvent(event, observe);
    },
    reset() {
      families.clear();
    },
    text() {
      const lines: string[] = [];
      for (const metric of Object.keys(METRICS) as MetricKey[]) {
        const def = METRICS[metric];
        const name = def.prometheus;
        lines.push(`# HELP ${name} ${escapeHelp(def.description)}`, `# TYPE ${name} ${def.type}`);
        const family = families.get(metric);
        if (!family) continue;
        for (const series of family.values()) {
          const labels = def.labels.map((label) => [label, series.labels[label] ?? ''] as const);
          if (!series.buckets) {
            lines.push(`${name}${formatLabels(labels)} ${formatNumber(series.value)}`);
            continue;
          }
          const bounds = METRIC_BUCKETS[metric as HistogramKey];
          let cumulative = 0;
          bounds.forEach((bound, i) => {
            cumulative += series.buckets?.[i] ?? 0;
            lines.push(`${name}_bucket${formatLabels([...labels, ['le', formatNumber(bound)]])} ${cumulative}`);
          });
          lines.push(`${name}_bucket${formatLabels([...labels, ['le', '+Inf']])} ${series.count}`);
          lines.push(`${name}_sum${formatLabels(labels)} ${formatNumber(series.sum)}`);
          lines.push(`${name}_count${formatLabels(labels)} ${series.count}`);
        }
      }
      return lines.join('\n') + '\n';
    },
  };
}

function formatLabels(labels: readonly (readonly [string, string])[]): string {
  if (labels.length === 0) return '';
  return '{' + labels.map(([name, value]) => `${name}="${escapeLabelValue(value)}"`).join(',') + '}';
}

/** Label values escape backslash, double quote and line feed. */
export function escapeLabelValue(value: string): string {
  return value.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

/** HELP text escapes backslash and line feed. */
function escapeHelp(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('\n', '\\n');
}

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(value);
}
