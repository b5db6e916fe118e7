import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createMemorySink, createTelemetry, hashArguments } from '@charter/telemetry';
import { MemoryLedger } from '@charter/tools';
import { describe, expect, it, vi } from 'vitest';
import { createShop, shopAgent } from './__fixtures__/shop.js';
import { createAgent, MemoryStore, memoryEscalation } from './index.js';
import { scripted, type ScriptInput } from './models.js';

// What `import '@charter/agent'` must not load (each is loaded on first use instead), and proof that
// the deferred dependencies still load when they are needed. Runs a child process from the sources
// (tsx, `@charter/source` condition); an ESM load hook logs every module URL to a file, and the
// CommonJS cache lists what was required.
const CHILD = `
import { register, createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
const file = process.env.CHARTER_LOAD_LOG;
const hooks = "import { appendFileSync } from 'node:fs'; let file; export function initialize(d) { file = d.file; } export async function load(url, context, next) { appendFileSync(file, url + '\\\\n'); return next(url, context); }";
register('data:text/javascript,' + encodeURIComponent(hooks), { data: { file } });
const require = createRequire(import.meta.url);
const loaded = () => [...readFileSync(file, 'utf8').split('\\n').filter(Boolean), ...Object.keys(require.cache)];
await import('@charter/agent');
const afterImport = loaded();
const { loadManifest } = await import('@charter/spec');
const { value } = loadManifest({ path: process.env.CHARTER_MANIFEST });
const afterLoad = loaded();
const telemetry = await import('@charter/telemetry');
const afterTelemetry = loaded();
telemetry.createOtelSink();
const afterSink = loaded();
// A governed run whose model asks for a side-effecting call (a refund): the provenance check runs it.
const { createAgent, memoryEscalation, MemoryStore } = await import('@charter/agent');
const { scripted } = await import('@charter/agent/models');
const { createShop, shopAgent } = await import(new URL('./src/__fixtures__/shop.ts', 'file://' + process.cwd() + '/').href);
const { MemoryLedger } = await import('@charter/tools');
const agent = createAgent({
  agent: shopAgent(),
  model: scripted({ turns: [{ toolCalls: [{ tool: 'refund_order', args: { orderId: 'A-2', amount: 250, reason: 'damaged' } }] }, { text: 'Done.' }] }),
  tools: createShop().tools,
  escalation: memoryEscalation(),
  store: new MemoryStore(),
  ledger: new MemoryLedger(),
});
const afterAgent = loaded();
const run = await agent.run('Refund A-2 please', { context: { customerEmail: 'ana@example.com', customerId: 'C-1' } });
process.stdout.write(JSON.stringify({ afterImport, afterLoad, loadedManifest: value !== undefined, afterTelemetry, afterSink, afterAgent, afterRun: loaded(), runStatus: run.status }));
`;

const DEFERRED: readonly [string, RegExp][] = [
  ['semver', /\/node_modules\/semver\//],
  ['js-yaml', /\/node_modules\/js-yaml\//],
  ['yaml', /\/node_modules\/yaml\//],
  ['@opentelemetry/api', /\/node_modules\/@opentelemetry\/api\//],
  ['@charter/telemetry', /\/packages\/telemetry\/|\/node_modules\/@charter\/telemetry\//],
  ['node:crypto', /^node:crypto$/],
  // The model registry hands out models without loading them: the provider package and the offline
  // models are loaded by a model's first call.
  ['@ai-sdk/openai-compatible', /\/node_modules\/@ai-sdk\/openai-compatible\//],
  ['the offline models', /\/packages\/agent\/src\/models\/(?:scripted|gullible|common)\.ts$/],
  // The provenance check is loaded by an agent's first side-effecting call (`intentTerms` lives apart).
  ['the provenance check', /\/packages\/agent\/src\/provenance\.ts$/],
];

describe('import cost', () => {
  it('importing @charter/agent loads none of the deferred dependencies; using them loads them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'charter-import-'));
    try {
      const out = spawnSync(process.execPath, ['--import', 'tsx/esm', '--conditions=@charter/source', '--input-type=module', '-e', CHILD], {
        cwd: join(import.meta.dirname, '..'),
        encoding: 'utf8',
        env: {
          ...process.env,
          CHARTER_LOAD_LOG: join(dir, 'loads.txt'),
          CHARTER_MANIFEST: join(import.meta.dirname, '..', '..', 'reference-agent', 'agent.yaml'),
        },
        timeout: 60_000,
      });
      expect(out.status, out.stderr).toBe(0);
      const { afterImport, afterLoad, loadedManifest, afterTelemetry, afterSink, afterAgent, afterRun, runStatus } = JSON.parse(
        out.stdout,
      ) as Record<'afterImport' | 'afterLoad' | 'afterTelemetry' | 'afterSink' | 'afterAgent' | 'afterRun', string[]> & {
        loadedManifest: boolean;
        runStatus: string;
      };
      // The log works: the agent's own graph is in it.
      expect(afterImport.some((url) => url.endsWith('/packages/spec/src/index.ts'))).toBe(true);
      expect(afterImport.some((url) => url.endsWith('/packages/guardrails/src/engine.ts'))).toBe(true);
      expect(afterImport.some((url) => url.includes('/node_modules/zod/'))).toBe(true);
      const eager = DEFERRED.filter(([, pattern]) => afterImport.some((url) => pattern.test(url))).map(([name]) => name);
      expect(eager).toEqual([]);
      // `intentTerms`, exported by the index, is there without the check.
      expect(afterImport.some((url) => url.endsWith('/packages/agent/src/intent.ts'))).toBe(true);
      expect(loadedManifest).toBe(true);
      expect(afterLoad.some((url) => url.includes('/node_modules/js-yaml/'))).toBe(true);
      expect(afterLoad.some((url) => url.includes('/node_modules/semver/'))).toBe(true);
      // @charter/telemetry itself leaves @opentelemetry/api and node:crypto to the OTel sink and hashing.
      const otel = '/node_modules/@opentelemetry/api/';
      expect(afterTelemetry.some((url) => url.endsWith('/packages/telemetry/src/index.ts'))).toBe(true);
      expect(afterTelemetry.filter((url) => url.includes(otel) || url === 'node:crypto')).toEqual([]);
      expect(afterSink.some((url) => url.includes(otel))).toBe(true);
      // createAgent does not load the provenance check; the first side-effecting call does (the refund
      // pauses for its approval: over the grant's threshold, and the request asks for it).
      expect(afterAgent.filter((url) => url.endsWith('/packages/agent/src/provenance.ts'))).toEqual([]);
      expect(runStatus).toBe('paused');
      expect(afterRun.some((url) => url.endsWith('/packages/agent/src/provenance.ts'))).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('telemetry loaded on first use', () => {
  const loaded = shopAgent();
  const manifest = loaded.manifest;
  const context = { customerEmail: 'ana@example.com', customerId: 'C-1' };
  const args = { orderId: 'A-2', amount: 250, reason: 'damaged' };
  const refund: ScriptInput = {
    turns: [{ toolCalls: [{ tool: 'refund_order', args }] }, { cases: [{ when: { ok: true }, text: 'Refunded.' }], text: 'Not refunded.' }],
  };

  it('approval.requested and tool.call carry hashArguments of the arguments', async () => {
    const sink = createMemorySink();
    const shop = createShop();
    const store = new MemoryStore();
    const agent = createAgent({
      agent: loaded,
      model: scripted(refund),
      tools: shop.tools,
      telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [sink] }),
      escalation: memoryEscalation(),
      store,
      ledger: new MemoryLedger(),
    });
    expect((await agent.run('Refund A-2 please', { context, runId: 'hash-run' })).status).toBe('paused');
    expect(sink.ofType('approval.requested').map((e) => e.argsHash)).toEqual([hashArguments(args)]);
    expect((await agent.resume('hash-run', { approved: true, approver: 'lead@example.com' })).status).toBe('completed');
    expect(sink.ofType('tool.call').map((e) => e.argsHash)).toEqual([hashArguments(args)]);
  });

  it('a process whose first call is resume (fresh module instances) hashes the call it runs', async () => {
    const store = new MemoryStore();
    const first = createAgent({
      agent: loaded,
      model: scripted(refund),
      tools: createShop().tools,
      escalation: memoryEscalation(),
      store,
      ledger: new MemoryLedger(),
    });
    expect((await first.run('Refund A-2 please', { context, runId: 'fresh-resume' })).status).toBe('paused');

    vi.resetModules();
    const agentModule = await import('./index.js');
    const models = await import('./models.js');
    const telemetry = await import('@charter/telemetry');
    const shop = await import('./__fixtures__/shop.js');
    const tools = await import('@charter/tools');
    expect(agentModule.createAgent).not.toBe(createAgent);
    const sink = telemetry.createMemorySink();
    const agent = agentModule.createAgent({
      agent: loaded,
      model: models.scripted(refund),
      tools: shop.createShop().tools,
      telemetry: telemetry.createTelemetry({ agent: manifest.metadata.name, sinks: [sink] }),
      escalation: agentModule.memoryEscalation(),
      store,
      ledger: new tools.MemoryLedger(),
    });
    expect((await agent.resume('fresh-resume', { approved: true, approver: 'lead@example.com' })).status).toBe('completed');
    expect(sink.ofType('tool.call').map((e) => e.argsHash)).toEqual([telemetry.hashArguments(args)]);
  });
});
