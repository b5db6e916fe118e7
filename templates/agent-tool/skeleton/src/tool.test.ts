// Contract tests: what the tool accepts and refuses, what it returns, that the committed contract is
// the code's, and that it serves over MCP through Charter's executor.
import { readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { createExecutor, exportToolSchema, MemoryLedger } from '@charter/tools';
import { serveHttp } from '@charter/tools/mcp';
import { describe, expect, it } from 'vitest';
import { tool } from './tool.js';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };

describe('the tool contract', () => {
  it('is versioned with the package', () => {
    expect(tool.version).toBe(pkg.version);
  });

  it('is the committed contract/tool.json (run "npm run contract" after changing it, and commit the file)', () => {
    const committed = JSON.parse(readFileSync(new URL('../contract/tool.json', import.meta.url), 'utf8')) as unknown;
    expect(exportToolSchema(tool)).toEqual(committed);
  });

  it('answers a valid call and refuses a malformed one', async () => {
    const executor = createExecutor([tool], { ledger: new MemoryLedger() });
    expect(await executor.execute(tool.name, { recordId: 'REC-1001' }, { runId: 'r1' })).toMatchObject({
      ok: true,
      value: { found: true, record: { status: 'open' } },
    });
    expect(await executor.execute(tool.name, { recordId: 'REC-9999' }, { runId: 'r1' })).toMatchObject({
      ok: true,
      value: { found: false },
    });
    expect(await executor.execute(tool.name, { recordId: '1; DROP TABLE' }, { runId: 'r1' })).toMatchObject({ ok: false });
    expect(await executor.execute(tool.name, { recordId: 'REC-1001', extra: true }, { runId: 'r1' })).toMatchObject({ ok: false });
    await executor.close();
  });

  it('serves over MCP: a client lists it and calls it', async () => {
    const server = await serveHttp(createExecutor([tool], { ledger: new MemoryLedger() }));
    const client = new Client({ name: 'contract-test', version: '1.0.0' });
    try {
      await client.connect(new StreamableHTTPClientTransport(server.url));
      const { tools } = await client.listTools();
      expect(tools.map((listed) => listed.name)).toEqual([tool.name]);
      const result = await client.callTool({ name: tool.name, arguments: { recordId: 'REC-1002' } });
      expect(JSON.stringify(result.content)).toContain('closed');
    } finally {
      await client.close();
      await server.close();
    }
  });
});
