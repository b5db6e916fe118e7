import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { SideEffects } from '@charter/spec';
import { z } from 'zod';
import { canonicalJson, nodeCrypto, sha256Hex } from './canonical.js';
import { TelemetryError, TelemetryErrorCode } from './errors.js';
import type { TelemetryEvent } from './events.js';
import type { Sink } from './telemetry.js';

/** Version of the audit record format; written as `v` on every record. */
export const AUDIT_SCHEMA_VERSION = 1;
/** Environment variable the HMAC checkpoint key is read from. */
export const AUDIT_HMAC_KEY_ENV = 'CHARTER_AUDIT_HMAC_KEY';
/** `prevHash` of the first record. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export const AuditKind = z.enum([
  'approval.requested',
  'approval.granted',
  'approval.denied',
  'tool.call',
  'guardrail.denied',
  'escalation',
  'rollout.transition',
]);
export type AuditKind = z.infer<typeof AuditKind>;

export const AuditActor = z.strictObject({
  type: z.enum(['agent', 'human', 'system']),
  id: z.string().min(1).max(200),
});
export type AuditActor = z.infer<typeof AuditActor>;

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);

/** What a caller appends: the chain fields (`v`, `seq`, `prevHash`, `hash`, `hmac`) are added by the log. */
export const AuditEntry = z.strictObject({
  kind: AuditKind,
  /** ISO 8601 time of the fact recorded. */
  ts: z.iso.datetime(),
  agent: z.string().min(1).max(200),
  runId: z.string().min(1).max(200),
  actor: AuditActor,
  /** Version of the guardrail policy in force (`GuardrailPolicy.spec.version`). */
  policyVersion: z.string().min(1).max(64),
  tool: z
    .strictObject({
      name: z.string().min(1).max(200),
      version: z.string().min(1).max(64),
      sideEffects: SideEffects,
      /** SHA-256 of the canonical JSON of the arguments. */
      argsHash: Hex64,
      callId: z.string().min(1).max(200).optional(),
    })
    .optional(),
  approvalId: z.string().min(1).max(200).optional(),
  ruleIds: z.array(z.string().min(1).max(200)).max(64).optional(),
  reason: z.string().max(2000).optional(),
  /** `rollout.transition`: which rollout moved from where to where, and the statistics behind it. */
  rollout: z
    .strictObject({
      id: z.string().min(1).max(200),
      transition: z.int().positive(),
      event: z.string().min(1).max(32),
      from: z.string().min(1).max(32),
      to: z.string().min(1).max(32),
      stage: z.string().max(64).optional(),
      weight: z.number().min(0).max(100),
      statistics: z.json().optional(),
    })
    .optional(),
});
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditRecord = AuditEntry.extend({
  v: z.literal(AUDIT_SCHEMA_VERSION),
  seq: z.int().nonnegative(),
  prevHash: Hex64,
  hash: Hex64,
  /** HMAC-SHA256(key, hash) on checkpoint records. */
  hmac: Hex64.optional(),
});
export type AuditRecord = z.infer<typeof AuditRecord>;

export interface AuditLogOptions {
  /** HMAC key for checkpoints; default: the `CHARTER_AUDIT_HMAC_KEY` environment variable. */
  readonly hmacKey?: string;
  /** Write an HMAC checkpoint on every Nth record (seq N-1, 2N-1, …). Needs a key. */
  readonly checkpointEvery?: number;
  /** Environment to read the key from; default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** An append-only, hash-chained JSONL audit log. Each append is written through to the file. */
export interface AuditLog {
  readonly path: string;
  /** Records in the file, including those written before this process opened it. */
  readonly size: number;
  readonly lastHash: string;
  append(entry: AuditEntry): AuditRecord;
}

const MIN_KEY_LENGTH = 16;

function resolveKey(options: AuditLogOptions): string | undefined {
  const key = options.hmacKey ?? (options.env ?? process.env)[AUDIT_HMAC_KEY_ENV];
  if (key !== undefined && key.length < MIN_KEY_LENGTH) {
    throw new TelemetryError(
      TelemetryErrorCode.AuditKeyMissing,
      `the audit HMAC key is ${key.length} characters; use at least ${MIN_KEY_LENGTH} (e.g. 32 random bytes, hex-encoded)`,
    );
  }
  return key === '' ? undefined : key;
}

/** The hash of a record: SHA-256 over `prevHash` followed by the canonical JSON of the record without `hash` and `hmac`. */
export function auditRecordHash(record: Omit<AuditRecord, 'hash' | 'hmac'>): string {
  return sha256Hex(record.prevHash + canonicalJson(record));
}

function hmacOf(key: string, hash: string): string {
  return nodeCrypto().createHmac('sha256', key).update(hash, 'utf8').digest('hex');
}

/** Opens (or creates) an audit log and continues its chain from the last record. */
export function openAuditLog(path: string, options: AuditLogOptions = {}): AuditLog {
  const checkpointEvery = options.checkpointEvery;
  const key = resolveKey(options);
  if (checkpointEvery !== undefined) {
    if (!Number.isInteger(checkpointEvery) || checkpointEvery < 1) {
      throw new TelemetryError(TelemetryErrorCode.BadOptions, `checkpointEvery must be a positive integer, got ${checkpointEvery}`);
    }
    if (key === undefined) {
      throw new TelemetryError(
        TelemetryErrorCode.AuditKeyMissing,
        `HMAC checkpoints need a key: set ${AUDIT_HMAC_KEY_ENV} or pass hmacKey`,
      );
    }
  }
  let seq = 0;
  let lastHash = AUDIT_GENESIS_HASH;
  if (existsSync(path)) {
    const text = readText(path);
    if (text.length > 0) {
      if (!text.endsWith('\n'))
        throw new TelemetryError(
          TelemetryErrorCode.AuditIo,
          `${path} does not end with a line feed: its last record is incomplete; run \`charter audit verify ${path}\``,
        );
      const lastLine = text.slice(text.lastIndexOf('\n', text.length - 2) + 1, -1);
      const parsed = AuditRecord.safeParse(safeJson(lastLine));
      if (!parsed.success)
        throw new TelemetryError(
          TelemetryErrorCode.AuditIo,
          `the last record of ${path} is not a valid audit record; run \`charter audit verify ${path}\``,
        );
      seq = parsed.data.seq + 1;
      lastHash = parsed.data.hash;
    }
  }

  return {
    path,
    get size() {
      return seq;
    },
    get lastHash() {
      return lastHash;
    },
    append(entry) {
      const checked = AuditEntry.safeParse(entry);
      if (!checked.success) {
        throw new TelemetryError(
          TelemetryErrorCode.AuditRecordInvalid,
          `audit entry rejected: ${checked.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
        );
      }
      const body = { ...checked.data, v: AUDIT_SCHEMA_VERSION, seq, prevHash: lastHash } as const;
      const hash = auditRecordHash(body);
      const record: AuditRecord = { ...body, hash };
      if (checkpointEvery !== undefined && key !== undefined && (seq + 1) % checkpointEvery === 0) record.hmac = hmacOf(key, hash);
      try {
        appendFileSync(path, canonicalJson(record) + '\n');
      } catch (error) {
        throw new TelemetryError(TelemetryErrorCode.AuditIo, `cannot append to ${path}: ${(error as Error).message}`, { cause: error });
      }
      seq += 1;
      lastHash = hash;
      return record;
    },
  };
}

export interface AuditBreak {
  /** 0-based index of the first record that fails. */
  readonly index: number;
  /** 1-based line number in the file. */
  readonly line: number;
  readonly reason: string;
}

export interface AuditVerification {
  readonly ok: boolean;
  /** Records read (up to and excluding the first broken one). */
  readonly records: number;
  /** HMAC checkpoints verified with the key. */
  readonly checkpoints: number;
  /** Checkpoints present but not verified because no key was available. */
  readonly unverifiedCheckpoints: number;
  readonly firstBroken?: AuditBreak;
}

export interface VerifyAuditOptions {
  /** Default: `CHARTER_AUDIT_HMAC_KEY` from `env`. */
  readonly hmacKey?: string;
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Require a checkpoint on every Nth record (needs the key). */
  readonly checkpointEvery?: number;
}

/**
 * Verifies an audit log file: every line must be the canonical JSON of a valid record, numbered in
 * order, chained to the previous hash, hashing to its `hash`, and (with a key) carrying a valid HMAC
 * where it claims a checkpoint. Returns the first broken record; never throws for a bad file.
 */
export function verifyAudit(path: string, options: VerifyAuditOptions = {}): AuditVerification {
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return {
      ok: false,
      records: 0,
      checkpoints: 0,
      unverifiedCheckpoints: 0,
      firstBroken: { index: 0, line: 1, reason: `cannot read ${path}: ${(error as Error).message}` },
    };
  }
  return verifyAuditBytes(bytes, options);
}

/** `verifyAudit` over the bytes of a log. */
export function verifyAuditBytes(bytes: Uint8Array, options: VerifyAuditOptions = {}): AuditVerification {
  const key = resolveKey(options);
  const every = options.checkpointEvery;
  let checkpoints = 0;
  let unverified = 0;
  let prevHash = AUDIT_GENESIS_HASH;
  let index = 0;
  let start = 0;
  const broken = (reason: string): AuditVerification => ({
    ok: false,
    records: index,
    checkpoints,
    unverifiedCheckpoints: unverified,
    firstBroken: { index, line: index + 1, reason },
  });
  if (every !== undefined && key === undefined)
    return broken(`checkpoints every ${every} records were required but no HMAC key is available (${AUDIT_HMAC_KEY_ENV})`);
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  while (start < buffer.length) {
    const end = buffer.indexOf(0x0a, start);
    if (end === -1) return broken('the record is not terminated by a line feed (truncated or altered)');
    const raw = buffer.subarray(start, end);
    start = end + 1;
    const text = raw.toString('utf8');
    const json = safeJson(text);
    if (json === undefined) return broken('the line is not valid JSON');
    const parsed = AuditRecord.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return broken(`not a valid audit record: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`);
    }
    const record = parsed.data;
    let canonical: string;
    try {
      canonical = canonicalJson(record);
    } catch {
      return broken('the record cannot be written as canonical JSON');
    }
    if (!Buffer.from(canonical, 'utf8').equals(raw)) return broken('the line is not in canonical form (bytes were altered)');
    if (record.seq !== index) return broken(`seq is ${record.seq}, expected ${index}`);
    if (record.prevHash !== prevHash)
      return broken('prevHash does not match the hash of the previous record (a record was removed, inserted or altered)');
    const { hash, hmac, ...body } = record;
    if (auditRecordHash(body) !== hash) return broken('hash does not match the record content (the record was altered)');
    if (hmac !== undefined) {
      if (key === undefined) unverified++;
      else if (!nodeCrypto().timingSafeEqual(Buffer.from(hmacOf(key, hash), 'hex'), Buffer.from(hmac, 'hex')))
        return broken('HMAC checkpoint does not verify (wrong key, or the chain was rewritten)');
      else checkpoints++;
    } else if (every !== undefined && (record.seq + 1) % every === 0) {
      return broken(`missing HMAC checkpoint (expected one every ${every} records)`);
    }
    prevHash = hash;
    index++;
  }
  return { ok: true, records: index, checkpoints, unverifiedCheckpoints: unverified };
}

export interface AuditSinkOptions {
  /** `GuardrailPolicy.spec.version` in force. */
  readonly policyVersion: string;
}

/**
 * A sink that writes the audit-relevant events to an audit log: approvals requested, granted and
 * denied; side-effecting tool calls (with their argument hash); guardrail denials; escalations.
 */
export function createAuditSink(log: AuditLog, options: AuditSinkOptions): Sink {
  const { policyVersion } = options;
  return {
    write(event: TelemetryEvent) {
      const base = { ts: new Date(event.ts).toISOString(), agent: event.agent, runId: event.runId, policyVersion };
      const agentActor: AuditActor = { type: 'agent', id: event.agent };
      switch (event.type) {
        case 'tool.call':
          if (event.sideEffects === 'none') return;
          log.append({
            ...base,
            kind: 'tool.call',
            actor: agentActor,
            tool: {
              name: event.name,
              version: event.version,
              sideEffects: event.sideEffects,
              argsHash: event.argsHash,
              callId: event.callId,
            },
          });
          return;
        case 'approval.requested':
          log.append({
            ...base,
            kind: 'approval.requested',
            actor: agentActor,
            approvalId: event.approvalId,
            reason: event.reason,
            tool: {
              name: event.tool,
              version: event.toolVersion,
              sideEffects: event.sideEffects,
              argsHash: event.argsHash,
              callId: event.callId,
            },
          });
          return;
        case 'approval.granted':
          log.append({ ...base, kind: 'approval.granted', actor: { type: 'human', id: event.approver }, approvalId: event.approvalId });
          return;
        case 'approval.denied':
          log.append({
            ...base,
            kind: 'approval.denied',
            actor: { type: 'human', id: event.approver },
            approvalId: event.approvalId,
            ...(event.reason === undefined ? {} : { reason: event.reason }),
          });
          return;
        case 'guardrail.decision':
          if (event.action !== 'deny') return;
          log.append({
            ...base,
            kind: 'guardrail.denied',
            actor: { type: 'system', id: 'guardrails' },
            ruleIds: event.ruleIds,
            reason: `${event.hook} denied`,
          });
          return;
        case 'escalation':
          log.append({ ...base, kind: 'escalation', actor: agentActor, reason: event.reason });
          return;
        default:
          return;
      }
    },
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new TelemetryError(TelemetryErrorCode.AuditIo, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
}
