import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSdkServer } from './__fixtures__/sdk-mcp-server.js';
import { supportTools } from './__fixtures__/support-tools.js';
import { createExecutor, MemoryLedger, ToolErrorCode } from './index.js';
import { importMcpTools, MCP_ERROR_META, MCP_IDEMPOTENCY_META, serveHttp } from './mcp.js';

const tsxArgs = (file: string, ...rest: string[]) => [
  '--conditions=@charter/source',
  '--import',
  'tsx',
  fileURLToPath(new URL(file, import.meta.url)),
  ...rest,
];
const text = (result: unknown) =>
  (((result as { content?: unknown }).content as { text?: string }[] | undefined) ?? []).map((c) => c.text ?? '').join('');

describe('our MCP server, official SDK client', () => {
  describe('over stdio (child process)', () => {
    const client = new Client({ name: 'test', version: '1.0.0' });
    beforeAll(async () => {
      await client.connect(
        new StdioClientTransport({ command: process.execPath, args: tsxArgs('./__fixtures__/charter-mcp-server.ts'), stderr: 'pipe' }),
      );
    });
    afterAll(async () => {
      await client.close();
    });

    it('lists tools with JSON Schemas and side-effect annotations', async () => {
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['lookup_order', 'refund_order', 'slow_report']);
      const refund = tools.find((t) => t.name === 'refund_order');
      expect(refund?.annotations).toMatchObject({ readOnlyHint: false, destructiveHint: true, idempotentHint: true });
      expect(refund?.inputSchema.required).toEqual(['orderId', 'amount']);
      expect(tools[0]?.outputSchema?.properties).toHaveProperty('status');
      expect(client.getServerVersion()).toMatchObject({ name: 'charter-support', version: '1.2.0' });
    });

    it('runs a call through the executor and returns structured content', async () => {
      const result = await client.callTool({ name: 'lookup_order', arguments: { orderId: 'A-1' } });
      expect(result.isError).toBeFalsy();
      expect(result.structuredContent).toEqual({ orderId: 'A-1', status: 'shipped', total: 42.5 });
    });

    it('reports executor failures as tool errors with a stable code', async () => {
      const invalid = await client.callTool({ name: 'lookup_order', arguments: { orderId: 'nope' } });
      expect(invalid.isError).toBe(true);
      expect(text(invalid)).toMatch(/^TOOL_INPUT: .*orderId/);
      expect((invalid._meta as Record<string, unknown>)[MCP_ERROR_META]).toEqual({ code: 'TOOL_INPUT', retriable: false });
      const slow = await client.callTool({ name: 'slow_report', arguments: {} });
      expect(text(slow)).toMatch(/^TOOL_TIMEOUT/);
      const missing = await client.callTool({ name: 'lookup_order', arguments: { orderId: 'A-404' } });
      expect(text(missing)).toBe('TOOL_FAILED: order A-404 does not exist');
    });
  });

  describe('over Streamable HTTP on 127.0.0.1', () => {
    const effects = { refunds: 0 };
    const executor = createExecutor(supportTools(effects), { ledger: new MemoryLedger() });
    let server: Awaited<ReturnType<typeof serveHttp>>;
    const client = new Client({ name: 'test', version: '1.0.0' });
    beforeAll(async () => {
      server = await serveHttp(executor);
      expect(server.url.hostname).toBe('127.0.0.1');
      await client.connect(new StreamableHTTPClientTransport(server.url));
    });
    afterAll(async () => {
      await client.close();
      await server.close();
    });

    it('keeps the idempotency guarantee across MCP calls', async () => {
      const first = await client.callTool({ name: 'refund_order', arguments: { orderId: 'A-5', amount: 10 } });
      const second = await client.callTool({ name: 'refund_order', arguments: { orderId: 'A-5', amount: 10 } });
      expect(first.structuredContent).toEqual({ refundId: 'R-A-5', count: 1 });
      expect(second.structuredContent).toEqual({ refundId: 'R-A-5', count: 1 });
      expect((second._meta as Record<string, { replayed: boolean }>)['charter.dev/meta']?.replayed).toBe(true);
      expect(effects.refunds).toBe(1);
      await client.callTool({
        name: 'refund_order',
        arguments: { orderId: 'A-5', amount: 10 },
        _meta: { [MCP_IDEMPOTENCY_META]: 'other-key' },
      });
      expect(effects.refunds).toBe(2);
    });

    it('answers other paths and methods without MCP', async () => {
      expect((await fetch(new URL('/other', server.url))).status).toBe(404);
      expect((await fetch(server.url)).status).toBe(405);
    });
  });
});

describe('importMcpTools against an official SDK server', () => {
  it('imports over stdio and runs the tools through our executor', async () => {
    const client = new Client({ name: 'importer', version: '1.0.0' });
    await client.connect(
      new StdioClientTransport({ command: process.execPath, args: tsxArgs('./__fixtures__/sdk-mcp-server.ts', 'stdio'), stderr: 'pipe' }),
    );
    try {
      const tools = await importMcpTools(client, { prefix: 'wx_' });
      expect(tools.map((t) => [t.name, t.version, t.sideEffects])).toEqual([
        ['wx_getweather', '3.1.0', 'none'],
        ['wx_add_note', '3.1.0', 'reversible'],
      ]);
      const executor = createExecutor(tools);
      const ok = await executor.execute('wx_getweather', { city: 'Oslo', unit: 'f' }, { runId: 'r' });
      expect(ok.ok && ok.value).toEqual({ city: 'Oslo', temperature: 68 });
      const invalid = await executor.execute('wx_getweather', { city: 'X', unit: 'k' }, { runId: 'r' });
      expect(!invalid.ok && invalid.error.issues?.map((i) => i.path.join('.'))).toEqual(['city', 'unit']);
      const remoteError = await executor.execute('wx_getweather', { city: 'Atlantis' }, { runId: 'r' });
      expect(!remoteError.ok && remoteError.error).toMatchObject({
        code: ToolErrorCode.Failed,
        message: expect.stringContaining('unknown city Atlantis') as unknown,
      });
      const note = await executor.execute('wx_add_note', { text: 'hello' }, { runId: 'r' });
      expect(note.ok && note.value).toEqual({ content: [{ type: 'text', text: 'saved 1' }] });
    } finally {
      await client.close();
    }
  });

  it('imports over Streamable HTTP; invalid input never reaches the server', async () => {
    const notes: string[] = [];
    const http = createServer((req, res) => {
      const server = buildSdkServer(notes);
      const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
      res.on('close', () => {
        void transport.close();
        void server.close();
      });
      void server.connect(transport).then(() => transport.handleRequest(req, res));
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    const client = new Client({ name: 'importer', version: '1.0.0' });
    await client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`)));
    try {
      const tools = await importMcpTools(client, {
        include: ['add_note'],
        overrides: { add_note: { sideEffects: 'irreversible', idempotencyKey: (input) => (input as { text: string }).text } },
      });
      const executor = createExecutor(tools, { ledger: new MemoryLedger() });
      expect((await executor.execute('add_note', { text: 'x'.repeat(201) }, { runId: 'r' })).ok).toBe(false);
      expect(notes).toEqual([]);
      await executor.execute('add_note', { text: 'once' }, { runId: 'r' });
      const again = await executor.execute('add_note', { text: 'once' }, { runId: 'r' });
      expect(again.meta.replayed).toBe(true);
      expect(notes).toEqual(['once']);
    } finally {
      await client.close();
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }
  });
});
