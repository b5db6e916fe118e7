import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalSubject, recordScenario } from '@charter/reference-agent/eval';
import { EvalReport } from '@charter/spec';
import { openState, recordFeedback } from '@charter/state';
import { stringifyRecording } from '@charter/telemetry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../command.js';
import { main } from '../main.js';
import { captureIo } from '../testing.js';

const referenceAgent = join(import.meta.dirname, '..', '..', '..', 'reference-agent');
// The reference desk's eval subject module (built: the cli's tests build their dependencies first).
const subject = join(referenceAgent, 'dist', 'eval.js');
// A planted regression: the reference policy without the recommended pack and the tool-result injection detector.
const regressed = join(import.meta.dirname, '..', '..', '..', 'eval', 'src', '__fixtures__', 'policy-regressed.yaml');

describe('charter eval', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'charter-eval-cli-'));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports accuracy per category and writes a charter.eval report; --baseline passes an unchanged version (exit 0)', async () => {
    const io = captureIo(dir);
    expect(await main(['eval', '--agent', subject, '--label', 'v1', '--out', 'base.json', '--db', 'memory:'], io)).toBe(ExitCode.Ok);
    expect(io.out()).toContain('support-desk v1: 96/96 cases pass');
    expect(io.out()).toMatch(/indirect-injection\s+60\/60\s+100\.0 %\s+94\.0 % – 100\.0 %/);
    const report = EvalReport.parse(JSON.parse(readFileSync(join(dir, 'base.json'), 'utf8')));
    expect(report).toMatchObject({
      format: 'charter.eval',
      v: 1,
      agent: 'support-desk',
      version: 'v1',
      overall: { passed: 96, total: 96 },
    });

    const again = captureIo(dir);
    expect(await main(['eval', '--agent', subject, '--baseline', 'base.json', '--db', 'memory:', '--json'], again)).toBe(ExitCode.Ok);
    const compared = EvalReport.parse(JSON.parse(again.out()));
    expect(compared.comparison).toMatchObject({ regressed: false, test: 'fisher-exact-one-sided', alpha: 0.05 });
  });

  it('--baseline exits 1 on the planted policy regression, naming the category; --patterns ranks its cluster first', async () => {
    const io = captureIo(dir);
    expect(
      await main(['eval', '--agent', subject, '--policy', regressed, '--baseline', 'base.json', '--patterns', '--db', 'memory:'], io),
    ).toBe(ExitCode.Failed);
    const out = io.out();
    expect(out).toMatch(/indirect-injection\s+60\/60\s+54\/60\s+-10\.0\s+0\.0137\s+REGRESSED/);
    expect(out).toMatch(/secrets\s+3\/3\s+0\/3\s+-100\.0\s+0\.0500\s+worse, too few cases to tell/);
    expect(out).toContain('significant regression: exit 1');
    expect(out).toContain('1. category indirect-injection: 6 failure(s)');
    // With the family of ten categories corrected (Holm), the same drop is not significant.
    const holm = captureIo(dir);
    expect(
      await main(
        ['eval', '--agent', subject, '--policy', regressed, '--baseline', 'base.json', '--correction', 'holm', '--db', 'memory:'],
        holm,
      ),
    ).toBe(ExitCode.Ok);
  });

  it('feedback in the state (--db) on recorded runs (--recordings) is the labelled set, replayed', async () => {
    const recordings = join(dir, 'recordings');
    mkdirSync(recordings);
    const recording = await recordScenario('approval-refund-approved');
    writeFileSync(join(recordings, 'refund.json'), stringifyRecording(recording));
    const state = await openState({ url: `file:${join(dir, 'state')}` });
    await recordFeedback(state, {
      runId: recording.runId,
      agent: evalSubject().agent,
      correction: { status: 'completed', mustRun: ['refund_order'], mustNotRun: ['send_email'] },
      category: 'refunds',
      by: 'ana',
    });
    await state.close();
    const io = captureIo(dir);
    expect(
      await main(['eval', '--agent', subject, '--no-scenarios', '--db', 'file:state', '--recordings', 'recordings', '--json'], io),
    ).toBe(ExitCode.Ok);
    const report = EvalReport.parse(JSON.parse(io.out()));
    expect(report.feedback).toMatchObject({ records: 1, labelled: 1, replayed: 1 });
    expect(report.cases).toEqual([expect.objectContaining({ id: `feedback:${recording.runId}`, category: 'refunds', passed: true })]);
  });
});
