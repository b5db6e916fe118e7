// A plain MCP server written with the official SDK's McpServer (spawned by mcp.test.ts), so our
// importer is tested against a server it did not produce. `weather` is read-only; `add_note` writes.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { z } from 'zod';

export function buildSdkServer(notes: string[]): McpServer {
  const server = new McpServer({ name: 'sdk-weather', version: '3.1.0' });
  server.registerTool(
    'getWeather',
    {
      description: 'Current temperature of a city.',
      inputSchema: { city: z.string().min(2), unit: z.enum(['c', 'f']).optional() },
      outputSchema: { city: z.string(), temperature: z.number() },
      annotations: { readOnlyHint: true },
    },
    ({ city, unit }) => {
      if (city === 'Atlantis') return { isError: true, content: [{ type: 'text', text: 'unknown city Atlantis' }] };
      const temperature = unit === 'f' ? 68 : 20;
      return { content: [{ type: 'text', text: `${city}: ${temperature}` }], structuredContent: { city, temperature } };
    },
  );
  server.registerTool(
    'add_note',
    { description: 'Appends a note.', inputSchema: { text: z.string().max(200) }, annotations: { destructiveHint: false } },
    ({ text }) => {
      notes.push(text);
      return { content: [{ type: 'text', text: `saved ${notes.length}` }] };
    },
  );
  return server;
}

if (process.argv[2] === 'stdio') {
  await buildSdkServer([]).connect(new StdioServerTransport());
}
