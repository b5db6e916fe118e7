import { describe, expect, it } from 'vitest';
import { hashArguments } from './canonical.js';
import { TelemetryError, TelemetryErrorCode } from './errors.js';
import type { JsonValue } from './events.js';
import { createRecorder, createReplay, diffRecordings, formatRecordingDiff, parseRecording, stringifyRecording } from './replay.js';
import type { RecordedModelResponse, Recording } from './replay.js';
import { expectReplayToMatch, ReplayMismatchError } from './testing.js';

/**
 * A stand-in for the @charter/agent loop (issue 6), small enough to read: ask the model, run the
 * tools it asks for (with a refund-approval guardrail), feed results back, return the final answer.
 * It talks to the model and the tools only through the two functions it is given, so the same code
 * runs live or against a replay.
 */
type ModelFn = (step: number) => RecordedModelResponse | Promise<RecordedModelResponse>;
type ToolFn = (name: string, args: JsonValue) => { outcome: 'ok' | 'error'; value?: JsonValue; errorCode?: string };

async function miniAgent(input: JsonValue, model: ModelFn, tool: ToolFn, runId = 'run-1'): Promise<Recording> {
  const recorder = createRecorder({ agent: 'customer-support', runId, input, clock: () => 1_700_000_000_000 });
  const facts: string[] = [];
  for (let step = 0; step < 10; step++) {
    const response = await model(step);
    const { step: _s, ...rest } = response;
    recorder.modelResponse(step, rest);
    if (response.toolCalls.length === 0) {
      const output = { text: response.text ?? '', facts };
      return recorder.finish(output, 'completed');
    }
    for (const call of response.toolCalls) {
      const amount = typeof call.args === 'object' && call.args !== null && !Array.isArray(call.args) ? call.args.amount : undefined;
      const needsApproval = call.name === 'refund_order' && typeof amount === 'number' && amount > 100;
      recorder.decision(step, {
        hook: 'tool-call',
        action: needsApproval ? 'needs-approval' : 'allow',
        ruleIds: needsApproval ? ['approval.refund_order'] : [],
        callId: call.callId,
      });
      const result = tool(call.name, call.args);
      recorder.toolResult(step, { callId: call.callId, name: call.name, args: call.args, ...result });
      facts.push(`${call.name}:${JSON.stringify(result.value ?? result.errorCode)}`);
    }
  }
  return recorder.finish(null, 'failed');
}

/** The live world of the recording run: a scripted model (a paid API cannot run here: labelled mock) and real tool functions. */
const scriptedModel: RecordedModelResponse[] = [
  {
    step: 0,
    toolCalls: [{ callId: 'c1', name: 'lookup_order', args: { orderId: 'A-1001' } }],
    finishReason: 'tool-calls',
    usage: { inputTokens: 400, outputTokens: 30 },
  },
  { step: 1, toolCalls: [{ callId: 'c2', name: 'refund_order', args: { orderId: 'A-1001', amount: 150 } }], finishReason: 'tool-calls' },
  { step: 2, text: 'Your refund of 150 is on its way.', toolCalls: [], finishReason: 'stop' },
];
const liveModel: ModelFn = (step) => {
  const response = scriptedModel[step];
  if (!response) throw new Error('script exhausted');
  return response;
};
function liveTools(orderStatus: string): ToolFn {
  return (name, args) => {
    if (name === 'lookup_order')
      return { outcome: 'ok', value: { orderId: (args as { orderId: string }).orderId, status: orderStatus, total: 150 } };
    if (name === 'refund_order') return { outcome: 'ok', value: { refundId: 'R-77' } };
    return { outcome: 'error', errorCode: 'TOOL_UNKNOWN' };
  };
}

const input = { text: 'Please refund order A-1001' };

describe('replay', () => {
  it('round trip: record, replay, identical', async () => {
    const recording = await miniAgent(input, liveModel, liveTools('delivered'));
    expect(recording.modelResponses).toHaveLength(3);
    expect(recording.toolResults.map((t) => t.name)).toEqual(['lookup_order', 'refund_order']);
    expect(recording.decisions.map((d) => d.action)).toEqual(['allow', 'needs-approval']);
    // Through the file format and back.
    const reread = parseRecording(stringifyRecording(recording));
    expect(reread).toEqual(recording);
    await expectReplayToMatch(reread, (session) =>
      miniAgent(
        session.input,
        () => session.model.next(),
        (name, args) => {
          const { outcome, value, errorCode } = session.tools.call(name, args);
          return { outcome, ...(value === undefined ? {} : { value }), ...(errorCode === undefined ? {} : { errorCode }) };
        },
        'run-2',
      ),
    );
  });

  it('change a tool result: the diff names the tool result by step and path, and the output it changed', async () => {
    const before = await miniAgent(input, liveModel, liveTools('delivered'));
    const after = await miniAgent(input, liveModel, liveTools('lost'));
    const diffs = diffRecordings(before, after);
    expect(diffs).toEqual([
      { section: 'tool', step: 0, path: '/toolResults/0/value/status', expected: 'delivered', actual: 'lost' },
      {
        section: 'output',
        path: '/output/facts/0',
        expected: 'lookup_order:{"orderId":"A-1001","status":"delivered","total":150}',
        actual: 'lookup_order:{"orderId":"A-1001","status":"lost","total":150}',
      },
    ]);
    expect(formatRecordingDiff(diffs)).toContain('tool result at step 0: /toolResults/0/value/status expected "delivered", got "lost"');
    await expect(expectReplayToMatch(before, after)).rejects.toThrow(ReplayMismatchError);
  });

  it('a recording whose tool result was edited no longer replays to its recorded output', async () => {
    const recording = await miniAgent(input, liveModel, liveTools('delivered'));
    const edited = structuredClone(recording);
    (edited.toolResults[0]!.value as Record<string, JsonValue>).status = 'returned';
    const error = await expectReplayToMatch(edited, (session) =>
      miniAgent(
        session.input,
        () => session.model.next(),
        (name, args) => session.tools.call(name, args) as ReturnType<ToolFn>,
      ),
    ).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayMismatchError);
    expect((error as ReplayMismatchError).code).toBe(TelemetryErrorCode.ReplayMismatch);
    expect((error as ReplayMismatchError).differences.map((d) => d.path)).toEqual(['/output/facts/0']);
  });

  it('names differing decisions, model responses, missing entries and status', async () => {
    const base = await miniAgent(input, liveModel, liveTools('delivered'));
    const other = structuredClone(base);
    other.decisions[1]!.action = 'deny';
    other.modelResponses[2]!.text = 'No refund.';
    other.toolResults.pop();
    other.status = 'denied';
    const diffs = diffRecordings(base, other);
    expect(diffs.map((d) => [d.section, d.step, d.path])).toEqual([
      ['model', 2, '/modelResponses/2/text'],
      ['tool', 1, '/toolResults/1'],
      ['decision', 1, '/decisions/1/action'],
      ['status', undefined, '/status'],
    ]);
    expect(diffRecordings(base, { ...base, runId: 'other', recordedAt: '2030-01-01T00:00:00.000Z' })).toEqual([]);
  });

  it('fails loudly on divergence: a different tool, different arguments, too many calls, unused responses', async () => {
    const recording = await miniAgent(input, liveModel, liveTools('delivered'));
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        expect(TelemetryError.isInstance(error)).toBe(true);
        return { code: (error as TelemetryError).code, message: (error as Error).message };
      }
      return undefined;
    };
    const a = createReplay(recording);
    expect(code(() => a.tools.call('search_kb', {}))).toMatchObject({
      code: TelemetryErrorCode.ReplayDiverged,
      message: expect.stringContaining('search_kb'),
    });
    const b = createReplay(recording);
    expect(code(() => b.tools.call('lookup_order', { orderId: 'A-9' }))).toMatchObject({
      code: TelemetryErrorCode.ReplayDiverged,
      message: expect.stringContaining('/args/orderId'),
    });
    const c = createReplay(recording);
    for (let i = 0; i < 3; i++) c.model.next();
    expect(code(() => c.model.next())).toMatchObject({ code: TelemetryErrorCode.ReplayExhausted });
    expect(
      code(() => {
        c.assertDrained();
      }),
    ).toMatchObject({ code: TelemetryErrorCode.ReplayNotDrained, message: expect.stringContaining('2 tool result') });
    const d = createReplay({
      ...recording,
      modelResponses: recording.modelResponses.map((r) => ({ ...r, requestHash: hashArguments(r.step) })),
    });
    expect(code(() => d.model.next(hashArguments('something else')))).toMatchObject({ code: TelemetryErrorCode.ReplayDiverged });
    // Arguments in another key order are the same call.
    const e = createReplay(recording);
    e.tools.call('lookup_order', { orderId: 'A-1001' });
    expect(e.tools.call('refund_order', { amount: 150, orderId: 'A-1001' }).value).toEqual({ refundId: 'R-77' });
  });

  it('rejects an invalid recording with every issue and its path', () => {
    try {
      parseRecording({ format: 'charter.recording', v: 2, agent: 'a', modelResponses: 'x' });
      expect.unreachable();
    } catch (error) {
      expect((error as TelemetryError).code).toBe(TelemetryErrorCode.RecordingInvalid);
      expect((error as Error).message).toMatch(/\/v:[^\n]*\n[\s\S]*\/modelResponses:/);
    }
    expect(() => parseRecording('{not json')).toThrow(/not JSON/);
  });
});
