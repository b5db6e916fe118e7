import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ContextPacket, consoleEscalation, escalationFromManifest, jsonlEscalation, webhookEscalation } from './escalation.js';

const packet = (runId: string): ContextPacket => ({
  v: 1,
  runId,
  agent: 'test',
  tenant: 'acme',
  user: 'u1',
  reason: 'tool_failure',
  message: 'the order service is down',
  transcript: [{ role: 'user', text: 'Where is A-1?' }],
  actions: [{ step: 1, callId: 'c1', tool: 'lookup_order', outcome: 'error', errorCode: 'TOOL_TIMEOUT' }],
  decisions: [],
  budgets: {
    steps: { used: 2, limit: 8 },
    tokens: { used: 10, limit: 100 },
    costUsd: { used: 0, limit: 1 },
    timeMs: { used: 5, limit: 1000 },
  },
  playbook: 'tool-timeouts',
  createdAt: new Date(0).toISOString(),
});

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      resolve(text);
    });
  });
}

describe('webhook escalation against a real HTTP server', () => {
  let server: Server;
  let url: string;
  const received: { body: ContextPacket; headers: IncomingMessage['headers'] }[] = [];
  let failuresLeft = 0;
  let status = 200;

  beforeEach(async () => {
    received.length = 0;
    failuresLeft = 0;
    status = 200;
    server = createServer((req, res) => {
      void body(req).then((text) => {
        if (failuresLeft > 0) {
          failuresLeft--;
          res.writeHead(503).end();
          return;
        }
        received.push({ body: JSON.parse(text) as ContextPacket, headers: req.headers });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/escalations`;
  });
  afterEach(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('POSTs the packet as JSON with an idempotency key', async () => {
    await webhookEscalation({ url }).send(packet('r1'));
    expect(received).toHaveLength(1);
    expect(received[0]?.body).toEqual(packet('r1'));
    expect(received[0]?.headers['content-type']).toBe('application/json');
    expect(received[0]?.headers['idempotency-key']).toBe('escalation:r1');
  });

  it('retries a 503 and then delivers', async () => {
    failuresLeft = 2;
    await webhookEscalation({ url, attempts: 3 }).send(packet('r2'));
    expect(received.map((r) => r.body.runId)).toEqual(['r2']);
  });

  it('fails with AGENT_ESCALATION on a 4xx without retrying, and on a dead endpoint', async () => {
    status = 400;
    await expect(webhookEscalation({ url, attempts: 3 }).send(packet('r3'))).rejects.toMatchObject({ code: 'AGENT_ESCALATION' });
    expect(received).toHaveLength(1);
    await new Promise((resolve) => server.close(resolve));
    await expect(webhookEscalation({ url, attempts: 1, timeoutMs: 500 }).send(packet('r4'))).rejects.toMatchObject({
      code: 'AGENT_ESCALATION',
    });
    server.listen(0, '127.0.0.1');
  });

  it('rejects a non-http url', () => {
    expect(() => webhookEscalation({ url: 'file:///etc/passwd' })).toThrow(expect.objectContaining({ code: 'AGENT_BAD_OPTIONS' }) as Error);
  });
});

describe('jsonl and console escalation', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'charter-esc-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('appends one line per packet, in order, under concurrency', async () => {
    const path = join(dir, 'nested', 'escalations.jsonl');
    const sink = jsonlEscalation(path);
    await Promise.all(Array.from({ length: 20 }, (_, i) => sink.send(packet(`r${i}`))));
    const lines = readFileSync(path, 'utf8').trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as ContextPacket).runId)).toEqual(Array.from({ length: 20 }, (_, i) => `r${i}`));
  });

  it('writes JSON to the console writer, and builds sinks from the manifest', async () => {
    const lines: string[] = [];
    await consoleEscalation((line) => lines.push(line)).send(packet('c1'));
    expect(JSON.parse(lines[0] ?? '')).toMatchObject({ runId: 'c1', reason: 'tool_failure' });
    expect(escalationFromManifest({ channel: 'jsonl', target: 'esc.jsonl' }, dir).channel).toBe('jsonl');
    expect(() => escalationFromManifest({ channel: 'slack', target: '#support' })).toThrow(
      expect.objectContaining({ code: 'AGENT_BAD_OPTIONS' }) as Error,
    );
  });

  it('resolves a relative jsonl target against the manifest folder, never the working folder', async () => {
    await escalationFromManifest({ channel: 'jsonl', target: '.charter/esc.jsonl' }, dir).send(packet('m1'));
    expect(readFileSync(join(dir, '.charter', 'esc.jsonl'), 'utf8')).toContain('"runId":"m1"');
    expect(() => escalationFromManifest({ channel: 'jsonl', target: '.charter/esc.jsonl' })).toThrow(
      expect.objectContaining({
        code: 'AGENT_BAD_OPTIONS',
        message: expect.stringContaining('relative to the manifest') as string,
      }) as Error,
    );
    const absolute = join(dir, 'abs.jsonl');
    await escalationFromManifest({ channel: 'jsonl', target: absolute }).send(packet('m2'));
    expect(readFileSync(absolute, 'utf8')).toContain('"runId":"m2"');
  });
});
