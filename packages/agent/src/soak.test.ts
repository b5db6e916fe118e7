import { describe, expect, it } from 'vitest';
import { soak } from './__fixtures__/soak.js';

describe('fault soak', () => {
  it('1,000 runs with 20 % transient tool errors, 5 % timeouts, 5 % malformed outputs end cleanly', async () => {
    const report = await soak({ runs: 1000, seed: 42 });
    expect(report.runs).toBe(1000);
    expect(report.unhandledRejections).toBe(0);
    // Every run completed or escalated, and every escalation carried a context packet.
    expect(Object.keys(report.byStatus).sort()).toEqual(['completed', 'escalated']);
    expect(report.escalatedWithoutPacket).toBe(0);
    expect(report.packets).toBe(report.byStatus.escalated);
    // The faults really happened (the soak is not vacuous).
    expect(report.toolErrorsSeen).toBeGreaterThan(0);
    expect(report.repairsSeen).toBeGreaterThan(0);
    expect(report.byReason.malformed_output ?? 0).toBeGreaterThanOrEqual(0);
    // No irreversible effect twice, and the audit chain verifies.
    expect(report.refunds).toBeGreaterThan(report.runs * 0.8);
    expect(report.maxRefundsPerOrder).toBe(1);
    expect(report.ledgerReplays).toBeGreaterThan(0);
    // A resubmission that meets the first call still running waits for it: never told "in doubt" about
    // a refund that then went through.
    expect(report.doubtedWhileRefunded).toBe(0);
    expect(report.audit.ok).toBe(true);
    expect(report.audit.records).toBeGreaterThanOrEqual(report.refunds);
  }, 120_000);

  it('is reproducible: the same seed gives the same outcomes', async () => {
    const a = await soak({ runs: 200, seed: 7, concurrency: 1 });
    const b = await soak({ runs: 200, seed: 7, concurrency: 1 });
    expect(a.byStatus).toEqual(b.byStatus);
    expect(a.byReason).toEqual(b.byReason);
    expect(a.refunds).toBe(b.refunds);
  }, 60_000);
});
