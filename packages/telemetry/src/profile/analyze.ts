import { canonicalJson } from '../canonical.js';
import type { EventOf, StepPhase, TelemetryEvent } from '../events.js';

/** Version of the profile's JSON shape (`charter profile --json`). Bump on a breaking change. */
export const PROFILE_VERSION = 1;

/** The four phases of a step, in loop order. */
export const PHASES: readonly StepPhase[] = ['perceive', 'decide', 'act', 'reflect'];

/** Milliseconds spent in each phase (from a `step` event to the next `step` or terminal event of its run). */
export type PhaseTimes = Readonly<Record<StepPhase, number>>;

/** Latency of one tool over every call in the events. Percentiles are nearest-rank over `durationMs`. */
export interface ToolStat {
  readonly tool: string;
  readonly calls: number;
  readonly errors: number;
  readonly retries: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  readonly totalMs: number;
}

/** Latency, tokens and cost of one model. */
export interface ModelStat {
  readonly provider: string;
  readonly model: string;
  readonly calls: number;
  readonly p50Ms: number;
  readonly p95Ms: number;
  readonly p99Ms: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly costUsd: number;
}

/**
 * A path: the sequence of tool calls a run made (tool names in order; `[]` for a run that answered without
 * a tool), with the model cost of the runs that took it.
 */
export interface PathStat {
  readonly path: readonly string[];
  readonly runs: number;
  readonly totalCostUsd: number;
  readonly meanCostUsd: number;
  readonly meanDurationMs: number;
  readonly meanSteps: number;
  /** A run that took this path (the first in the events). */
  readonly exampleRunId: string;
}

/**
 * Why a tool call counts as unnecessary (see `profileEvents` for the exact definitions):
 * - `repeated`: an earlier call in the same run had the same tool and canonical arguments and succeeded;
 * - `withheld`: an enforced tool-result guardrail denied the result of a read, so no later step could see it;
 * - `unread`: no model request followed the result of a read in its run: it informed no decision and no answer;
 * - `unreferenced`: content was recorded and no value of the result appears in anything the run produced later.
 */
export type UnnecessaryReason = 'repeated' | 'withheld' | 'unread' | 'unreferenced';

export interface UnnecessaryCall {
  readonly runId: string;
  readonly agent: string;
  readonly tenant: string;
  readonly callId: string;
  readonly tool: string;
  readonly argsHash: string;
  /** `seq` of the `tool.call` event in its run. */
  readonly seq: number;
  readonly durationMs: number;
  readonly reasons: readonly UnnecessaryReason[];
  /** For `repeated`: the earlier call with the same tool and arguments. */
  readonly repeatOf?: string;
}

/** Totals of one agent or one tenant. */
export interface GroupStat {
  readonly key: string;
  readonly runs: number;
  readonly costUsd: number;
  readonly runP50Ms: number;
  readonly runP95Ms: number;
  readonly toolCalls: number;
  readonly modelCalls: number;
  readonly unnecessaryCalls: number;
  readonly phases: PhaseTimes;
}

export interface Profile {
  readonly v: typeof PROFILE_VERSION;
  readonly events: number;
  readonly runs: number;
  /** Epoch ms of the first and last event, when there is one. */
  readonly from?: number;
  readonly to?: number;
  /** True when some tool result and later output were recorded with content (`unreferenced` can be judged). */
  readonly content: boolean;
  readonly totals: {
    readonly costUsd: number;
    readonly runMs: number;
    readonly toolCalls: number;
    readonly modelCalls: number;
    readonly unnecessaryCalls: number;
    /** Tool time spent in unnecessary calls. */
    readonly unnecessaryMs: number;
  };
  /** Slowest first (p95, then p99, then name). */
  readonly tools: readonly ToolStat[];
  /** Slowest first (p95). */
  readonly models: readonly ModelStat[];
  /** Costliest first (total cost, then runs). */
  readonly paths: readonly PathStat[];
  /** In the order of the events. */
  readonly unnecessary: readonly UnnecessaryCall[];
  readonly phases: PhaseTimes;
  readonly agents: readonly GroupStat[];
  readonly tenants: readonly GroupStat[];
}

export interface ProfileOptions {
  /** Keep at most this many paths (the costliest). Default 20. */
  readonly maxPaths?: number;
  /** Only the runs of this agent (`metadata.name`). */
  readonly agent?: string;
  /** Only the runs of this tenant (`run.started` `tenant`; `-` for runs without one). */
  readonly tenant?: string;
}

/** The tenant key of a run whose `run.started` names none. */
export const NO_TENANT = '-';

/** Nearest-rank percentile of ascending `sorted` (0 for none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] ?? 0;
}

function ascending(values: readonly number[]): number[] {
  return [...values].sort((a, b) => a - b);
}

/** Rounds to micro-dollars / microseconds so sums print and compare stably. */
function round(value: number): number {
  return Math.round(value * 1e6) / 1e6;
}

function zeroPhases(): Record<StepPhase, number> {
  return { perceive: 0, decide: 0, act: 0, reflect: 0 };
}

function addPhases(into: Record<StepPhase, number>, from: PhaseTimes): void {
  for (const phase of PHASES) into[phase] += from[phase];
}

function roundPhases(times: PhaseTimes): PhaseTimes {
  return { perceive: round(times.perceive), decide: round(times.decide), act: round(times.act), reflect: round(times.reflect) };
}

interface RunView {
  readonly runId: string;
  readonly agent: string;
  readonly tenant: string;
  readonly events: readonly TelemetryEvent[];
  readonly costUsd: number;
  readonly durationMs: number;
  readonly steps: number;
  readonly path: readonly string[];
  readonly phases: PhaseTimes;
  readonly toolCalls: number;
  readonly modelCalls: number;
  readonly unnecessary: readonly UnnecessaryCall[];
  readonly content: boolean;
}

const TERMINAL = new Set<TelemetryEvent['type']>(['run.completed', 'run.failed', 'run.escalated']);

/** Strings of at least this many characters and numbers of at least this many characters count as traceable values. */
const MIN_TRACE_CHARS = 4;
const MAX_TRACE_VALUES = 200;

/** The traceable leaf values of a result: strings and numbers long enough not to match by chance. */
function traceValues(value: unknown, out: Set<string>, depth = 0): void {
  if (out.size >= MAX_TRACE_VALUES || depth > 32) return;
  if (typeof value === 'string') {
    const text = value.trim();
    if (text.length >= MIN_TRACE_CHARS) out.add(text.length > 200 ? text.slice(0, 200) : text);
  } else if (typeof value === 'number') {
    const text = String(value);
    if (text.length >= MIN_TRACE_CHARS - 1) out.add(text);
  } else if (Array.isArray(value)) {
    for (const item of value) traceValues(item, out, depth + 1);
  } else if (typeof value === 'object' && value !== null) {
    for (const item of Object.values(value)) traceValues(item, out, depth + 1);
  }
}

/** Text of the content a step produced after a tool result: model outputs, later tool arguments, the run's output. */
function producedText(event: TelemetryEvent): string | undefined {
  const content =
    event.type === 'model.response'
      ? event.output
      : event.type === 'tool.call'
        ? event.args
        : event.type === 'run.completed'
          ? event.output
          : undefined;
  if (content === undefined) return undefined;
  return typeof content === 'string' ? content : canonicalJson(content);
}

function analyzeRun(runId: string, events: readonly TelemetryEvent[]): RunView {
  const ordered = [...events].sort((a, b) => a.seq - b.seq || a.ts - b.ts);
  const first = ordered[0];
  const last = ordered[ordered.length - 1];
  const started = ordered.find((event): event is EventOf<'run.started'> => event.type === 'run.started');
  const terminal = ordered.find((event) => TERMINAL.has(event.type));
  const agent = first?.agent ?? '';
  const tenant = started?.tenant ?? NO_TENANT;

  let modelCost = 0;
  let modelCalls = 0;
  let steps = 0;
  const phases = zeroPhases();
  const path: string[] = [];
  const calls = new Map<string, EventOf<'tool.call'>>();
  const results = new Map<string, EventOf<'tool.result'>>();
  const withheld = new Set<string>();
  const seenOk = new Map<string, string>(); // tool + argsHash → first successful callId
  const lastModelRequestSeq = ordered.reduce((max, event) => (event.type === 'model.request' ? Math.max(max, event.seq) : max), -1);

  ordered.forEach((event, index) => {
    switch (event.type) {
      case 'model.response':
        modelCost += event.costUsd;
        modelCalls += 1;
        break;
      case 'step': {
        steps = Math.max(steps, event.step + 1);
        const next = ordered.slice(index + 1).find((later) => later.type === 'step' || TERMINAL.has(later.type));
        const end = next?.ts ?? last?.ts ?? event.ts;
        phases[event.phase] += Math.max(0, end - event.ts);
        break;
      }
      case 'tool.call':
        calls.set(event.callId, event);
        path.push(event.name);
        break;
      case 'tool.result':
        results.set(event.callId, event);
        break;
      case 'guardrail.decision':
        if (event.hook === 'tool-result' && event.action === 'deny' && event.mode !== 'monitor' && event.callId !== undefined)
          withheld.add(event.callId);
        break;
      default:
        break;
    }
  });

  let content = false;
  const unnecessary: UnnecessaryCall[] = [];
  for (const call of calls.values()) {
    const result = results.get(call.callId);
    const reasons: UnnecessaryReason[] = [];
    const key = `${call.name}\u0000${call.argsHash}`;
    const repeatOf = seenOk.get(key);
    if (repeatOf !== undefined) reasons.push('repeated');
    else if (result?.outcome === 'ok') seenOk.set(key, call.callId);
    // A call that changes something (side effects other than `none`) is made for its effect: only reads must be used.
    if (result?.outcome === 'ok' && call.sideEffects === 'none') {
      if (withheld.has(call.callId)) reasons.push('withheld');
      else if (lastModelRequestSeq < result.seq) reasons.push('unread');
      else if (result.result !== undefined) {
        const later = ordered.filter((event) => event.seq > result.seq).flatMap((event) => producedText(event) ?? []);
        if (later.length > 0) {
          content = true;
          const values = new Set<string>();
          traceValues(result.result, values);
          // A result with no traceable value (e.g. `{ "ok": true }`) cannot be traced: it counts as used.
          if (values.size > 0 && ![...values].some((value) => later.some((text) => text.includes(value)))) reasons.push('unreferenced');
        }
      }
    }
    if (reasons.length > 0)
      unnecessary.push({
        runId,
        agent,
        tenant,
        callId: call.callId,
        tool: call.name,
        argsHash: call.argsHash,
        seq: call.seq,
        durationMs: result?.durationMs ?? 0,
        reasons,
        ...(repeatOf === undefined ? {} : { repeatOf }),
      });
  }

  const costUsd = modelCalls > 0 ? modelCost : terminal?.type === 'run.completed' ? (terminal.costUsd ?? 0) : 0;
  const durationMs =
    terminal !== undefined && 'durationMs' in terminal ? terminal.durationMs : Math.max(0, (last?.ts ?? 0) - (first?.ts ?? 0));
  const stepsRecorded = terminal?.type === 'run.completed' ? Math.max(steps, terminal.steps) : steps;
  return {
    runId,
    agent,
    tenant,
    events: ordered,
    costUsd,
    durationMs,
    steps: stepsRecorded,
    path,
    phases,
    toolCalls: calls.size,
    modelCalls,
    unnecessary,
    content,
  };
}

function group(key: string, runs: readonly RunView[]): GroupStat {
  const durations = ascending(runs.map((run) => run.durationMs));
  const phases = zeroPhases();
  for (const run of runs) addPhases(phases, run.phases);
  return {
    key,
    runs: runs.length,
    costUsd: round(runs.reduce((sum, run) => sum + run.costUsd, 0)),
    runP50Ms: percentile(durations, 50),
    runP95Ms: percentile(durations, 95),
    toolCalls: runs.reduce((sum, run) => sum + run.toolCalls, 0),
    modelCalls: runs.reduce((sum, run) => sum + run.modelCalls, 0),
    unnecessaryCalls: runs.reduce((sum, run) => sum + run.unnecessary.length, 0),
    phases: roundPhases(phases),
  };
}

function groupsBy(runs: readonly RunView[], keyOf: (run: RunView) => string): GroupStat[] {
  const byKey = new Map<string, RunView[]>();
  for (const run of runs) {
    const key = keyOf(run);
    const list = byKey.get(key);
    if (list === undefined) byKey.set(key, [run]);
    else list.push(run);
  }
  return [...byKey]
    .map(([key, list]) => group(key, list))
    .sort((a, b) => b.costUsd - a.costUsd || b.runs - a.runs || a.key.localeCompare(b.key));
}

/**
 * Profiles recorded telemetry: a pure function of the events (any order; grouped by `runId`, ordered by
 * `seq` within a run). Rollout transitions are not runs and are left out.
 *
 * - **Tools**: `tool.result` `durationMs` per tool name, nearest-rank p50/p95/p99, slowest p95 first.
 * - **Paths**: a run's path is the names of its tool calls in order; paths are ranked by the total model
 *   cost (`model.response` `costUsd`, else the `run.completed` `costUsd`) of the runs that took them.
 * - **Phases**: a `step` event opens its phase, which lasts until the next `step` or terminal event of the run.
 * - **Unnecessary calls**: a tool call is *repeated* when an earlier call of the same run had the same
 *   tool name and `argsHash` (SHA-256 of the canonical arguments) and succeeded. The successful result of
 *   a read (`sideEffects: none`; a call with effects is made for its effect) is *used* when (1) no enforced tool-result guardrail denied it, (2) a `model.request` of the run follows
 *   it (the result reached a decision) and (3) when content was recorded (the result and at least one later
 *   model output, tool argument or run output), one of its traceable values — a string of 4+ characters
 *   or a number of 3+ digits — appears in that later content. A result that fails (1), (2) or (3) is
 *   `withheld`, `unread` or `unreferenced`. Failed calls are never unnecessary (a retry may follow).
 * - **Agents and tenants**: the same totals per `agent` and per `run.started` `tenant` (`-` when absent).
 */
export function profileEvents(events: readonly TelemetryEvent[], options: ProfileOptions = {}): Profile {
  const byRun = new Map<string, TelemetryEvent[]>();
  let from: number | undefined;
  let to: number | undefined;
  let count = 0;
  for (const event of events) {
    if (event.type === 'rollout.transition') continue;
    const list = byRun.get(event.runId);
    if (list === undefined) byRun.set(event.runId, [event]);
    else list.push(event);
  }
  let runs = [...byRun].map(([runId, list]) => analyzeRun(runId, list));
  if (options.agent !== undefined) runs = runs.filter((run) => run.agent === options.agent);
  if (options.tenant !== undefined) runs = runs.filter((run) => run.tenant === options.tenant);

  const durations = new Map<string, { ms: number[]; errors: number; retries: number }>();
  const models = new Map<
    string,
    { provider: string; model: string; ms: number[]; inputTokens: number; outputTokens: number; costUsd: number }
  >();
  const paths = new Map<string, { path: readonly string[]; runs: RunView[] }>();
  const phases = zeroPhases();
  for (const run of runs) {
    addPhases(phases, run.phases);
    const pathKey = run.path.join('\u0000');
    const entry = paths.get(pathKey);
    if (entry === undefined) paths.set(pathKey, { path: run.path, runs: [run] });
    else entry.runs.push(run);
    for (const event of run.events) {
      count += 1;
      from = from === undefined ? event.ts : Math.min(from, event.ts);
      to = to === undefined ? event.ts : Math.max(to, event.ts);
      if (event.type === 'tool.result') {
        const stat = durations.get(event.name) ?? { ms: [], errors: 0, retries: 0 };
        stat.ms.push(event.durationMs);
        if (event.outcome === 'error') stat.errors += 1;
        stat.retries += event.retries;
        durations.set(event.name, stat);
      } else if (event.type === 'model.response') {
        const key = `${event.provider}/${event.model}`;
        const stat = models.get(key) ?? {
          provider: event.provider,
          model: event.model,
          ms: [],
          inputTokens: 0,
          outputTokens: 0,
          costUsd: 0,
        };
        stat.ms.push(event.latencyMs);
        stat.inputTokens += event.inputTokens;
        stat.outputTokens += event.outputTokens;
        stat.costUsd += event.costUsd;
        models.set(key, stat);
      }
    }
  }

  const tools: ToolStat[] = [...durations].map(([tool, stat]) => {
    const sorted = ascending(stat.ms);
    return {
      tool,
      calls: sorted.length,
      errors: stat.errors,
      retries: stat.retries,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      p99Ms: percentile(sorted, 99),
      maxMs: sorted[sorted.length - 1] ?? 0,
      totalMs: round(sorted.reduce((sum, ms) => sum + ms, 0)),
    };
  });
  tools.sort((a, b) => b.p95Ms - a.p95Ms || b.p99Ms - a.p99Ms || a.tool.localeCompare(b.tool));

  const modelStats: ModelStat[] = [...models.values()].map((stat) => {
    const sorted = ascending(stat.ms);
    return {
      provider: stat.provider,
      model: stat.model,
      calls: sorted.length,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      p99Ms: percentile(sorted, 99),
      inputTokens: stat.inputTokens,
      outputTokens: stat.outputTokens,
      costUsd: round(stat.costUsd),
    };
  });
  modelStats.sort((a, b) => b.p95Ms - a.p95Ms || a.model.localeCompare(b.model));

  const pathStats: PathStat[] = [...paths.values()].map(({ path, runs: taken }) => {
    const total = taken.reduce((sum, run) => sum + run.costUsd, 0);
    return {
      path,
      runs: taken.length,
      totalCostUsd: round(total),
      meanCostUsd: round(total / taken.length),
      meanDurationMs: round(taken.reduce((sum, run) => sum + run.durationMs, 0) / taken.length),
      meanSteps: round(taken.reduce((sum, run) => sum + run.steps, 0) / taken.length),
      exampleRunId: taken[0]?.runId ?? '',
    };
  });
  pathStats.sort((a, b) => b.totalCostUsd - a.totalCostUsd || b.runs - a.runs || a.path.join(' ').localeCompare(b.path.join(' ')));

  const unnecessary = runs.flatMap((run) => run.unnecessary);
  return {
    v: PROFILE_VERSION,
    events: count,
    runs: runs.length,
    ...(from === undefined ? {} : { from }),
    ...(to === undefined ? {} : { to }),
    content: runs.some((run) => run.content),
    totals: {
      costUsd: round(runs.reduce((sum, run) => sum + run.costUsd, 0)),
      runMs: round(runs.reduce((sum, run) => sum + run.durationMs, 0)),
      toolCalls: runs.reduce((sum, run) => sum + run.toolCalls, 0),
      modelCalls: runs.reduce((sum, run) => sum + run.modelCalls, 0),
      unnecessaryCalls: unnecessary.length,
      unnecessaryMs: round(unnecessary.reduce((sum, call) => sum + call.durationMs, 0)),
    },
    tools,
    models: modelStats,
    paths: pathStats.slice(0, options.maxPaths ?? 20),
    unnecessary,
    phases: roundPhases(phases),
    agents: groupsBy(runs, (run) => run.agent),
    tenants: groupsBy(runs, (run) => run.tenant),
  };
}
