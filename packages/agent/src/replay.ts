// Record and replay (`@charter/agent/replay`): a run's recording is built from the telemetry events the
// loop already emits (a tap in front of the caller's telemetry), and a recording is re-executed by
// plugging `createReplay`'s model and tools into an ordinary agent. No loop internals are involved.
import { randomUUID } from 'node:crypto';
import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import { createRecorder, createReplay, createTelemetry } from '@charter/telemetry';
import type {
  EventInput,
  JsonValue,
  Recording,
  ReplaySession,
  RunStatus as RecordingStatus,
  Telemetry,
  TelemetryEvent,
} from '@charter/telemetry';
import { defineTool, MemoryLedger, ToolError } from '@charter/tools';
import type { AnyTool, ToolErrorCode } from '@charter/tools';
import type { GuardrailAction, GuardrailHook } from '@charter/spec';
import type { ZodType } from 'zod';
import { createAgent, manifestOf } from './agent.js';
import { AgentError, AgentErrorCode } from './errors.js';
import { memoryEscalation } from './escalation.js';
import { MemoryStore } from './store.js';
import type { AgentOptions, ApprovalDecision, ContextFact, RunOptions, RunResult } from './types.js';

/**
 * A recording's `input`: the run input and every human answer the run was given, so a re-run gets
 * the same facts and approvals.
 */
export interface RecordedInput {
  readonly text: string;
  readonly tenant?: string;
  readonly user?: string;
  readonly context?: Readonly<Record<string, ContextFact>>;
  /** The decisions `resume` received, in order (a run that paused for approval). */
  readonly approvals?: readonly ApprovalDecision[];
}

/** Taps an agent's telemetry: every run that emits through `telemetry` can be taken as a `Recording`. */
export interface RecordingTap {
  /** Pass as `AgentOptions.telemetry`; events also reach the wrapped telemetry, under its own content policy. */
  readonly telemetry: Telemetry;
  /** The recording of a finished (or paused) run that went through the tap; forgets the run. Throws `AGENT_RUN_NOT_FOUND`. */
  take(result: RunResult, input: RecordedInput): Recording;
}

export interface RecordingTapOptions {
  /** The agent's `metadata.name`. */
  readonly agent: string;
  /** The agent's tools: tool arguments are recorded as the tool receives them (parsed by its input schema). */
  readonly tools?: readonly AnyTool[];
  /** The caller's telemetry, which still receives every event. */
  readonly telemetry?: Telemetry;
  readonly clock?: () => number;
}

interface ModelEntry {
  text?: string;
  toolCalls: { callId: string; name: string; args: JsonValue }[];
  finishReason: string;
  usage: { inputTokens: number; outputTokens: number };
}

type Entry =
  | { readonly kind: 'model'; readonly step: number; readonly response: ModelEntry }
  | {
      readonly kind: 'tool';
      readonly step: number;
      readonly result: { callId: string; name: string; args: JsonValue; outcome: 'ok' | 'error'; value?: JsonValue; errorCode?: string };
    }
  | {
      readonly kind: 'decision';
      readonly step: number;
      readonly decision: {
        hook: GuardrailHook;
        action: GuardrailAction;
        ruleIds: string[];
        callId?: string;
      };
    };

interface RunLog {
  step: number;
  readonly entries: Entry[];
  readonly args: Map<string, JsonValue>;
  end: { status: RecordingStatus; output: JsonValue } | undefined;
  pausedFor: { tool: string; callId: string; reason: string } | undefined;
}

/** A JSON copy (recorded values never alias live run state); `undefined` becomes `null`. */
function toJson(value: unknown): JsonValue {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value)) as JsonValue;
}

/** Tool-call arguments as the model sent them: parsed JSON when it is an object or array, else the raw text. */
function modelArgs(input: string): JsonValue {
  try {
    const parsed = JSON.parse(input) as unknown;
    if (typeof parsed === 'object' && parsed !== null) return parsed as JsonValue;
  } catch {
    // kept verbatim: a malformed call replays as the same malformed call
  }
  return input;
}

function modelEntry(output: unknown, finishReason: string, inputTokens: number, outputTokens: number): ModelEntry {
  const toolCalls: { callId: string; name: string; args: JsonValue }[] = [];
  let text: string | undefined;
  if (Array.isArray(output)) {
    for (const part of output as LanguageModelV3Content[]) {
      if (part.type === 'text') text = (text ?? '') + part.text;
      else if (part.type === 'tool-call' && part.providerExecuted !== true)
        toolCalls.push({ callId: part.toolCallId, name: part.toolName, args: modelArgs(part.input) });
    }
  }
  return { ...(text === undefined ? {} : { text }), toolCalls, finishReason, usage: { inputTokens, outputTokens } };
}

/** Creates a recording tap; see `RecordingTap`. Content is recorded unredacted: recordings hold what replay needs. */
export function createRecordingTap(options: RecordingTapOptions): RecordingTap {
  const { agent } = options;
  const inner = options.telemetry;
  const clock = options.clock ?? Date.now;
  const schemas = new Map<string, ZodType>((options.tools ?? []).map((tool) => [tool.name, tool.input as ZodType]));
  // Stamps events when there is no caller telemetry (`emit` returns the stamped event).
  const stamp = inner ?? createTelemetry({ agent, sinks: [], clock });
  const runs = new Map<string, RunLog>();

  function argsOf(name: string, args: unknown): JsonValue {
    const parsed = schemas.get(name)?.safeParse(args);
    return toJson(parsed?.success === true ? parsed.data : args);
  }

  function observe(event: EventInput): void {
    let log = runs.get(event.runId);
    if (log === undefined) {
      log = { step: 0, entries: [], args: new Map(), end: undefined, pausedFor: undefined };
      runs.set(event.runId, log);
    }
    switch (event.type) {
      case 'model.request':
        log.step = event.step ?? log.step;
        break;
      case 'model.response':
        log.entries.push({
          kind: 'model',
          step: log.step,
          response: modelEntry(event.output, event.finishReason, event.inputTokens, event.outputTokens),
        });
        break;
      case 'model.fallback': {
        // The run used the fallback's answer: it takes the place of the primary's failed call, so
        // a replay (one replay model, no fallback) serves the answer the run went on with.
        const last = log.entries.at(-1);
        if (last?.kind === 'model' && last.response.finishReason === 'error') log.entries.pop();
        break;
      }
      case 'tool.call':
        log.args.set(event.callId, argsOf(event.name, event.args));
        break;
      case 'tool.result':
        log.entries.push({
          kind: 'tool',
          step: log.step,
          result: {
            callId: event.callId,
            name: event.name,
            args: log.args.get(event.callId) ?? null,
            outcome: event.outcome,
            ...(event.outcome === 'ok' ? { value: toJson(event.result) } : {}),
            ...(event.errorCode === undefined ? {} : { errorCode: event.errorCode }),
          },
        });
        break;
      case 'guardrail.decision':
        log.entries.push({
          kind: 'decision',
          step: log.step,
          decision: {
            hook: event.hook,
            action: event.action,
            ruleIds: [...event.ruleIds],
            ...(event.callId === undefined ? {} : { callId: event.callId }),
          },
        });
        break;
      case 'approval.requested':
        log.pausedFor = { tool: event.tool, callId: event.callId, reason: event.reason };
        break;
      case 'approval.granted':
      case 'approval.denied':
        log.pausedFor = undefined;
        break;
      case 'run.completed':
        log.end = { status: event.status, output: { text: event.output ?? null } };
        break;
      case 'run.escalated':
        log.end = { status: 'escalated', output: { reason: event.reason } };
        break;
      case 'run.failed':
        log.end = { status: 'failed', output: { errorCode: event.errorCode } };
        break;
      default:
        break;
    }
  }

  const telemetry: Telemetry = {
    agent,
    // The loop includes content only when its telemetry asks for it; the wrapped telemetry still
    // drops or redacts it by its own `captureContent`.
    captureContent: true,
    emit(event: EventInput): TelemetryEvent {
      observe(event);
      return stamp.emit(event);
    },
    flush: () => inner?.flush() ?? Promise.resolve(),
    close: () => inner?.close() ?? Promise.resolve(),
  };

  return {
    telemetry,
    take(result, input) {
      const log = runs.get(result.runId);
      if (log === undefined)
        throw new AgentError(
          AgentErrorCode.RunNotFound,
          `no events of run ${result.runId} went through this tap: pass tap.telemetry as the agent's telemetry`,
        );
      runs.delete(result.runId);
      // A paused run has no recording status of its own: it is handed to a human, so it records
      // `escalated` with `output.pausedFor` naming the call that waits for approval.
      const end =
        result.status === 'paused' || log.end === undefined
          ? { status: 'escalated' as const, output: { pausedFor: log.pausedFor === undefined ? null : { ...log.pausedFor } } }
          : log.end;
      const recorder = createRecorder({ agent, runId: result.runId, input: toJson(input), clock });
      for (const entry of log.entries) {
        if (entry.kind === 'model') recorder.modelResponse(entry.step, entry.response);
        else if (entry.kind === 'tool') recorder.toolResult(entry.step, entry.result);
        else recorder.decision(entry.step, entry.decision);
      }
      return recorder.finish(end.output, end.status);
    },
  };
}

function inputOf(text: string, runOptions: RunOptions, approvals: readonly ApprovalDecision[]): RecordedInput {
  return {
    text,
    ...(runOptions.tenant === undefined ? {} : { tenant: runOptions.tenant }),
    ...(runOptions.user === undefined ? {} : { user: runOptions.user }),
    ...(runOptions.context === undefined ? {} : { context: runOptions.context }),
    ...(approvals.length === 0 ? {} : { approvals }),
  };
}

async function runWithApprovals(
  options: AgentOptions,
  text: string,
  runOptions: RunOptions,
  approvals: readonly ApprovalDecision[],
): Promise<{ result: RunResult; used: ApprovalDecision[] }> {
  const agent = createAgent(options);
  const used: ApprovalDecision[] = [];
  try {
    let result = await agent.run(text, runOptions);
    for (const decision of approvals) {
      if (result.status !== 'paused') break;
      used.push(decision);
      result = await agent.resume(result.runId, decision, runOptions.signal === undefined ? {} : { signal: runOptions.signal });
    }
    return { result, used };
  } finally {
    await agent.close();
  }
}

/**
 * Runs `input` on an agent built from `options` and records it. When the run pauses for approval,
 * `runOptions.approvals` answer in order (each is recorded as part of the input). The caller's
 * `options.telemetry` still receives every event.
 */
export async function recordRun(
  options: AgentOptions,
  input: string | { readonly text: string },
  runOptions: RunOptions & { readonly approvals?: readonly ApprovalDecision[] } = {},
): Promise<{ readonly result: RunResult; readonly recording: Recording }> {
  const text = typeof input === 'string' ? input : input.text;
  const { approvals = [], ...rest } = runOptions;
  const tap = createRecordingTap({
    agent: manifestOf(options).metadata.name,
    tools: options.tools,
    ...(options.telemetry === undefined ? {} : { telemetry: options.telemetry }),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const { result, used } = await runWithApprovals({ ...options, telemetry: tap.telemetry }, text, rest, approvals);
  return { result, recording: tap.take(result, inputOf(text, rest, used)) };
}

// The first divergence a replay model or tool hit: the loop turns a thrown model or tool error into a
// run outcome, so `rerun` rethrows it afterwards with its telemetry code.
const divergences = new WeakMap<ReplaySession, Error>();

function served<T>(session: ReplaySession, next: () => T): T {
  try {
    return next();
  } catch (error) {
    if (!divergences.has(session)) divergences.set(session, error instanceof Error ? error : new Error(String(error)));
    throw error;
  }
}

const UNIFIED = new Set(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']);

/**
 * A `LanguageModelV3` whose responses are the recording's, in order (`session.model.next()`): text,
 * tool calls, finish reason and token usage. A recorded model failure (finish reason `error`, no
 * content) is thrown again, so the run takes the same path.
 */
export function replayModel(
  session: ReplaySession,
  options: { readonly provider?: string; readonly modelId?: string } = {},
): LanguageModelV3 {
  async function doGenerate(call: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
    if (call.abortSignal?.aborted === true) throw call.abortSignal.reason ?? new Error('aborted');
    const recorded = served(session, () => session.model.next());
    if (recorded.finishReason === 'error' && recorded.text === undefined && recorded.toolCalls.length === 0) {
      throw new AgentError(AgentErrorCode.Replay, `replayed model failure: model call #${recorded.step} failed when the run was recorded`);
    }
    const content: LanguageModelV3Content[] = [
      ...(recorded.text === undefined ? [] : [{ type: 'text' as const, text: recorded.text }]),
      ...recorded.toolCalls.map((c) => ({
        type: 'tool-call' as const,
        toolCallId: c.callId,
        toolName: c.name,
        input: typeof c.args === 'string' ? c.args : JSON.stringify(c.args),
      })),
    ];
    const unified = (UNIFIED.has(recorded.finishReason) ? recorded.finishReason : 'other') as LanguageModelV3FinishReason['unified'];
    const inputTokens = recorded.usage?.inputTokens ?? 0;
    const outputTokens = recorded.usage?.outputTokens ?? 0;
    return Promise.resolve({
      content,
      finishReason: { unified, raw: recorded.finishReason },
      usage: {
        inputTokens: { total: inputTokens, noCache: inputTokens, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: outputTokens, text: outputTokens, reasoning: 0 },
      },
      warnings: [],
    });
  }
  return {
    specificationVersion: 'v3',
    provider: options.provider ?? 'charter.replay',
    modelId: options.modelId ?? 'replay',
    supportedUrls: {},
    doGenerate,
    async doStream(call) {
      const result = await doGenerate(call);
      const parts: LanguageModelV3StreamPart[] = [{ type: 'stream-start', warnings: [] }];
      for (const [index, part] of result.content.entries()) {
        if (part.type === 'text')
          parts.push(
            { type: 'text-start', id: `t${index}` },
            { type: 'text-delta', id: `t${index}`, delta: part.text },
            { type: 'text-end', id: `t${index}` },
          );
        else parts.push(part as LanguageModelV3StreamPart);
      }
      parts.push({ type: 'finish', finishReason: result.finishReason, usage: result.usage });
      return {
        stream: new ReadableStream<LanguageModelV3StreamPart>({
          start(controller) {
            for (const part of parts) controller.enqueue(part);
            controller.close();
          },
        }),
      };
    },
  };
}

/**
 * The same tools (name, version, description, input and output contracts, side effects, scopes,
 * idempotency key) whose execution returns the recorded value (`session.tools.call`), or throws the
 * recorded error code as a non-retriable `ToolError`. Retries and the circuit breaker are off: the
 * recorded outcome is already the final one.
 */
export function replayTools(session: ReplaySession, tools: readonly AnyTool[]): AnyTool[] {
  return tools.map((tool) =>
    defineTool({
      name: tool.name,
      version: tool.version,
      description: tool.description,
      input: tool.input as ZodType,
      output: tool.output as ZodType,
      sideEffects: tool.sideEffects,
      scopes: tool.scopes,
      timeoutMs: tool.timeoutMs,
      maxConcurrent: tool.maxConcurrent,
      retry: false,
      breaker: false,
      ...(tool.idempotencyKey === undefined ? {} : { idempotencyKey: (input: unknown): string => tool.idempotencyKey?.(input) ?? '' }),
      execute(input: unknown) {
        const recorded = served(session, () => session.tools.call(tool.name, toJson(input)));
        if (recorded.outcome === 'ok') return recorded.value;
        throw new ToolError(
          (recorded.errorCode ?? 'TOOL_FAILED') as ToolErrorCode,
          `replayed failure of ${tool.name} (${recorded.errorCode ?? 'TOOL_FAILED'}), as recorded`,
          { retriable: false },
        );
      },
    }),
  );
}

function recordedInput(value: JsonValue): RecordedInput {
  if (typeof value === 'string') return { text: value };
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && typeof value.text === 'string')
    return value as unknown as RecordedInput;
  throw new AgentError(
    AgentErrorCode.BadInput,
    "the recording's input is neither a string nor { text, tenant?, user?, context?, approvals? }: it was not recorded by @charter/agent",
  );
}

function isSession(value: Recording | ReplaySession): value is ReplaySession {
  return 'assertDrained' in value;
}

const RUN_ID = /^[\w.-]{1,180}$/;

/**
 * Re-executes a recording: `build(session)` returns the agent's options (typically the live ones
 * with `model: replayModel(session)` and `tools: replayTools(session, tools)`); the run gets the
 * recorded input, context and approvals, an in-memory store, ledger and escalation sink (a replay never
 * touches real checkpoints, idempotency keys or humans), and its recording is returned for
 * `diffRecordings`. Throws the telemetry's `TELEMETRY_REPLAY_EXHAUSTED` / `TELEMETRY_REPLAY_DIVERGED`
 * when the run asked for a model response or tool result the recording does not hold. Call
 * `session.assertDrained()` afterwards (after diffing) to check every recorded response was used.
 */
export async function rerun(
  source: Recording | ReplaySession,
  build: (session: ReplaySession) => AgentOptions | Promise<AgentOptions>,
  options: { readonly runId?: string } = {},
): Promise<Recording> {
  const session = isSession(source) ? source : createReplay(source);
  const input = recordedInput(session.input);
  const agentOptions = await build(session);
  if (typeof agentOptions !== 'object' || (agentOptions as unknown) === null)
    throw new AgentError(AgentErrorCode.BadOptions, 'rerun: build(session) must return the agent options');
  const recordedId = session.recording.runId;
  const runId = options.runId ?? (RUN_ID.test(recordedId) ? `${recordedId}.replay` : `replay-${randomUUID()}`);
  const tap = createRecordingTap({
    agent: manifestOf(agentOptions).metadata.name,
    tools: agentOptions.tools,
    ...(agentOptions.telemetry === undefined ? {} : { telemetry: agentOptions.telemetry }),
    ...(agentOptions.clock === undefined ? {} : { clock: agentOptions.clock }),
  });
  const isolated: AgentOptions = {
    ...agentOptions,
    telemetry: tap.telemetry,
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
    escalation: memoryEscalation(),
  };
  const runOptions: RunOptions = {
    runId,
    ...(input.tenant === undefined ? {} : { tenant: input.tenant }),
    ...(input.user === undefined ? {} : { user: input.user }),
    ...(input.context === undefined ? {} : { context: input.context }),
  };
  const { result, used } = await runWithApprovals(isolated, input.text, runOptions, input.approvals ?? []);
  const divergence = divergences.get(session);
  if (divergence !== undefined) throw divergence;
  const recording = tap.take(result, inputOf(input.text, runOptions, used));
  // The re-run keeps the recorded run's id, so only behaviour differs between the two.
  return { ...recording, runId: recordedId };
}
