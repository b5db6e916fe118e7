// The provenance workload of step.bench.ts alone, for CPU time and CPU profiles: 5 lookups and 5
// e-mails a run (every e-mail checked for grounding), governed by the recommended policy, telemetry on.
//   npx tsx bench/step-profile.ts            CPU µs a step (process.cpuUsage), provenance on and off, interleaved
//   node --cpu-prof --cpu-prof-interval 100 --import tsx bench/step-profile.ts profile [runs]
// CPU time, not wall time: on a shared machine other processes stretch wall time, not this one's CPU.
// Runs the built package (dist): `npx turbo run build --filter=@charter/agent...` first.
import { createAgent, MemoryStore, memoryEscalation } from '@charter/agent';
import { createMemorySink, createTelemetry } from '@charter/telemetry';
import { MemoryLedger } from '@charter/tools';
import { benchManifest, benchTools, PROVENANCE_INPUT, recommendedPolicy, sideEffectModel, STEPS, provenanceOff } from './workload.js';

const manifest = benchManifest();
const policy = recommendedPolicy();
const tools = benchTools();
const sink = createMemorySink();
const agentWith = (provenance: boolean) =>
  createAgent({
    manifest,
    model: sideEffectModel,
    policy: provenance ? policy : provenanceOff(policy),
    tools,
    telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [sink] }),
    escalation: memoryEscalation(),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
  });
const on = agentWith(true);
const off = agentWith(false);

let n = 0;
async function once(agent: typeof on): Promise<void> {
  const result = await agent.run(PROVENANCE_INPUT, { runId: `r${n++}` });
  if (result.status !== 'completed' || result.steps !== STEPS)
    throw new Error(`run ended ${result.status}: ${JSON.stringify(result.decisions)}`);
  sink.clear();
}
async function cpuStepUs(agent: typeof on, runs: number): Promise<number> {
  const start = process.cpuUsage();
  for (let i = 0; i < runs; i++) await once(agent);
  const used = process.cpuUsage(start);
  return (used.user + used.system) / runs / STEPS;
}
const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;

for (let i = 0; i < 300; i++) {
  await once(on);
  await once(off);
}
if (process.argv[2] === 'profile') {
  const runs = Number(process.argv[3] ?? 20_000);
  for (let i = 0; i < runs; i++) await once(on);
} else {
  const withCheck: number[] = [];
  const without: number[] = [];
  for (let s = 0; s < 15; s++) {
    withCheck.push(await cpuStepUs(on, 200));
    without.push(await cpuStepUs(off, 200));
  }
  process.stdout.write(
    `${JSON.stringify({ cpuStepProvenanceUs: Number(median(withCheck).toFixed(2)), cpuStepProvenanceOffUs: Number(median(without).toFixed(2)) })}\n`,
  );
}
await on.close();
await off.close();
