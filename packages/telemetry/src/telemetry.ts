import { TelemetryError, TelemetryErrorCode } from './errors.js';
import { CONTENT_FIELDS, EVENT_SCHEMA_VERSION, TERMINAL_EVENTS } from './events.js';
import type { EventInput, EventType, TelemetryEvent } from './events.js';

/** Where events go. `write` is called synchronously on the agent's hot path: keep it cheap. */
export interface Sink {
  write(event: TelemetryEvent): void;
  /**
   * Optional fast path for sinks that store JSON: when present, telemetry calls it instead of `write`
   * with `json` = `JSON.stringify(event)`, serialised once per event and shared by every such sink.
   */
  writeJson?(json: string, event: TelemetryEvent): void;
  /** Push buffered events to their destination. */
  flush?(): void | Promise<void>;
  /** Flush and release resources; later writes throw `TELEMETRY_SINK_CLOSED`. */
  close?(): void | Promise<void>;
}

/** Where a piece of content sits: the event type and the content field. */
export interface ContentLocation {
  readonly type: EventType;
  readonly field: string;
}

/**
 * Rewrites captured text before any sink sees it: `createRedactor(engine)` from `@charter/guardrails`
 * fits as is. Telemetry applies it to every string inside a content value (message texts, argument
 * values, nested at any depth up to 64 levels; deeper content is replaced by `"[too deep]"`), never to
 * object keys, numbers or booleans.
 */
export type Redactor = (text: string, where: ContentLocation) => string;

const MAX_CONTENT_DEPTH = 64;

function redactDeep(value: unknown, redactor: Redactor, where: ContentLocation, depth: number): unknown {
  if (typeof value === 'string') return redactor(value, where);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_CONTENT_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item: unknown) => redactDeep(item, redactor, where, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactDeep(item, redactor, where, depth + 1);
  return out;
}

export interface TelemetryOptions {
  /** The agent's `metadata.name`; written as `agent` on every event. */
  readonly agent: string;
  readonly sinks: readonly Sink[];
  /** Keep prompts, outputs, tool arguments and results. Off by default. Requires a `redactor`. */
  readonly captureContent?: boolean;
  readonly redactor?: Redactor;
  /** Epoch-millisecond clock; `Date.now` by default (tests pass a fake). */
  readonly clock?: () => number;
  /** Called instead of throwing when a sink fails; without it `emit` throws `TELEMETRY_SINK_FAILED`. */
  readonly onSinkError?: (error: unknown, sink: Sink, event: TelemetryEvent) => void;
}

/** The object an agent holds: one per agent process, shared by its runs. */
export interface Telemetry {
  readonly agent: string;
  readonly captureContent: boolean;
  /** Stamps `v`, `ts`, `seq` and `agent`, applies the content policy and hands the event to every sink. */
  emit(event: EventInput): TelemetryEvent;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Creates the `Telemetry` an agent emits events through. */
export function createTelemetry(options: TelemetryOptions): Telemetry {
  const { agent, sinks } = options;
  if (typeof agent !== 'string' || agent.length === 0) {
    throw new TelemetryError(TelemetryErrorCode.BadOptions, 'createTelemetry needs `agent`: the manifest metadata.name');
  }
  const captureContent = options.captureContent ?? false;
  const redactor = options.redactor;
  if (captureContent && redactor === undefined) {
    throw new TelemetryError(
      TelemetryErrorCode.BadOptions,
      'captureContent is on but no redactor was given: pass `redactor` (e.g. from @charter/guardrails) so prompts and outputs are redacted before they are stored',
    );
  }
  const clock = options.clock ?? Date.now;
  const onSinkError = options.onSinkError;
  const sinkList = [...sinks];
  const sequences = new Map<string, number>();

  const jsonPrefix = `{"v":${EVENT_SCHEMA_VERSION},"ts":`;
  const agentJson = JSON.stringify(agent);

  /** A copy of `input` with content dropped or redacted; `input` itself when it holds no content. */
  function applyContentPolicy(input: EventInput, fields: readonly string[], type: EventType): EventInput {
    let copy: Record<string, unknown> | undefined;
    for (const field of fields) {
      if (!(field in input)) continue;
      copy ??= { ...input };
      if (!captureContent || redactor === undefined) {
        // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- content fields are a fixed list per event type
        delete copy[field];
      } else {
        copy[field] = redactDeep(copy[field], redactor, { type, field }, 0);
      }
    }
    return (copy ?? input) as EventInput;
  }

  function emit(input: EventInput): TelemetryEvent {
    const runId = input.runId;
    const seq = sequences.get(runId) ?? 0;
    const type = input.type;
    if (TERMINAL_EVENTS.has(type)) sequences.delete(runId);
    else sequences.set(runId, seq + 1);
    const ts = clock();
    if (!Number.isFinite(ts))
      throw new TelemetryError(TelemetryErrorCode.BadOptions, `the telemetry clock returned ${ts}: it must return epoch milliseconds`);
    const fields = CONTENT_FIELDS[type];
    const body = fields === undefined ? input : applyContentPolicy(input, fields, type);
    const event = { v: EVENT_SCHEMA_VERSION, ts, seq, agent, ...body } as TelemetryEvent;
    let json: string | undefined;
    for (const sink of sinkList) {
      try {
        if (sink.writeJson) {
          // Same text as JSON.stringify(event): the fixed fields first, then the body's own fields.
          json ??= `${jsonPrefix}${ts},"seq":${seq},"agent":${agentJson},${JSON.stringify(body).slice(1)}`;
          sink.writeJson(json, event);
        } else {
          sink.write(event);
        }
      } catch (error) {
        if (onSinkError) onSinkError(error, sink, event);
        else
          throw new TelemetryError(TelemetryErrorCode.SinkFailed, `a telemetry sink failed on a ${type} event: ${describe(error)}`, {
            cause: error,
          });
      }
    }
    return event;
  }

  return {
    agent,
    captureContent,
    emit,
    async flush() {
      for (const sink of sinkList) await sink.flush?.();
    },
    async close() {
      for (const sink of sinkList) await sink.close?.();
    },
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
