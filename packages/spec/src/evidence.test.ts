import { describe, expect, it } from 'vitest';
import { EVIDENCE_KINDS, EvidenceReport, evidenceJsonSchema, manifestDigest } from './evidence.js';

const envelope = {
  format: 'charter.evidence',
  v: 1,
  agent: 'support-desk',
  commit: '0123456789abcdef0123456789abcdef01234567',
  manifestDigest: manifestDigest('kind: Agent\n', 'kind: GuardrailPolicy\n'),
  producedAt: '2026-01-02T03:04:05.000Z',
  producer: { name: 'test', version: '1.0.0' },
};

describe('evidence reports', () => {
  it('accept a well-formed report of a kind and reject one with a wrong kind or data', () => {
    const consistency = {
      ...envelope,
      kind: 'consistency',
      data: { repeats: 3, total: 1, consistent: 1, outcome: ['status'], scenarios: [{ name: 'a', outcomes: 1, signatures: ['x'] }] },
    };
    expect(EvidenceReport.safeParse(consistency).success).toBe(true);
    expect(EvidenceReport.safeParse({ ...consistency, kind: 'soak' }).success).toBe(false);
    expect(EvidenceReport.safeParse({ ...consistency, v: 2 }).success).toBe(false);
    expect(EvidenceReport.safeParse({ ...consistency, commit: 'main' }).success).toBe(false);
    expect(EvidenceReport.safeParse({ ...consistency, data: { ...consistency.data, repeats: 0 } }).success).toBe(false);
  });

  it('bind evidence to the manifest and the policy: a change to either changes the digest', () => {
    const base = manifestDigest('a', 'b');
    expect(base).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifestDigest('a', 'b')).toBe(base);
    expect(manifestDigest('a ', 'b')).not.toBe(base);
    expect(manifestDigest('a', 'b ')).not.toBe(base);
    // Length prefixes: moving text from one file to the other is a different digest.
    expect(manifestDigest('ab', '')).not.toBe(manifestDigest('a', 'b'));
  });

  it('publishes one JSON Schema with a branch per kind', () => {
    const schema = evidenceJsonSchema() as { $id: string; oneOf?: { properties: { kind: { const: string } } }[] };
    expect(schema.$id).toBe('https://charter.dev/schema/v1alpha1/evidence.schema.json');
    expect(schema.oneOf?.map((branch) => branch.properties.kind.const).sort()).toEqual([...EVIDENCE_KINDS].sort());
  });
});
