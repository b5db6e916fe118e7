import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { refundRun } from './__fixtures__/run.js';
import { AUDIT_GENESIS_HASH, AUDIT_HMAC_KEY_ENV, createAuditSink, openAuditLog, verifyAudit, verifyAuditBytes } from './audit.js';
import type { AuditEntry } from './audit.js';
import { hashArguments } from './canonical.js';
import { TelemetryErrorCode } from './errors.js';
import { createTelemetry } from './telemetry.js';

const KEY = 'k'.repeat(32);
const tempLog = () => join(mkdtempSync(join(tmpdir(), 'charter-audit-')), 'audit.jsonl');

function entry(i: number): AuditEntry {
  const kinds = ['tool.call', 'approval.requested', 'approval.granted', 'approval.denied'] as const;
  const kind = kinds[i % kinds.length]!;
  return {
    kind,
    ts: new Date(1_700_000_000_000 + i * 1000).toISOString(),
    agent: 'customer-support',
    runId: `run-${Math.floor(i / 4)}`,
    actor:
      kind === 'approval.granted' || kind === 'approval.denied'
        ? { type: 'human', id: 'alice@support' }
        : { type: 'agent', id: 'customer-support' },
    policyVersion: '1.4.0',
    ...(kind === 'tool.call' || kind === 'approval.requested'
      ? {
          tool: {
            name: 'refund_order',
            version: '2.1.0',
            sideEffects: 'irreversible' as const,
            argsHash: hashArguments({ orderId: `A-${i}`, amount: 100 + i }),
            callId: `c${i}`,
          },
        }
      : {}),
    ...(kind === 'tool.call' ? {} : { approvalId: `ap-${Math.floor(i / 4)}` }),
    ...(kind === 'approval.denied' ? { reason: 'amount looks wrong — «ünïcödé» 💸' } : {}),
  };
}

describe('audit log', () => {
  it('chains records: each prevHash is the previous hash, starting from the genesis hash', () => {
    const path = tempLog();
    const log = openAuditLog(path, { env: {} });
    const records = [0, 1, 2].map((i) => log.append(entry(i)));
    expect(records[0]?.prevHash).toBe(AUDIT_GENESIS_HASH);
    expect(records[1]?.prevHash).toBe(records[0]?.hash);
    expect(records.map((r) => r.seq)).toEqual([0, 1, 2]);
    expect(verifyAudit(path, { env: {} })).toEqual({ ok: true, records: 3, checkpoints: 0, unverifiedCheckpoints: 0 });
    // Lines are canonical JSON: sorted keys, no whitespace.
    const first = readFileSync(path, 'utf8').split('\n')[0]!;
    expect(first.startsWith('{"actor":')).toBe(true);
    expect(first).not.toMatch(/": |, /);
  });

  it('continues the chain when reopened', () => {
    const path = tempLog();
    openAuditLog(path, { env: {} }).append(entry(0));
    const again = openAuditLog(path, { env: {} });
    expect(again.size).toBe(1);
    expect(again.append(entry(1)).seq).toBe(1);
    expect(verifyAudit(path, { env: {} }).ok).toBe(true);
  });

  it('writes HMAC checkpoints with the key from the environment and verifies them', () => {
    const path = tempLog();
    const env = { [AUDIT_HMAC_KEY_ENV]: KEY };
    const log = openAuditLog(path, { env, checkpointEvery: 3 });
    const records = Array.from({ length: 7 }, (_, i) => log.append(entry(i)));
    expect(records.map((r) => r.hmac !== undefined)).toEqual([false, false, true, false, false, true, false]);
    expect(verifyAudit(path, { env, checkpointEvery: 3 })).toMatchObject({ ok: true, checkpoints: 2 });
    expect(verifyAudit(path, { env: {} })).toMatchObject({ ok: true, checkpoints: 0, unverifiedCheckpoints: 2 });
    expect(verifyAudit(path, { hmacKey: 'x'.repeat(32) })).toMatchObject({
      ok: false,
      firstBroken: { index: 2, reason: expect.stringContaining('HMAC') },
    });
    expect(verifyAudit(path, { env: {}, checkpointEvery: 3 }).ok).toBe(false);
  });

  it('detects a consistently rewritten chain only through the HMAC checkpoints', () => {
    const path = tempLog();
    const env = { [AUDIT_HMAC_KEY_ENV]: KEY };
    const log = openAuditLog(path, { env, checkpointEvery: 2 });
    for (let i = 0; i < 4; i++) log.append(entry(i));
    // An attacker without the key rewrites record 1 and re-chains everything after it.
    const forged = tempLog();
    const attacker = openAuditLog(forged, { env: {} });
    const original = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    original.forEach((record, i) => {
      const { v: _v, seq: _s, prevHash: _p, hash: _h, hmac: _m, ...rest } = record;
      attacker.append((i === 1 ? { ...rest, actor: { type: 'human', id: 'mallory' } } : rest) as AuditEntry);
    });
    expect(verifyAudit(forged, { env: {} }).ok).toBe(true);
    const withKey = readFileSync(forged, 'utf8')
      .split('\n')
      .map((line, i) => (i === 1 || i === 3 ? line.replace(/\}$/, `,"hmac":"${'0'.repeat(64)}"}`) : line));
    writeFileSync(forged, withKey.join('\n'));
    expect(verifyAudit(forged, { env }).ok).toBe(false);
  });

  it('rejects invalid entries and a missing key with typed errors', () => {
    const path = tempLog();
    const log = openAuditLog(path, { env: {} });
    expect(() => log.append({ ...entry(0), policyVersion: '' })).toThrow(
      expect.objectContaining({ code: TelemetryErrorCode.AuditRecordInvalid }),
    );
    expect(() => openAuditLog(path, { env: {}, checkpointEvery: 10 })).toThrow(
      expect.objectContaining({ code: TelemetryErrorCode.AuditKeyMissing }),
    );
    expect(() => openAuditLog(path, { hmacKey: 'short' })).toThrow(/at least 16/);
    expect(verifyAudit(join(path, 'missing'))).toMatchObject({
      ok: false,
      firstBroken: { index: 0, reason: expect.stringContaining('cannot read') },
    });
  });

  it('the audit sink records approvals, side-effecting calls with argument hashes, policy version and actor', () => {
    const path = tempLog();
    const log = openAuditLog(path, { env: {} });
    const telemetry = createTelemetry({ agent: 'customer-support', sinks: [createAuditSink(log, { policyVersion: '1.4.0' })] });
    for (const event of refundRun('r1')) telemetry.emit(event);
    const records = readFileSync(path, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.kind)).toEqual(['approval.requested', 'approval.granted', 'tool.call', 'escalation']);
    expect(records.every((r) => r.policyVersion === '1.4.0')).toBe(true);
    expect(records[1]?.actor).toEqual({ type: 'human', id: 'alice@support' });
    expect(records[2]?.tool).toEqual({
      name: 'refund_order',
      version: '2.1.0',
      sideEffects: 'irreversible',
      argsHash: hashArguments({ amount: 150, orderId: 'A-1001' }),
      callId: 't2',
    });
    expect(verifyAudit(path, { env: {} }).ok).toBe(true);
  });
});

describe('tamper test: any single-byte change of a 1,000-record log is detected and the record named', () => {
  const env = { [AUDIT_HMAC_KEY_ENV]: KEY };
  let bytes: Buffer;
  /** recordOf[i] = index of the record byte i belongs to (its terminating line feed included). */
  let recordOf: Int32Array;

  beforeAll(() => {
    const path = tempLog();
    const log = openAuditLog(path, { env, checkpointEvery: 50 });
    for (let i = 0; i < 1000; i++) log.append(entry(i));
    bytes = readFileSync(path);
    recordOf = new Int32Array(bytes.length);
    let record = 0;
    for (let i = 0; i < bytes.length; i++) {
      recordOf[i] = record;
      if (bytes[i] === 0x0a) record++;
    }
    expect(record).toBe(1000);
    expect(verifyAuditBytes(bytes, { env, checkpointEvery: 50 })).toMatchObject({ ok: true, records: 1000, checkpoints: 20 });
  });

  function expectDetected(position: number, replacement: number): void {
    const tampered = Buffer.from(bytes);
    tampered[position] = replacement;
    const result = verifyAuditBytes(tampered, { env, checkpointEvery: 50 });
    expect(result.ok, `byte ${position} → ${replacement}`).toBe(false);
    expect(result.firstBroken?.index, `byte ${position} → ${replacement}: ${result.firstBroken?.reason}`).toBe(recordOf[position]);
    expect(result.firstBroken?.line).toBe(recordOf[position]! + 1);
  }

  it('at the first and last byte, every line feed of a sample, and every byte of one whole record', () => {
    expectDetected(0, 0x20);
    expectDetected(bytes.length - 1, 0x20);
    const record500Start = recordOf.indexOf(500);
    const record501Start = recordOf.indexOf(501);
    for (let p = record500Start; p < record501Start; p++) expectDetected(p, bytes[p] === 0x30 ? 0x31 : 0x30);
    for (let p = 0, n = 0; p < bytes.length && n < 50; p++) {
      if (bytes[p] === 0x0a) {
        expectDetected(p, 0x2c);
        n++;
      }
    }
  });

  it('at one position in each of 300 equal slices of the file, xor-ing each bit in turn', () => {
    const slice = Math.floor(bytes.length / 300);
    for (let s = 0; s < 300; s++) {
      const position = s * slice + ((s * 7919) % slice);
      expectDetected(position, bytes[position]! ^ (1 << (s % 8)));
    }
  });

  it('at random positions with random replacement bytes (property)', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.integer({ min: 1, max: 255 }), (seed, delta) => {
        const position = seed % bytes.length;
        expectDetected(position, (bytes[position]! + delta) % 256);
      }),
      { numRuns: 150 },
    );
  });

  it('when a record is deleted, duplicated or two records are swapped', () => {
    const lines = bytes.toString('utf8').split('\n').slice(0, -1);
    const check = (edited: string[], index: number) => {
      const result = verifyAuditBytes(Buffer.from(edited.join('\n') + '\n'), { env });
      expect(result.ok).toBe(false);
      expect(result.firstBroken?.index).toBe(index);
    };
    check([...lines.slice(0, 300), ...lines.slice(301)], 300);
    check([...lines.slice(0, 300), lines[299]!, ...lines.slice(300)], 300);
    check([...lines.slice(0, 300), lines[301]!, lines[300]!, ...lines.slice(302)], 300);
    check(lines.slice(0, -1).concat(lines.at(-1)!.slice(0, -1)), 999);
  });
});

describe('rollout transitions', () => {
  it('a rollout.transition record with its statistics chains, verifies, and an edit to the statistics breaks it', () => {
    const path = tempLog();
    const log = openAuditLog(path, { env: {} });
    log.append(entry(0));
    log.append({
      kind: 'rollout.transition',
      ts: new Date(1_700_000_100_000).toISOString(),
      agent: 'customer-support',
      runId: 'rollout:customer-support#2',
      actor: { type: 'system', id: 'rollout-controller' },
      policyVersion: '1.4.0',
      reason: 'rolled back: regression beyond tolerance: success +5.0 %',
      rollout: {
        id: 'customer-support',
        transition: 2,
        event: 'rollback',
        from: 'canary',
        to: 'rolled-back',
        stage: 'canary',
        weight: 0,
        statistics: {
          verdict: 'fail',
          metrics: [{ metric: 'success', effect: 0.05, lower: 0.031, upper: 0.069, tolerance: 0.02 }],
          n: [20000, 2000],
        },
      },
    });
    expect(verifyAudit(path, { env: {} })).toMatchObject({ ok: true, records: 2 });
    writeFileSync(path, readFileSync(path, 'utf8').replace('"effect":0.05', '"effect":0.01'));
    expect(verifyAudit(path, { env: {} })).toMatchObject({ ok: false, firstBroken: { line: 2 } });
  });

  it('rejects a rollout record without its transition number', () => {
    const log = openAuditLog(tempLog(), { env: {} });
    const bad = {
      ...entry(0),
      kind: 'rollout.transition' as const,
      rollout: { id: 'x', event: 'start', from: 'pending', to: 'shadow', weight: 0 },
    } as unknown as AuditEntry;
    expect(() => log.append(bad)).toThrow(/audit entry rejected: rollout\.transition: /);
  });
});
