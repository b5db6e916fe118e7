// `npm run soak -w @charter/agent`: 10,000 runs under injected faults (see src/__fixtures__/soak.ts).
import { soak } from '../src/__fixtures__/soak.js';

const runs = Number(process.env.SOAK_RUNS ?? 10_000);
const report = await soak({ runs, seed: Number(process.env.SOAK_SEED ?? 1) });
process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
const ok =
  report.runs === runs &&
  report.unhandledRejections === 0 &&
  Object.keys(report.byStatus).every((s) => s === 'completed' || s === 'escalated') &&
  report.escalatedWithoutPacket === 0 &&
  report.maxRefundsPerOrder <= 1 &&
  report.doubtedWhileRefunded === 0 &&
  report.audit.ok;
process.stdout.write(
  `${JSON.stringify({ runs, soakMs: Math.round(report.ms), completed: report.byStatus.completed ?? 0, escalated: report.byStatus.escalated ?? 0, maxRefundsPerOrder: report.maxRefundsPerOrder, auditOk: report.audit.ok, ok })}\n`,
);
process.exitCode = ok ? 0 : 1;
