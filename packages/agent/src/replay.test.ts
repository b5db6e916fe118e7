import {
  createMemorySink,
  createTelemetry,
  diffRecordings,
  formatRecordingDiff,
  parseRecording,
  stringifyRecording,
  TelemetryError,
  TelemetryErrorCode,
} from '@charter/telemetry';
import type { Recording, ReplaySession } from '@charter/telemetry';
import { expectReplayToMatch } from '@charter/telemetry/testing';
import { defineTool, MemoryLedger } from '@charter/tools';
import type { AnyTool } from '@charter/tools';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createShop, shopAgent } from './__fixtures__/shop.js';
import { MemoryStore, memoryEscalation } from './index.js';
import type { AgentOptions } from './index.js';
import { scripted } from './models.js';
import type { ScriptInput } from './models.js';
import { recordRun, replayModel, replayTools, rerun } from './replay.js';

const loaded = shopAgent();
const policy = loaded.policy;
const context = { customerEmail: 'ana@example.com', customerId: 'C-1' };
const INPUT = 'Hi, ana@example.com here. Order A-3 arrived broken, please refund the 60 and confirm by email.';

// The live world of the recording: a scripted model (a paid model API cannot run here: a labelled
// stand-in) and the shop's real tools.
const SCRIPT: ScriptInput = {
  turns: [
    { toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-3' } }] },
    { toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-3', amount: 60 } }] },
    { toolCalls: [{ tool: 'send_email', args: { to: ['ana@example.com'], subject: 'Refund', body: 'Your refund of 60 is on its way.' } }] },
    { text: 'Refunded 60; a confirmation is in your inbox.' },
  ],
};

function options(script: ScriptInput = SCRIPT, tools: readonly AnyTool[] = createShop().tools): AgentOptions {
  return {
    agent: loaded,
    model: scripted(script),
    tools,
    escalation: memoryEscalation(),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
    clock: () => 1_700_000_000_000,
  };
}

/** What `charter replay` / a host does: the same agent, with the recording's model and tools. */
const faithful = (session: ReplaySession): AgentOptions => ({
  ...options(),
  model: replayModel(session),
  tools: replayTools(session, createShop().tools),
});

async function recorded(): Promise<Recording> {
  const { result, recording } = await recordRun(options(), INPUT, { context, runId: 'rec-1' });
  expect(result.status).toBe('completed');
  return recording;
}

describe('recordRun', () => {
  it('records model responses, tool results with their parsed arguments, guardrail decisions, output and status', async () => {
    const recording = await recorded();
    expect(recording).toMatchObject({
      agent: 'test-shop',
      runId: 'rec-1',
      status: 'completed',
      output: { text: 'Refunded 60; a confirmation is in your inbox.' },
      input: { text: INPUT, context },
    });
    expect(recording.modelResponses.map((m) => [m.step, m.finishReason, m.toolCalls.map((c) => c.name)])).toEqual([
      [0, 'tool-calls', ['lookup_order']],
      [1, 'tool-calls', ['refund_order']],
      [2, 'tool-calls', ['send_email']],
      [3, 'stop', []],
    ]);
    expect(recording.modelResponses[0]?.usage?.inputTokens).toBeGreaterThan(0);
    expect(recording.modelResponses[3]?.text).toBe('Refunded 60; a confirmation is in your inbox.');
    // Arguments as the tool received them: schema defaults applied (reason, urgent).
    expect(recording.toolResults.map((t) => [t.step, t.name, t.outcome, t.args])).toEqual([
      [0, 'lookup_order', 'ok', { orderId: 'A-3' }],
      [1, 'refund_order', 'ok', { orderId: 'A-3', amount: 60, reason: 'requested' }],
      [2, 'send_email', 'ok', { to: ['ana@example.com'], subject: 'Refund', body: 'Your refund of 60 is on its way.', urgent: false }],
    ]);
    expect(recording.toolResults[1]?.value).toEqual({ refundId: 'R-A-3', amount: 60 });
    // The PII in the input is redacted (input hook) and the injected order note is flagged (tool-result hook).
    expect(recording.decisions).toEqual([
      { step: 0, hook: 'input', action: 'redact', ruleIds: ['pii.email'] },
      {
        step: 0,
        hook: 'tool-result',
        action: 'deny',
        // Strong evidence first, then context (the authority framing and the requested side effect).
        ruleIds: ['injection.instruction-override', 'injection.tool-coercion', 'injection.authority-claim', 'injection.tool-intent'],
        callId: recording.toolResults[0]?.callId,
      },
    ]);
  });

  it("still feeds the caller's telemetry, under its own content policy", async () => {
    const sink = createMemorySink();
    const telemetry = createTelemetry({ agent: loaded.manifest.metadata.name, sinks: [sink] });
    const { recording } = await recordRun({ ...options(), telemetry }, INPUT, { context });
    expect(sink.ofType('tool.result')).toHaveLength(3);
    expect(sink.ofType('tool.result').every((e) => e.result === undefined)).toBe(true);
    expect(sink.ofType('run.completed')[0]?.output).toBeUndefined();
    expect(recording.toolResults[0]?.value).toMatchObject({ orderId: 'A-3', status: 'shipped' });
  });

  it('survives the JSON round trip', async () => {
    const recording = await recorded();
    const text = stringifyRecording(recording);
    const back = parseRecording(text);
    expect(back).toEqual(recording);
    expect(stringifyRecording(back)).toBe(text);
    await expectReplayToMatch(back, (session) => rerun(session, faithful));
  });
});

describe('rerun', () => {
  it('replays a recording to an identical recording, using every recorded response', async () => {
    const recording = await recorded();
    const shop = createShop();
    const session = await import('@charter/telemetry').then((t) => t.createReplay(recording));
    const again = await rerun(session, (s) => ({ ...options(), model: replayModel(s), tools: replayTools(s, shop.tools) }));
    expect(diffRecordings(recording, again)).toEqual([]);
    session.assertDrained();
    // Replayed tools never touch the world: no refund, no email.
    expect(shop.refunds).toEqual([]);
    expect(shop.emails).toEqual([]);
  });

  it('a changed policy: the diff names the new decision and the tool result that is gone, by step and path', async () => {
    const recording = await recorded();
    const strict = structuredClone(policy);
    const tools = strict.spec.tools;
    if (tools === undefined) throw new Error('the fixture policy has tool rules');
    tools.deny = [...tools.deny, 'send_email'];
    tools.rules = tools.rules.filter((rule) => rule.tool !== 'send_email');
    const session = await import('@charter/telemetry').then((t) => t.createReplay(recording));
    const again = await rerun(session, (s) => ({ ...faithful(s), policy: strict }));
    const diffs = diffRecordings(recording, again);
    expect(diffs.map((d) => [d.section, d.step, d.path])).toEqual([
      ['tool', 2, '/toolResults/2'],
      ['decision', 2, '/decisions/2'],
    ]);
    expect(diffs[1]?.actual).toMatchObject({ hook: 'tool-call', action: 'deny', callId: recording.toolResults[2]?.callId });
    expect(formatRecordingDiff(diffs)).toContain(
      'guardrail decision at step 2: /decisions/2 expected (nothing), got {"step":2,"hook":"tool-call","action":"deny"',
    );
    // The recorded e-mail result was never used.
    expect(() => {
      session.assertDrained();
    }).toThrow(expect.objectContaining({ code: TelemetryErrorCode.ReplayNotDrained }) as Error);
  });

  it('changed tool behaviour (recorded model, live tools v1.1.0): the diff names the tool result by step and path', async () => {
    const recording = await recorded();
    const shop = createShop();
    const changed = defineTool({
      name: 'lookup_order',
      version: '1.1.0',
      description: 'Look up an order by id.',
      input: z.object({ orderId: z.string().regex(/^A-\d{1,6}$/) }),
      output: z.object({ orderId: z.string(), total: z.number(), status: z.string(), note: z.string() }),
      sideEffects: 'none',
      scopes: ['orders:read'],
      execute: ({ orderId }) => ({ orderId, total: 60, status: 'lost', note: '' }),
    });
    const again = await rerun(recording, (s) => ({
      ...options(),
      model: replayModel(s),
      tools: [changed, ...shop.tools.filter((t) => t.name !== 'lookup_order')],
    }));
    const diffs = diffRecordings(recording, again);
    expect(diffs.map((d) => [d.section, d.step, d.path])).toEqual([
      ['tool', 0, '/toolResults/0/value/note'],
      ['tool', 0, '/toolResults/0/value/status'],
      ['decision', 0, '/decisions/1'],
    ]);
    expect(diffs[1]).toMatchObject({ expected: 'shipped', actual: 'lost' });
    // The live tools ran: the refund really happened.
    expect(shop.refunds).toEqual([{ orderId: 'A-3', amount: 60 }]);
  });

  it('fails with TELEMETRY_REPLAY_EXHAUSTED when the run asks for more model responses than recorded', async () => {
    const recording = await recorded();
    const short = { ...recording, modelResponses: recording.modelResponses.slice(0, 2) };
    const error = await rerun(short, faithful).catch((e: unknown) => e);
    expect(TelemetryError.isInstance(error)).toBe(true);
    expect((error as TelemetryError).code).toBe(TelemetryErrorCode.ReplayExhausted);
    expect((error as Error).message).toContain('response #3');
  });

  it('fails with TELEMETRY_REPLAY_DIVERGED when the run calls a tool with other arguments than recorded', async () => {
    const recording = await recorded();
    const edited = structuredClone(recording);
    edited.modelResponses[0]!.toolCalls[0]!.args = { orderId: 'A-1' };
    await expect(rerun(edited, faithful)).rejects.toMatchObject({
      code: TelemetryErrorCode.ReplayDiverged,
      message: expect.stringContaining('/args/orderId') as unknown,
    });
  });

  it('replays recorded tool failures as the same error code', async () => {
    const failing = createShop({ faults: { transient: 1, random: () => 0 } });
    const script: ScriptInput = {
      turns: [{ toolCalls: [{ tool: 'lookup_order', args: { orderId: 'A-1' } }] }, { text: 'The order system is down, sorry.' }],
    };
    const { recording } = await recordRun(options(script, failing.tools), 'Where is A-1?', { context });
    expect(recording.toolResults[0]).toMatchObject({ outcome: 'error', errorCode: 'TOOL_TRANSIENT' });
    expect(recording.toolResults[0]?.value).toBeUndefined();
    await expectReplayToMatch(recording, (session) =>
      rerun(session, (s) => ({ ...options(script), model: replayModel(s), tools: replayTools(s, createShop().tools) })),
    );
  });

  it('a paused run records `escalated` with output.pausedFor; recorded approvals are replayed', async () => {
    const script: ScriptInput = {
      turns: [{ toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-2', amount: 250 } }] }, { text: 'Refunded 250.' }],
    };
    const paused = await recordRun(options(script), 'Refund A-2 in full', { context });
    expect(paused.result.status).toBe('paused');
    expect(paused.recording.status).toBe('escalated');
    expect(paused.recording.output).toEqual({
      pausedFor: {
        tool: 'refund_order',
        callId: paused.result.approval?.callId,
        reason: '"refund_order" needs a human\'s approval: its grant says when amount > 100',
      },
    });
    await expectReplayToMatch(paused.recording, (session) =>
      rerun(session, (s) => ({ ...options(script), model: replayModel(s), tools: replayTools(s, createShop().tools) })),
    );

    const approved = await recordRun(options(script), 'Refund A-2 in full', {
      context,
      approvals: [{ approved: true, approver: 'lead@example.com' }],
    });
    expect(approved.result.status).toBe('completed');
    expect(approved.recording.input).toMatchObject({ approvals: [{ approved: true, approver: 'lead@example.com' }] });
    expect(approved.recording.toolResults.map((t) => t.name)).toEqual(['refund_order']);
    await expectReplayToMatch(approved.recording, (session) =>
      rerun(session, (s) => ({ ...options(script), model: replayModel(s), tools: replayTools(s, createShop().tools) })),
    );
  });

  it('a recorded model failure is raised again (AGENT_REPLAY) so the re-run takes the same path', async () => {
    const failing = { ...scripted(SCRIPT), doGenerate: () => Promise.reject(new Error('provider returned 503')) };
    const { result, recording } = await recordRun({ ...options(), model: failing }, INPUT, { context, runId: 'rec-fail' });
    expect(result.status).not.toBe('completed');
    expect(recording.modelResponses.map((m) => m.finishReason)).toContain('error');
    const seen: string[] = [];
    const again = await rerun(recording, (session) => {
      const model = replayModel(session);
      const doGenerate = async (call: Parameters<typeof model.doGenerate>[0]) => {
        try {
          return await model.doGenerate(call);
        } catch (error) {
          seen.push((error as { code?: string }).code ?? '');
          throw error;
        }
      };
      return { ...faithful(session), model: { ...model, doGenerate } };
    });
    expect(seen).toContain('AGENT_REPLAY');
    expect(diffRecordings(recording, again)).toEqual([]);
  });

  it('rejects a recording whose input the agent did not write, with AGENT_BAD_INPUT', async () => {
    const recording = await recorded();
    await expect(rerun({ ...recording, input: 42 }, faithful)).rejects.toMatchObject({ code: 'AGENT_BAD_INPUT' });
  });
});

describe('a run that fell back to the fallback model', () => {
  it('records the answer the run went on with and replays without a diff', async () => {
    const { APICallError } = await import('@ai-sdk/provider');
    const down = scripted(SCRIPT, { modelId: 'primary' });
    const primary = {
      ...down,
      doGenerate: () =>
        Promise.reject(new APICallError({ message: 'Service Unavailable', url: 'u', requestBodyValues: {}, statusCode: 503 })),
    };
    const live: AgentOptions = { ...options(), model: primary, fallbackModel: scripted(SCRIPT, { modelId: 'backup' }) };
    const { result, recording } = await recordRun(live, INPUT, { context, runId: 'fb-1' });
    expect(result.status).toBe('completed');
    expect(recording.modelResponses.map((response) => response.finishReason)).not.toContain('error');
    await expectReplayToMatch(recording, (session) => rerun(session, faithful));
  });
});
