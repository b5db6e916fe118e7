// A rollout process for the crash tests: it drives transitions (pause/resume pairs, with observations
// flushed in between) against a FileRolloutStore and an audit log in <dir>, and can stop dead at a
// chosen step of a chosen transition so that the test SIGKILLs it there.
//   crash-child.ts <dir> stop <step> <seq>   block forever at <step> (locked|logged|saved) of transition <seq>
//   crash-child.ts <dir> loop                transition as fast as possible until killed
//   crash-child.ts <dir> race <version>      wait for <dir>/go, then one compare-and-swap from <version>
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openAuditLog } from '@charter/telemetry';
import { createRolloutController } from '../controller.js';
import { loadRolloutPlan } from '../plan.js';
import { FileRolloutStore } from '../store.js';
import { AGENT_DIR } from './reference.js';

const [dir = '', mode = 'loop', step = '', seqText = '0'] = process.argv.slice(2);
const { plan } = loadRolloutPlan(AGENT_DIR);
const block = () => {
  process.stdout.write(`blocked ${step} ${seqText}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000);
};
let pendingSeq = 0;
const store = new FileRolloutStore(join(dir, 'rollouts'), {
  onStep(at) {
    if (mode === 'stop' && at === step && pendingSeq === Number(seqText)) block();
  },
});

if (mode === 'race') {
  const go = join(dir, 'go');
  while (!existsSync(go)) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  const current = await store.load(plan.agent);
  if (current === undefined) throw new Error('no rollout to race on');
  const result = await store.compareAndSwap(plan.agent, Number(step), { ...current, reason: `by ${process.pid}`, updatedAt: Date.now() });
  process.stdout.write(`${result.ok ? 'won' : 'lost'}\n`);
  process.exit(0);
}

const controller = createRolloutController({
  plan,
  store,
  audit: openAuditLog(join(dir, 'audit.jsonl')),
  gate: () => Promise.resolve({ ready: true, summary: 'test gate' }),
  auditGraceMs: 0,
});
let state = await controller.load();
if (state.status === 'pending') {
  pendingSeq = state.seq + 1;
  state = (await controller.start({ candidate: 'v2', actor: { type: 'system', id: `pid-${process.pid}` } })).state;
}
for (;;) {
  controller.observe({ arm: 'control', success: true, latencyMs: 100 });
  controller.observe({ arm: 'candidate', success: true, latencyMs: 100 });
  await controller.flush();
  pendingSeq = controller.current().seq + 1;
  if (controller.current().status === 'paused') await controller.resume({ reason: `resume ${pendingSeq}` });
  else await controller.pause({ reason: `pause ${pendingSeq}` });
  process.stdout.write(`done ${controller.current().seq}\n`);
}
