import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { FinalRunStatus, GuardrailAction, GuardrailHook } from '@charter/spec';
import { canonicalJson, hashArguments } from './canonical.js';
import { TelemetryError, TelemetryErrorCode } from './errors.js';
import { JsonValue } from './events.js';

/** Version of the recording format; `v` of every recording. */
export const RECORDING_VERSION = 1;

const Step = z.int().nonnegative();
const Id = z.string().min(1).max(200);

export const RecordedToolCall = z.strictObject({ callId: Id, name: Id, args: JsonValue });
export type RecordedToolCall = z.infer<typeof RecordedToolCall>;

/** One model response, as the agent's model adapter returned it. */
export const RecordedModelResponse = z.strictObject({
  step: Step,
  /** Optional hash of the canonical request; when both sides have one, a differing request is a divergence. */
  requestHash: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional(),
  text: z.string().optional(),
  toolCalls: z.array(RecordedToolCall).default([]),
  finishReason: Id,
  usage: z.strictObject({ inputTokens: z.int().nonnegative(), outputTokens: z.int().nonnegative() }).optional(),
});
export type RecordedModelResponse = z.infer<typeof RecordedModelResponse>;

export const RecordedToolResult = z.strictObject({
  step: Step,
  callId: Id,
  name: Id,
  args: JsonValue,
  argsHash: z.string().regex(/^[0-9a-f]{64}$/),
  outcome: z.enum(['ok', 'error']),
  value: JsonValue.optional(),
  errorCode: Id.optional(),
});
export type RecordedToolResult = z.infer<typeof RecordedToolResult>;

export const RecordedDecision = z.strictObject({
  step: Step,
  hook: GuardrailHook,
  action: GuardrailAction,
  ruleIds: z.array(Id),
  callId: Id.optional(),
});
export type RecordedDecision = z.infer<typeof RecordedDecision>;

/** The status a recording ends with: a final run status (`FinalRunStatus` of `@charter/spec`; a paused run records `escalated`). */
export const RunStatus = FinalRunStatus;
export type RunStatus = FinalRunStatus;

/** A recorded run: everything needed to replay it deterministically and compare the outcome. */
export const Recording = z.strictObject({
  format: z.literal('charter.recording'),
  v: z.literal(RECORDING_VERSION),
  agent: Id,
  runId: Id,
  recordedAt: z.iso.datetime(),
  input: JsonValue,
  modelResponses: z.array(RecordedModelResponse),
  toolResults: z.array(RecordedToolResult),
  decisions: z.array(RecordedDecision),
  output: JsonValue,
  status: RunStatus,
});
export type Recording = z.infer<typeof Recording>;
export type RecordingInput = z.input<typeof Recording>;

/** Validates a recording (a parsed object or JSON text); throws `TELEMETRY_RECORDING_INVALID` listing every issue. */
export function parseRecording(value: unknown, source = 'recording'): Recording {
  let json = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value) as unknown;
    } catch (error) {
      throw new TelemetryError(TelemetryErrorCode.RecordingInvalid, `${source} is not JSON: ${(error as Error).message}`, { cause: error });
    }
  }
  const parsed = Recording.safeParse(json);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `  /${issue.path.join('/')}: ${issue.message}`);
    throw new TelemetryError(
      TelemetryErrorCode.RecordingInvalid,
      `${source} is not a valid charter recording (v${RECORDING_VERSION}):\n${lines.join('\n')}`,
    );
  }
  return parsed.data;
}

/** Reads and validates a recording file. */
export function readRecording(path: string): Recording {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new TelemetryError(TelemetryErrorCode.RecordingInvalid, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  return parseRecording(text, path);
}

/** Serialises a recording as stable, readable JSON (keys in canonical order, two-space indent). */
export function stringifyRecording(recording: Recording): string {
  return JSON.stringify(JSON.parse(canonicalJson(recording)), null, 2) + '\n';
}

export interface ToolResultInput {
  readonly callId: string;
  readonly name: string;
  readonly args: JsonValue;
  readonly outcome: 'ok' | 'error';
  readonly value?: JsonValue;
  readonly errorCode?: string;
}

/** Collects a run as it happens; `finish` returns the recording. */
export interface Recorder {
  modelResponse(step: number, response: Omit<z.input<typeof RecordedModelResponse>, 'step'>): void;
  toolResult(step: number, result: ToolResultInput): void;
  decision(step: number, decision: Omit<RecordedDecision, 'step'>): void;
  finish(output: JsonValue, status: RunStatus): Recording;
}

export function createRecorder(init: { agent: string; runId: string; input: JsonValue; clock?: () => number }): Recorder {
  const modelResponses: RecordedModelResponse[] = [];
  const toolResults: RecordedToolResult[] = [];
  const decisions: RecordedDecision[] = [];
  const recordedAt = new Date((init.clock ?? Date.now)()).toISOString();
  return {
    modelResponse(step, response) {
      modelResponses.push(RecordedModelResponse.parse({ ...response, step }));
    },
    toolResult(step, result) {
      toolResults.push({ step, ...result, argsHash: hashArguments(result.args) });
    },
    decision(step, decision) {
      decisions.push({ step, ...decision });
    },
    finish(output, status) {
      return parseRecording({
        format: 'charter.recording',
        v: RECORDING_VERSION,
        agent: init.agent,
        runId: init.runId,
        recordedAt,
        input: init.input,
        modelResponses,
        toolResults,
        decisions,
        output,
        status,
      });
    },
  };
}

/** Serves recorded model responses in order. */
export interface ReplayModel {
  /** The next recorded response; throws `TELEMETRY_REPLAY_EXHAUSTED` past the end, `TELEMETRY_REPLAY_DIVERGED` on a differing request hash. */
  next(requestHash?: string): RecordedModelResponse;
}

/** Serves recorded tool results in order, checking the call matches. */
export interface ReplayTools {
  /** The recorded result of this call; throws `TELEMETRY_REPLAY_DIVERGED` when the tool or arguments differ. */
  call(name: string, args: unknown): RecordedToolResult;
}

export interface ReplaySession {
  readonly recording: Recording;
  readonly input: JsonValue;
  readonly model: ReplayModel;
  readonly tools: ReplayTools;
  /** Throws `TELEMETRY_REPLAY_NOT_DRAINED` if recorded responses or results were not used. */
  assertDrained(): void;
}

/** Replay sources over a recording: the re-run's model and tools read from here instead of the world. */
export function createReplay(recording: Recording): ReplaySession {
  let modelIndex = 0;
  let toolIndex = 0;
  const { modelResponses, toolResults } = recording;
  return {
    recording,
    input: recording.input,
    model: {
      next(requestHash) {
        const recorded = modelResponses[modelIndex];
        if (!recorded) {
          throw new TelemetryError(
            TelemetryErrorCode.ReplayExhausted,
            `replay diverged: the run asked the model for response #${modelIndex + 1} but the recording holds ${modelResponses.length}`,
          );
        }
        if (requestHash !== undefined && recorded.requestHash !== undefined && requestHash !== recorded.requestHash) {
          throw new TelemetryError(
            TelemetryErrorCode.ReplayDiverged,
            `replay diverged at step ${recorded.step}: model request #${modelIndex + 1} differs from the recorded one (request hash ${requestHash.slice(0, 12)}… ≠ ${recorded.requestHash.slice(0, 12)}…)`,
          );
        }
        modelIndex++;
        return recorded;
      },
    },
    tools: {
      call(name, args) {
        const recorded = toolResults[toolIndex];
        if (!recorded) {
          throw new TelemetryError(
            TelemetryErrorCode.ReplayExhausted,
            `replay diverged: the run called ${name} (tool call #${toolIndex + 1}) but the recording holds ${toolResults.length} tool results`,
          );
        }
        if (recorded.name !== name) {
          throw new TelemetryError(
            TelemetryErrorCode.ReplayDiverged,
            `replay diverged at step ${recorded.step}: tool call #${toolIndex + 1} is ${name}, the recording has ${recorded.name}`,
          );
        }
        const argsHash = hashArguments(args);
        if (argsHash !== recorded.argsHash) {
          const paths = diffValues(recorded.args, args as JsonValue, '/args').map((d) => d.path);
          throw new TelemetryError(
            TelemetryErrorCode.ReplayDiverged,
            `replay diverged at step ${recorded.step}: ${name} was called with different arguments (${paths.join(', ')})`,
          );
        }
        toolIndex++;
        return recorded;
      },
    },
    assertDrained() {
      const models = modelResponses.length - modelIndex;
      const tools = toolResults.length - toolIndex;
      if (models > 0 || tools > 0) {
        throw new TelemetryError(
          TelemetryErrorCode.ReplayNotDrained,
          `replay diverged: the run ended with ${models} recorded model response(s) and ${tools} tool result(s) unused`,
        );
      }
    },
  };
}

export type DiffSection = 'input' | 'model' | 'tool' | 'decision' | 'output' | 'status';

/** One difference between two recordings. */
export interface RecordingDifference {
  readonly section: DiffSection;
  /** The step of the differing entry (from the expected recording, else the actual one). */
  readonly step?: number;
  /** JSON pointer into the recording, e.g. `/toolResults/1/value/status`. */
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

interface RawDiff {
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

const MISSING = undefined;

function pointerSegment(key: string | number): string {
  return String(key).replaceAll('~', '~0').replaceAll('/', '~1');
}

function diffValues(expected: unknown, actual: unknown, path: string): RawDiff[] {
  if (Object.is(expected, actual)) return [];
  const bothArrays = Array.isArray(expected) && Array.isArray(actual);
  const bothObjects = isPlainObject(expected) && isPlainObject(actual);
  if (bothArrays) {
    const out: RawDiff[] = [];
    const length = Math.max(expected.length, actual.length);
    for (let i = 0; i < length; i++) out.push(...diffValues(expected[i], actual[i], `${path}/${i}`));
    return out;
  }
  if (bothObjects) {
    const out: RawDiff[] = [];
    const keys = [...new Set([...Object.keys(expected), ...Object.keys(actual)])].sort();
    for (const key of keys) out.push(...diffValues(expected[key], actual[key], `${path}/${pointerSegment(key)}`));
    return out;
  }
  return [{ path, expected, actual }];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const SECTIONS = [
  ['modelResponses', 'model'],
  ['toolResults', 'tool'],
  ['decisions', 'decision'],
] as const;

/**
 * Every difference in decisions, tool results, model responses, output, status and input between two
 * recordings, each named by section, step and JSON pointer. `runId` and `recordedAt` are ignored.
 */
export function diffRecordings(expected: Recording, actual: Recording): RecordingDifference[] {
  const out: RecordingDifference[] = [];
  for (const d of diffValues(expected.input, actual.input, '/input')) out.push({ section: 'input', ...d });
  for (const [field, section] of SECTIONS) {
    const left: readonly { step: number }[] = expected[field];
    const right: readonly { step: number }[] = actual[field];
    const length = Math.max(left.length, right.length);
    for (let i = 0; i < length; i++) {
      const step = left[i]?.step ?? right[i]?.step;
      const base = `/${field}/${i}`;
      const diffs =
        left[i] === MISSING || right[i] === MISSING
          ? [{ path: base, expected: left[i], actual: right[i] }]
          : diffValues(left[i], right[i], base);
      for (const d of diffs) out.push({ section, ...(step === undefined ? {} : { step }), ...d });
    }
  }
  for (const d of diffValues(expected.output, actual.output, '/output')) out.push({ section: 'output', ...d });
  if (expected.status !== actual.status) out.push({ section: 'status', path: '/status', expected: expected.status, actual: actual.status });
  return out;
}

const SECTION_NAMES: Readonly<Record<DiffSection, string>> = {
  input: 'input',
  model: 'model response',
  tool: 'tool result',
  decision: 'guardrail decision',
  output: 'output',
  status: 'status',
};

/** One human line per difference, e.g. `tool result at step 3: /toolResults/1/value/status expected "shipped", got "delivered"`. */
export function formatRecordingDiff(diffs: readonly RecordingDifference[]): string {
  return diffs
    .map((d) => {
      const where = d.step === undefined ? SECTION_NAMES[d.section] : `${SECTION_NAMES[d.section]} at step ${d.step}`;
      return `${where}: ${d.path} expected ${show(d.expected)}, got ${show(d.actual)}`;
    })
    .join('\n');
}

function show(value: unknown): string {
  if (value === undefined) return '(nothing)';
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}
