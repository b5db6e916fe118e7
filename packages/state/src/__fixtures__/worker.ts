// A child process for the multi-process tests against PostgreSQL. Modes:
//   race <url> <schema> <effects> <barrier> <holdMs> [no-reconcile]   executes refund_order(A-7) once the barrier exists
//   hold-lock <url> <schema> <key>                      takes the ledger lock of <key>, prints, then SIGKILLs itself
//   start <url> <schema> <effects> <runId>              runs until the refund waits for approval
//   resume <url> <schema> <effects> <runId> [crash]     approves and resumes (crash: SIGKILL after the refund's effect)
//   serve <url> <schema> <effects>                      reads "run <id> <scenario>" lines, prints one JSON result per run
import { existsSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { createAgent, memoryEscalation } from '@charter/agent';
import { scripted } from '@charter/agent/models';
import { createExecutor, createRegistry, type IdempotencyLedger } from '@charter/tools';
import { openState } from '../open.js';
import { manifest, policy, tools } from './world.js';

const [mode, url, schema, a, b, c, d] = process.argv.slice(2);
if (mode === undefined || url === undefined || schema === undefined) throw new Error('usage: worker.ts <mode> <url> <schema> …');
const LEASE_MS = 1500;
const out = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
const stores = await openState({ url, schema, leaseMs: LEASE_MS, lockTimeoutMs: 30_000 });

const refund250 = scripted({
  turns: [
    { toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-2', amount: 250, reason: 'broken' } }] },
    { cases: [{ when: { ok: true }, text: 'Refunded.' }], text: 'The refund failed.' },
  ],
});

if (mode === 'race') {
  const [effects, barrier, holdMs] = [a!, b!, Number(c)];
  const toolset = createRegistry(tools({ effects, holdMs, reconcile: d !== 'no-reconcile' })).resolve(manifest());
  // A slow read (100 ms between reading the key and writing 'started'): without the lock, every worker
  // would read "no record" and run the effect; with it, the reads are serialised.
  const inner = stores.ledger;
  const ledger: IdempotencyLedger = {
    get: async (key) => {
      const record = await inner.get(key);
      await new Promise((resolve) => setTimeout(resolve, 100));
      return record;
    },
    append: (record) => inner.append(record),
    close: () => inner.close(),
    ...(inner.lock === undefined || process.env.RACE_WITHOUT_LOCK === '1' ? {} : { lock: inner.lock.bind(inner) }),
  };
  const executor = createExecutor(toolset, { ledger });
  // Warm up (schemas, connections) first, so the barrier lines up the racing reads, not cold starts.
  await executor.execute('lookup_order', { orderId: 'A-1' }, { runId: 'warm-up' });
  await inner.get('warm-up');
  writeFileSync(`${barrier}.ready.${process.pid}`, '');
  while (!existsSync(barrier)) await new Promise((resolve) => setTimeout(resolve, 2));
  const result = await executor.execute('refund_order', { orderId: 'A-7', amount: 10 }, { runId: `race-${process.pid}` });
  out(result.ok ? { ok: true, replayed: result.meta.replayed === true, value: result.value } : { ok: false, code: result.error.code });
  await stores.close();
} else if (mode === 'hold-lock') {
  if (stores.ledger.lock === undefined) throw new Error('the SQL ledger has lock');
  await stores.ledger.lock(a!);
  out({ locked: a });
  process.kill(process.pid, 'SIGKILL');
} else if (mode === 'start' || mode === 'resume') {
  const agent = createAgent({
    manifest: manifest(),
    policy: policy(),
    model: refund250,
    tools: tools({ effects: a!, crashAfterRefund: c === 'crash' }),
    store: stores.runs,
    ledger: stores.ledger,
    escalation: memoryEscalation(),
    controls: stores.controls,
  });
  try {
    const result =
      mode === 'start'
        ? await agent.run('Refund A-2 please, it arrived broken.', { runId: b!, context: { customerEmail: 'ana@example.com' } })
        : await agent.resume(b!, { approved: true, approver: 'lead@example.com' });
    out({ status: result.status, reason: result.reason, output: result.output, actions: result.actions, approval: result.approval });
  } catch (error) {
    out({ error: (error as { code?: string }).code ?? String(error) });
  }
  await agent.close();
  await stores.close();
} else if (mode === 'serve') {
  const effects = a!;
  const scenarios = {
    // A refund below the approval threshold: runs without a human.
    refund: scripted({
      turns: [
        { toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-1', amount: 40, reason: 'late' } }] },
        { cases: [{ when: { ok: true }, text: 'Refunded.' }], text: 'I could not refund it.' },
      ],
    }),
    // Twelve slow lookups in a row (~2 s): a run that is still going when a control changes.
    slow: scripted({
      turns: [
        ...Array.from({ length: 12 }, (_, n) => ({ toolCalls: [{ tool: 'lookup_order', args: { orderId: `A-${n + 1}` } }] })),
        { text: 'Done.' },
      ],
    }),
  };
  const agents = {
    refund: createAgent({
      manifest: manifest(),
      policy: policy(),
      model: scenarios.refund,
      tools: tools({ effects }),
      store: stores.runs,
      ledger: stores.ledger,
      escalation: memoryEscalation(),
      controls: stores.controls,
    }),
    slow: createAgent({
      manifest: { ...manifest(), spec: { ...manifest().spec, budgets: { ...manifest().spec.budgets, maxSteps: 20 } } },
      policy: policy(),
      model: scenarios.slow,
      tools: tools({ effects, lookupHoldMs: 150 }),
      store: stores.runs,
      ledger: stores.ledger,
      escalation: memoryEscalation(),
      controls: stores.controls,
    }),
  };
  out({ ready: true });
  for await (const line of createInterface({ input: process.stdin })) {
    const [command, runId, scenario] = line.split(' ');
    if (command === 'quit') break;
    const agent = agents[scenario as keyof typeof agents];
    const result = await agent.run('Refund A-1 please, it came late.', { runId: runId!, context: { customerEmail: 'ana@example.com' } });
    out({ runId, status: result.status, reason: result.reason, steps: result.steps, actions: result.actions, decisions: result.decisions });
  }
  await agents.refund.close();
  await agents.slow.close();
  await stores.close();
}
