import { join, relative } from 'node:path';
import { EVIDENCE_KINDS, EvidenceReport, type EvidenceKind, type EvidenceOf } from '@charter/spec';
import { nodeFiles, type Files } from './inputs.js';
import type { EvidenceStatus } from './types.js';

/** What the gate expects evidence to be for. */
export interface EvidenceExpectation {
  readonly agent: string;
  readonly commit: string;
  readonly manifestDigest: string;
  readonly now: number;
}

export interface EvidenceSet {
  readonly statuses: readonly EvidenceStatus[];
  /** The report of `kind` when it is fresh, else undefined. */
  fresh<K extends EvidenceKind>(kind: K): EvidenceOf<K> | undefined;
  status(kind: EvidenceKind): EvidenceStatus;
}

/** True when two commit ids name the same commit (either may be abbreviated, at least 7 digits). */
export function sameCommit(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x.length >= 7 && y.length >= 7 && (x.startsWith(y) || y.startsWith(x));
}

/**
 * Reads `<dir>/<kind>.json` for every evidence kind. A report is `fresh` only when it validates against
 * `@charter/spec`'s `EvidenceReport`, names this agent, and was produced at this commit for this
 * manifest digest; otherwise `missing`, `invalid` or `stale`, with the reason.
 */
export function readEvidence(dir: string, agentDir: string, expected: EvidenceExpectation, files: Files = nodeFiles): EvidenceSet {
  const reports = new Map<EvidenceKind, EvidenceReport>();
  const statuses = new Map<EvidenceKind, EvidenceStatus>();
  for (const kind of EVIDENCE_KINDS) {
    const path = join(dir, `${kind}.json`);
    const file = relative(agentDir, path) || path;
    if (!files.exists(path)) {
      statuses.set(kind, { kind, file, state: 'missing', reason: `no ${file}: produce it with the agent's evidence script` });
      continue;
    }
    let json: unknown;
    try {
      json = JSON.parse(files.read(path));
    } catch (error) {
      statuses.set(kind, { kind, file, state: 'invalid', reason: `not JSON: ${error instanceof Error ? error.message : String(error)}` });
      continue;
    }
    const parsed = EvidenceReport.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const where = issue === undefined ? '' : `/${issue.path.join('/')}`;
      statuses.set(kind, {
        kind,
        file,
        state: 'invalid',
        reason: `does not match the charter.evidence v1 schema at ${where}: ${issue?.message ?? ''}`,
      });
      continue;
    }
    const report = parsed.data;
    const ageMs = Math.max(0, expected.now - Date.parse(report.producedAt));
    const base = { kind, file, producedAt: report.producedAt, ageMs, commit: report.commit };
    if (report.kind !== kind) {
      statuses.set(kind, { ...base, state: 'invalid', reason: `holds a "${report.kind}" report, not "${kind}"` });
    } else if (report.agent !== expected.agent) {
      statuses.set(kind, { ...base, state: 'invalid', reason: `is evidence for agent "${report.agent}", not "${expected.agent}"` });
    } else if (!sameCommit(report.commit, expected.commit)) {
      statuses.set(kind, {
        ...base,
        state: 'stale',
        reason: `produced at commit ${report.commit.slice(0, 12)}, the checkout is at ${expected.commit.slice(0, 12)}: produce it again`,
      });
    } else if (report.manifestDigest !== expected.manifestDigest) {
      statuses.set(kind, {
        ...base,
        state: 'stale',
        reason: 'produced for another version of the manifest or its policy (digest differs): produce it again',
      });
    } else {
      statuses.set(kind, { ...base, state: 'fresh' });
      reports.set(kind, report);
    }
  }
  // Every kind got a status above; the fallback only satisfies the type.
  const statusOf = (kind: EvidenceKind): EvidenceStatus => statuses.get(kind) ?? { kind, file: `${kind}.json`, state: 'missing' };
  return {
    statuses: EVIDENCE_KINDS.map(statusOf),
    fresh: <K extends EvidenceKind>(kind: K) => reports.get(kind) as EvidenceOf<K> | undefined,
    status: statusOf,
  };
}
