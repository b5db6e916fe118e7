import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createMemorySink, createTelemetry } from '@charter/telemetry';
import { MemoryLedger } from '@charter/tools';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createShop, shopManifest, shopPolicy } from '../__fixtures__/shop.js';
import { createAgent, MemoryStore, memoryEscalation } from '../index.js';
import { defaultModelRegistry, offlineProvider } from '../models.js';

// The real @ai-sdk/openai-compatible provider, resolved from the manifest through the registry, talks
// HTTP to a local stand-in for a paid OpenAI-compatible API (this test's server: no paid API can be
// called here). It answers a chat completion, or 503 for the model id "down".

interface Seen {
  readonly path: string;
  readonly authorization: string | undefined;
  readonly body: Record<string, unknown>;
}

const seen: Seen[] = [];
let server: Server;
let baseUrl: string;

async function body(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
}

beforeAll(async () => {
  server = createServer((request, response) => {
    void body(request).then((json) => {
      seen.push({ path: request.url ?? '', authorization: request.headers.authorization, body: json });
      if (json.model === 'down') {
        response.writeHead(503, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: 'upstream overloaded', type: 'server_error' } }));
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-1',
          object: 'chat.completion',
          created: 1_700_000_000,
          model: json.model,
          choices: [{ index: 0, message: { role: 'assistant', content: `Hello from ${String(json.model)}.` }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 12, completion_tokens: 4, total_tokens: 16 },
        }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => {
    server.close(() => {
      resolve();
    });
  });
});

function agentFor(model: { provider: string; id: string; fallback?: { provider: string; id: string } }) {
  const base = shopManifest();
  const manifest = {
    ...base,
    spec: { ...base.spec, model: { ...model, params: { temperature: 0, topP: 0.5, maxOutputTokens: 64, seed: 3 } } },
  };
  const sink = createMemorySink();
  const agent = createAgent({
    manifest,
    models: {
      ...defaultModelRegistry,
      offline: offlineProvider({ scripts: { backup: { turns: [{ text: 'The offline fallback answered.' }] } } }),
    },
    env: { CHARTER_MODEL_BASE_URL: baseUrl, CHARTER_MODEL_API_KEY: 'test-key' },
    tools: createShop().tools,
    policy: shopPolicy(),
    telemetry: createTelemetry({ agent: manifest.metadata.name, sinks: [sink] }),
    escalation: memoryEscalation(),
    store: new MemoryStore(),
    ledger: new MemoryLedger(),
  });
  return { agent, sink };
}

describe('openai-compatible from the manifest (a local stand-in endpoint)', () => {
  it('calls the endpoint the environment names, with the key and the manifest params', async () => {
    seen.length = 0;
    const { agent } = agentFor({ provider: 'openai-compatible', id: 'gpt-4o-mini' });
    const result = await agent.run('Hello?', { context: { customerEmail: 'ana@example.com' } });
    expect(result.status).toBe('completed');
    expect(result.output).toBe('Hello from gpt-4o-mini.');
    expect(result.usage.tokens).toBe(16);
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ path: '/v1/chat/completions', authorization: 'Bearer test-key' });
    expect(seen[0]?.body).toMatchObject({ model: 'gpt-4o-mini', temperature: 0, top_p: 0.5, max_tokens: 64, seed: 3 });
  });

  it('a 503 from the endpoint switches the call to the fallback the manifest names', async () => {
    seen.length = 0;
    const { agent, sink } = agentFor({ provider: 'openai-compatible', id: 'down', fallback: { provider: 'offline', id: 'backup' } });
    const result = await agent.run('Hello?', { context: { customerEmail: 'ana@example.com' } });
    expect(result.status).toBe('completed');
    expect(result.output).toBe('The offline fallback answered.');
    expect(seen.map((request) => request.body.model)).toEqual(['down']);
    expect(sink.ofType('model.fallback')).toEqual([
      expect.objectContaining({
        provider: 'openai-compatible.chat',
        model: 'down',
        fallbackModel: 'backup',
        reason: 'server_error',
        error: 'HTTP 503',
      }),
    ]);
  });
});
