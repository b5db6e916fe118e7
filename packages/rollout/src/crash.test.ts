// SIGKILL mid-step: a real child process is killed at each step of a transition (after taking the
// lock, after the log record is durable, after the state file is replaced) and at random moments;
// a new process must find the rollout in the state the log says, with no transition lost or doubled,
// and every transition audited exactly once.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openAuditLog, verifyAudit } from '@charter/telemetry';
import { describe, expect, it } from 'vitest';
import { AGENT_DIR } from './__fixtures__/reference.js';
import { createRolloutController } from './controller.js';
import { loadRolloutPlan } from './plan.js';
import { FileRolloutStore } from './store.js';

const node = process.execPath;
const loader = ['--import', 'tsx', '--conditions=@charter/source'];
const child = join(import.meta.dirname, '__fixtures__', 'crash-child.ts');
const { plan } = loadRolloutPlan(AGENT_DIR);

/** Runs the child until its stdout shows `until`, then SIGKILLs it; resolves with its output. */
function runUntil(args: string[], until: (out: string) => boolean, afterMs?: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(node, [...loader, child, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let killed = false;
    const kill = () => {
      if (killed) return;
      killed = true;
      proc.kill('SIGKILL');
    };
    proc.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (until(out)) {
        if (afterMs === undefined) kill();
        else setTimeout(kill, afterMs);
      }
    });
    proc.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    proc.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(out);
      else reject(new Error(`child exited ${code} without being killed:\n${out}\n${err}`));
    });
  });
}

/** Opens the rollout as a fresh process would and checks log, state and audit agree. */
async function reopen(dir: string) {
  const store = new FileRolloutStore(join(dir, 'rollouts'));
  const audit = openAuditLog(join(dir, 'audit.jsonl'));
  const controller = createRolloutController({ plan, store, audit, auditGraceMs: 0, gate: () => Promise.resolve({ ready: true }) });
  const state = await controller.load();
  const log = await store.transitions(plan.agent);
  expect(log.map((record) => record.seq)).toEqual(log.map((_, index) => index + 1));
  expect(state.seq).toBe(log.length);
  if (log.length > 0) expect(state.status).toBe(log.at(-1)?.to.status);
  const runIds = readFileSync(audit.path, 'utf8')
    .trim()
    .split('\n')
    .map((line) => (JSON.parse(line) as { runId: string }).runId);
  expect(runIds).toEqual(log.map((record) => `rollout:${plan.agent}#${record.seq}`));
  expect(verifyAudit(audit.path).ok).toBe(true);
  return { state, log, controller, store };
}

describe('SIGKILL mid-step', () => {
  it.each([
    ['locked', 3, 2],
    ['logged', 3, 3],
    ['saved', 3, 3],
  ] as const)('killed at "%s" of transition %i → a new process resumes at seq %i, then goes on', async (step, seq, expected) => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-rollout-crash-'));
    const out = await runUntil([dir, 'stop', step, String(seq)], (text) => text.includes('blocked'));
    expect(out).toContain(`blocked ${step} ${seq}`);
    const { state, controller } = await reopen(dir);
    expect(state.seq).toBe(expected);
    expect(state.status).toBe(expected % 2 === 0 ? 'paused' : 'shadow');
    // The dead process's lock is broken; the next transition is number expected + 1, once.
    const next = state.status === 'paused' ? await controller.resume() : await controller.pause();
    expect(next.ok && next.transition.seq).toBe(expected + 1);
    const again = await reopen(dir);
    expect(again.log).toHaveLength(expected + 1);
  });

  it('killed at random moments five times in a row: the log, the state and the audit trail still agree', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-rollout-crash-'));
    let last = 0;
    for (let round = 0; round < 5; round++) {
      await runUntil([dir, 'loop'], (text) => text.includes('done'), 20 + round * 37);
      const { state } = await reopen(dir);
      expect(state.seq).toBeGreaterThanOrEqual(last);
      last = state.seq;
    }
    expect(last).toBeGreaterThan(5);
  });

  it('two processes racing to write the same version: exactly one wins', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-rollout-race-'));
    const store = new FileRolloutStore(join(dir, 'rollouts'));
    const controller = createRolloutController({ plan, store, gate: () => Promise.resolve({ ready: true }) });
    const started = await controller.start({ candidate: 'v2' });
    const version = started.state.version;
    const race = (): Promise<string> =>
      new Promise((resolve, reject) => {
        const proc = spawn(node, [...loader, child, dir, 'race', String(version)], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        proc.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
        });
        proc.on('exit', (code) => {
          if (code === 0) resolve(out.trim());
          else reject(new Error(`race child exited ${code}`));
        });
      });
    const racers = [race(), race(), race()];
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    writeFileSync(join(dir, 'go'), '');
    const results = await Promise.all(racers);
    expect(results.filter((result) => result === 'won')).toHaveLength(1);
    expect(results.filter((result) => result === 'lost')).toHaveLength(2);
    expect((await store.load(plan.agent))?.version).toBe(version + 1);
  });
});
