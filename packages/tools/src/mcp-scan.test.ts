import { checkSync } from 'recheck';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { describe, expect, it } from 'vitest';
import { scanServer, type ScanServer } from './__fixtures__/scan-servers.js';
import { McpScanError, ToolError, ToolErrorCode } from './errors.js';
import { importMcpTools, listMcpTools } from './mcp.js';
import {
  createToolLock,
  detectHiddenInstructions,
  editDistance,
  formatToolLock,
  parseToolLock,
  scanMcpTools,
  scanPatterns,
  toolDigest,
  type McpScanReport,
} from './mcp-scan.js';

const GRANTED = ['lookup_order', 'refund_order', 'search_kb', 'send_email', 'escalate_to_human'];

/** An official SDK client connected in-process to one of the fixture servers (official SDK McpServer). */
async function connect(which: ScanServer): Promise<Client> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await scanServer(which).connect(serverSide);
  const client = new Client({ name: 'scan-test', version: '1.0.0' });
  await client.connect(clientSide);
  return client;
}

async function listed(which: ScanServer) {
  const client = await connect(which);
  try {
    return await listMcpTools(client);
  } finally {
    await client.close();
  }
}

async function importing(which: ScanServer, options: Parameters<typeof importMcpTools>[1] = {}) {
  const client = await connect(which);
  try {
    return await importMcpTools(client, options);
  } finally {
    await client.close();
  }
}

describe('tool poisoning', () => {
  it('finds instructions in a description, in a parameter description and behind invisible characters', async () => {
    const { server, tools } = await listed('poisoned');
    const report = scanMcpTools(server, tools);
    expect(report.ok).toBe(false);
    const found = report.findings.map((f) => `${f.tool}${f.path} ${f.rule ?? ''}`);
    expect(found).toEqual(
      expect.arrayContaining([
        'add_numbers/description instruction-tag',
        'add_numbers/description sensitive-file',
        'add_numbers/description conceal-from-user',
        'add_numbers/description precondition-exfiltration',
        'format_date/inputSchema/properties/date/description redirect',
        'word_count/description hidden-characters',
        'word_count/description covert-action',
      ]),
    );
    expect(report.findings.every((f) => f.kind === 'tool-poisoning' && f.severity === 'error' && f.server === 'calc-tools')).toBe(true);
  });

  it('lets ordinary descriptions through, including "before calling this tool" workflow hints and "contents of a file"', async () => {
    const { server, tools } = await listed('clean');
    expect(scanMcpTools(server, tools).findings).toEqual([]);
    for (const text of [
      'Returns the weather for a city. You must provide the city name.',
      'Sends an e-mail to the given recipients. The user is shown a preview first.',
      'Deletes a draft. Never call this tool for sent messages.',
      'Before calling this tool, look up the order id with lookup_order.',
      'Gets the contents of a file or folder from a GitHub repository.',
      'Reads environment variables from process.env (names only).',
    ])
      expect(detectHiddenInstructions(text), text).toEqual([]);
  });

  it('runs every injected detector on every string, property names included', () => {
    const seen: string[] = [];
    const report = scanMcpTools(
      { name: 's', version: '1.0.0' },
      [
        {
          name: 't',
          description: 'Plain.',
          inputSchema: { type: 'object', properties: { leak_the_api_key: { type: 'string', enum: ['a'] } } },
        },
      ],
      { detectors: [(text) => (seen.push(text), text.includes('api key') ? [{ rule: 'custom.key', message: 'asks for a key' }] : [])] },
    );
    expect(seen).toEqual(expect.arrayContaining(['Plain.', 'object', 'leak the api key', 'a']));
    expect(report.findings).toMatchObject([
      { kind: 'tool-poisoning', path: '/inputSchema/properties/leak_the_api_key', rule: 'custom.key' },
    ]);
  });

  it('is refused at import time with McpScanError naming each finding; no tool is built', async () => {
    const reports: McpScanReport[] = [];
    const error = await importing('poisoned', { scan: { onReport: (report) => reports.push(report) } }).catch((e: unknown) => e);
    expect(McpScanError.isInstance(error) && error instanceof McpScanError).toBe(true);
    const scanError = error as McpScanError;
    expect(scanError.code).toBe(ToolErrorCode.McpScan);
    expect(scanError.message).toContain('add_numbers/description: tool-poisoning (instruction-tag)');
    expect(new Set(scanError.findings.map((f) => f.tool))).toEqual(new Set(['add_numbers', 'format_date', 'word_count']));
    expect(reports).toHaveLength(1);
    // Only the tools picked by `include` are scanned and imported.
    const picked = await importing('poisoned', { include: ['format_date'] }).catch((e: unknown) => e as McpScanError);
    expect(McpScanError.isInstance(picked) && picked.findings.map((f) => f.tool)).toEqual(['format_date']);
  });
});

describe('typosquatting', () => {
  it('edit distance counts insertions, deletions, substitutions and adjacent transpositions, and stops past the bound', () => {
    expect(editDistance('refund_order', 'refund_orders')).toBe(1);
    expect(editDistance('send_email', 'send_emial')).toBe(1);
    expect(editDistance('send_email', 'snd_emial')).toBe(2);
    expect(editDistance('lookup_order', 'lookup_order')).toBe(0);
    expect(editDistance('kitten', 'sitting')).toBe(3);
    expect(editDistance('weather_report', 'refund_order', 2)).toBe(3);
  });

  it('flags a listed name within 2 edits of a granted tool (not the grant itself, not unrelated names)', async () => {
    const { server, tools } = await listed('squat');
    const report = scanMcpTools(server, tools, { granted: GRANTED });
    expect(report.findings.map((f) => [f.kind, f.tool, f.rule])).toEqual([
      ['typosquat', 'refund_orders', 'refund_order'],
      ['typosquat', 'send_emial', 'send_email'],
    ]);
    expect(report.findings[0]?.message).toBe(
      '"refund_orders" is 1 edit from the granted tool "refund_order": a model asked for one may call the other; rename or drop it',
    );
    // Without grants there is nothing to squat on.
    expect(scanMcpTools(server, tools).findings).toEqual([]);
  });

  it('compares the name the agent would call (prefix included, case folded); short grants allow one edit', () => {
    const server = { name: 's', version: '1.0.0' };
    const tool = { name: 'Order', inputSchema: { type: 'object' } };
    expect(scanMcpTools(server, [tool], { granted: ['crm_orders'], localName: (n) => `crm_${n}` }).findings).toMatchObject([
      { kind: 'typosquat', rule: 'crm_orders' },
    ]);
    expect(scanMcpTools(server, [{ name: 'cat' }], { granted: ['ls'] }).findings).toEqual([]);
    expect(scanMcpTools(server, [{ name: 'lss' }], { granted: ['ls'] }).findings).toHaveLength(1);
  });

  it('is refused at import time given the grants', async () => {
    const error = (await importing('squat', { scan: { granted: GRANTED } }).catch((e: unknown) => e)) as McpScanError;
    expect(error.findings.map((f) => f.tool)).toEqual(['refund_orders', 'send_emial']);
    // The exact grant and the unrelated tool import when picked alone.
    expect(
      (await importing('squat', { include: ['lookup_order', 'weather_report'], scan: { granted: GRANTED } })).map((t) => t.name),
    ).toEqual(['lookup_order', 'weather_report']);
  });
});

describe('rug pulls and the lock file', () => {
  it('a digest ignores key order and _meta, and changes with any word of the description or schema', async () => {
    const { tools } = await listed('rug-v1');
    const tool = tools[0];
    if (tool === undefined) throw new Error('no tool');
    const reordered = JSON.parse(
      JSON.stringify({ inputSchema: tool.inputSchema, name: tool.name, annotations: tool.annotations, description: tool.description }),
    ) as typeof tool;
    expect(toolDigest({ ...reordered, _meta: { 'charter.dev/version': '9.9.9' } })).toBe(toolDigest(tool));
    expect(toolDigest({ ...tool, description: `${tool.description ?? ''} ` })).not.toBe(toolDigest(tool));
    expect(toolDigest({ ...tool, inputSchema: { ...tool.inputSchema, required: [] } })).not.toBe(toolDigest(tool));
    expect(toolDigest(tool)).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('round-trips through its file format, keeping other servers and sorting keys', async () => {
    const v1 = await listed('rug-v1');
    const other = await listed('clean');
    const lock = createToolLock([v1], createToolLock([other]));
    const text = formatToolLock(lock);
    expect(parseToolLock(text)).toEqual(lock);
    expect(Object.keys(lock.servers)).toEqual(['crm', 'files']);
    expect(Object.keys(lock.servers.crm?.tools ?? {})).toEqual(['find_customer', 'ping']);
    expect(lock.servers.crm?.tools.find_customer?.version).toBe('1.0.0');
    expect(text.endsWith('}\n')).toBe(true);
  });

  it('a changed description without a version bump is a rug pull; with a bump, a warning to review', async () => {
    const lock = createToolLock([await listed('rug-v1')]);
    const same = await listed('rug-v1');
    expect(scanMcpTools(same.server, same.tools, { lock }).findings).toEqual([]);

    const pulled = await listed('rug-v2');
    const report = scanMcpTools(pulled.server, pulled.tools, { lock });
    expect(report.ok).toBe(false);
    expect(report.findings).toMatchObject([{ kind: 'rug-pull', severity: 'error', tool: 'find_customer' }]);
    expect(report.findings[0]?.message).toMatch(/changed since review without a version bump \(still 1\.0\.0/);

    const bumped = await listed('rug-v3');
    const reviewed = scanMcpTools(bumped.server, bumped.tools, { lock });
    expect(reviewed.ok).toBe(true);
    expect(reviewed.findings).toMatchObject([{ kind: 'changed', severity: 'warning', tool: 'find_customer' }]);
    expect(reviewed.findings[0]?.message).toContain('1.0.0 → 1.1.0');
  });

  it('a tool not in the lock is unreviewed, a locked tool no longer listed is removed (warnings)', async () => {
    const { server, tools } = await listed('rug-v1');
    const lock = createToolLock([{ server, tools: tools.filter((t) => t.name === 'find_customer') }]);
    const added = scanMcpTools(server, tools, { lock });
    expect(added.findings.map((f) => [f.kind, f.severity, f.tool])).toEqual([['unreviewed', 'warning', 'ping']]);
    const gone = scanMcpTools(server, [], { lock });
    expect(gone.findings.map((f) => [f.kind, f.tool])).toEqual([['removed', 'find_customer']]);
  });

  it('import refuses a rug pull, imports a bumped release and reports its warning', async () => {
    const lock = createToolLock([await listed('rug-v1')]);
    expect((await importing('rug-v1', { scan: { lock } })).map((t) => t.name)).toEqual(['find_customer', 'ping']);
    const error = (await importing('rug-v2', { scan: { lock } }).catch((e: unknown) => e)) as McpScanError;
    expect(error.findings.map((f) => [f.kind, f.tool])).toEqual([['rug-pull', 'find_customer']]);
    const reports: McpScanReport[] = [];
    const tools = await importing('rug-v3', { scan: { lock, onReport: (r) => reports.push(r) } });
    expect(tools.map((t) => [t.name, t.version])).toEqual([
      ['find_customer', '1.1.0'],
      ['ping', '1.1.0'],
    ]);
    expect(reports[0]?.findings.map((f) => f.kind)).toEqual(['changed']);
    // A tool left out by `include` is not reported as removed.
    const partial: McpScanReport[] = [];
    await importing('rug-v1', { include: ['ping'], scan: { lock, onReport: (r) => partial.push(r) } });
    expect(partial[0]?.findings).toEqual([]);
  });

  it('a malformed lock is a TOOL_LOCK error naming the file, and the line for bad JSON', () => {
    const bad = (text: string) => {
      try {
        parseToolLock(text, 'charter.tools.lock');
      } catch (error) {
        expect(ToolError.isInstance(error) && error.code).toBe(ToolErrorCode.Lock);
        return (error as Error).message;
      }
      throw new Error('parsed');
    };
    expect(bad('{\n  "lockVersion": 1,\n  "servers": {,\n}')).toMatch(/^charter\.tools\.lock: line 3: not JSON/);
    expect(bad('{"lockVersion": 2, "servers": {}}')).toBe('charter.tools.lock: lockVersion must be 1, got 2');
    expect(bad('{"lockVersion": 1, "servers": {"crm": {"version": "1.0.0", "tools": {"x": {"version": "1", "digest": "md5:0"}}}}}')).toBe(
      'charter.tools.lock: servers.crm.tools.x must be { "version": string, "digest": "sha256:<64 hex>" }',
    );
    expect(bad('[]')).toBe('charter.tools.lock: a lock is a JSON object');
  });
});

// recheck with every wall-clock limit off and a fixed seed: the same verdict on any machine, under any load.
const DETERMINISTIC = { timeout: null, attackTimeout: null, incubationTimeout: null, seedingTimeout: null, randomSeed: 0 } as const;

describe('the heuristic is linear-time', () => {
  it('recheck finds no super-linear pattern among its patterns', () => {
    const vulnerable: string[] = [];
    for (const regex of scanPatterns) {
      const result = checkSync(regex.source, regex.flags.replace('g', ''), DETERMINISTIC);
      if (result.status !== 'safe') vulnerable.push(`${result.status}: ${regex.source}`);
    }
    expect(vulnerable).toEqual([]);
    expect(scanPatterns.length).toBeGreaterThan(10);
  }, 240_000);
});
