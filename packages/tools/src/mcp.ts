import { createServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  ListToolsRequestSchema,
  McpError,
  type Tool as McpTool,
} from '@modelcontextprotocol/sdk/types.js';
import { semver } from './semver-lazy.js';
import { z } from 'zod';
import { toJson } from './classify.js';
import { type AnyTool, defineTool, type SideEffects } from './define.js';
import { McpScanError, PermanentToolError, ToolError, ToolErrorCode, TransientToolError } from './errors.js';
import {
  type InstructionDetector,
  type McpScanFinding,
  type McpScanReport,
  type McpServerInfo,
  scanMcpTools,
  type ToolLock,
} from './mcp-scan.js';
import type { ExecuteContext, Executor } from './executor.js';
import { exportToolSchema, type JsonSchema } from './schema.js';

/** `_meta` key under which a Charter server reports `{ code, retriable }` of a failed call. */
export const MCP_ERROR_META = 'charter.dev/error';
/** `_meta` key a client may set on `tools/call` to give the call's idempotency key. */
export const MCP_IDEMPOTENCY_META = 'charter.dev/idempotency-key';

export interface McpServeOptions {
  /** Server name announced to clients; default `charter-tools`. */
  readonly name?: string;
  /** Server version announced to clients; default `0.1.0`. */
  readonly version?: string;
  /** Run every call in simulate mode (shadow traffic); default `live`. */
  readonly mode?: 'live' | 'simulate';
  /** The run id given to the executor; default `mcp:<session id or "stateless">`. */
  readonly runId?: (sessionId: string | undefined) => string;
}

/**
 * An MCP server (official SDK, low-level `Server`) exposing the executor's tools: `tools/list` with
 * each tool's JSON Schemas and annotations (readOnly / destructive / idempotent hints from its side
 * effects); `tools/call` through `executor.execute`, so every guarantee (validation, timeouts,
 * retries, breaker, bulkhead, idempotency, least privilege, hooks) holds. Connect it to any transport.
 */
export function createMcpServer(executor: Executor, options: McpServeOptions = {}): McpServer {
  const listed: McpTool[] = executor.names.map((name) => {
    const described = executor.describe(name);
    if (described === undefined) throw new ToolError(ToolErrorCode.Mcp, `tool "${name}" disappeared from the executor`);
    const exported = exportToolSchema(described.tool);
    const input = stripMeta(exported.input);
    if (input.type !== 'object')
      throw new ToolError(ToolErrorCode.Mcp, `tool "${name}" cannot be served over MCP: its input must be an object schema`);
    const output = stripMeta(exported.output);
    const tool: McpTool = {
      name,
      description: exported.description,
      inputSchema: input as McpTool['inputSchema'],
      annotations: {
        readOnlyHint: exported.sideEffects === 'none',
        destructiveHint: exported.sideEffects === 'irreversible',
        idempotentHint: exported.sideEffects === 'none' || described.tool.idempotencyKey !== undefined,
      },
      _meta: { 'charter.dev/version': exported.version, 'charter.dev/sideEffects': exported.sideEffects },
    };
    if (output.type === 'object') tool.outputSchema = output as NonNullable<McpTool['outputSchema']>;
    return tool;
  });
  const objectOutput = new Set(listed.filter((tool) => tool.outputSchema !== undefined).map((tool) => tool.name));
  const mcp = new McpServer(
    { name: options.name ?? 'charter-tools', version: options.version ?? '0.1.0' },
    { capabilities: { tools: {} } },
  );
  // The low-level handlers: our tools carry their own JSON Schemas and run through the executor.
  const server = mcp.server;
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: listed }));
  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const key = request.params._meta?.[MCP_IDEMPOTENCY_META];
    const context: { -readonly [K in keyof ExecuteContext]: ExecuteContext[K] } = {
      runId: options.runId?.(extra.sessionId) ?? `mcp:${extra.sessionId ?? 'stateless'}`,
      callId: `mcp:${extra.sessionId ?? 'stateless'}:${String(extra.requestId)}`,
      signal: extra.signal,
      mode: options.mode ?? 'live',
    };
    if (typeof key === 'string' && key.length > 0 && key.length <= 256) context.idempotencyKey = key;
    const result = await executor.execute(request.params.name, request.params.arguments ?? {}, context);
    if (!result.ok) {
      return {
        isError: true,
        content: [{ type: 'text', text: `${result.error.code}: ${result.error.message}` }],
        _meta: { [MCP_ERROR_META]: { code: result.error.code, retriable: result.error.retriable }, 'charter.dev/meta': { ...result.meta } },
      };
    }
    const text = toJson(result.value) ?? 'null';
    const reply: CallToolResult = { content: [{ type: 'text', text }], _meta: { 'charter.dev/meta': { ...result.meta } } };
    if (objectOutput.has(request.params.name)) reply.structuredContent = result.value as Record<string, unknown>;
    return reply;
  });
  return mcp;
}

/** Serves the executor over stdio (this process's stdin/stdout). */
export async function serveStdio(executor: Executor, options: McpServeOptions = {}): Promise<{ close(): Promise<void> }> {
  const server = createMcpServer(executor, options);
  await server.connect(new StdioServerTransport());
  return { close: () => server.close() };
}

export interface McpHttpOptions extends McpServeOptions {
  /** Default `127.0.0.1`. */
  readonly host?: string;
  /** Default 0 (a free port). */
  readonly port?: number;
  /** Default `/mcp`. */
  readonly path?: string;
}

/**
 * Serves the executor over Streamable HTTP in stateless mode (a fresh MCP server per request; the
 * executor, and so breakers, bulkheads and the ledger, is shared). Resolves once listening.
 */
export async function serveHttp(executor: Executor, options: McpHttpOptions = {}): Promise<{ readonly url: URL; close(): Promise<void> }> {
  const path = options.path ?? '/mcp';
  const http: HttpServer = createServer((req, res) => {
    void handle(req, res);
  });
  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((req.url ?? '').split('?')[0] !== path) {
      res.writeHead(404).end();
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(405, { allow: 'POST' }).end();
      return;
    }
    const server = createMcpServer(executor, options);
    const transport = new StreamableHTTPServerTransport({ enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void server.close();
    });
    try {
      await server.connect(transport);
      await transport.handleRequest(req, res);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32603, message: (error as Error).message }, id: null }));
    }
  };
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: new URL(`http://${host}:${address.port}${path}`),
    close: () =>
      new Promise<void>((resolve, reject) => {
        http.closeAllConnections();
        http.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

/** How to wrap one imported MCP tool; everything is optional. */
export interface McpToolOverride {
  readonly sideEffects?: SideEffects;
  readonly scopes?: readonly string[];
  readonly version?: string;
  readonly timeoutMs?: number;
  readonly idempotencyKey?: (input: unknown) => string;
}

export interface McpImportOptions {
  /** Prefix of the imported names, e.g. `crm_`. */
  readonly prefix?: string;
  /** Import only these MCP tool names. */
  readonly include?: readonly string[];
  /** Version of every imported tool; default the server's version when it is semver, else `0.0.0`. */
  readonly version?: string;
  readonly timeoutMs?: number;
  readonly overrides?: Readonly<Record<string, McpToolOverride>>;
  /** The import-time security scan (always runs; see `McpImportScan`). */
  readonly scan?: McpImportScan;
}

/**
 * What the import-time scan (`scanMcpTools`) checks besides tool poisoning, which it always checks:
 * an error finding (poisoning, a typosquat of `granted`, a rug pull against `lock`) refuses the whole
 * import with `McpScanError`; warnings (unreviewed, changed with a version bump, removed) go to `onReport`.
 */
export interface McpImportScan {
  /** The agent's granted tool names (its manifest's `spec.tools`), compared with each imported name (prefix included). */
  readonly granted?: readonly string[];
  /** The reviewed lock (`parseToolLock` of `charter.tools.lock`). */
  readonly lock?: ToolLock;
  /** Instruction detectors; default `[detectHiddenInstructions]`. Pass the guardrails' injection detector here too. */
  readonly detectors?: readonly InstructionDetector[];
  /** Called with the report before the import is refused or goes on. */
  readonly onReport?: (report: McpScanReport) => void;
}

/** Every tool a connected server lists (all pages, at most 10,000) and the server's name and version. */
export async function listMcpTools(client: Client): Promise<{ readonly server: McpServerInfo; readonly tools: McpTool[] }> {
  const info = client.getServerVersion();
  if (info === undefined) throw new ToolError(ToolErrorCode.Mcp, 'the MCP client is not connected: call client.connect(transport) first');
  const tools: McpTool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? undefined : { cursor });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined && tools.length < 10_000);
  return { server: { name: info.name, version: info.version }, tools };
}

/**
 * Imports the tools of a connected MCP client as Charter tools: JSON Schema input and output become
 * zod schemas (`z.fromJSONSchema`), annotations become side effects (readOnlyHint → none,
 * destructiveHint false → reversible, otherwise irreversible, as MCP assumes), and each call goes
 * through `client.callTool` with the attempt's signal. Run them through `createExecutor` like any tool.
 * The import is scanned first (`options.scan`): tool poisoning, typosquats of granted tools and rug pulls
 * against the lock refuse it with `McpScanError` before any tool is built.
 */
export async function importMcpTools(client: Client, options: McpImportOptions = {}): Promise<AnyTool[]> {
  const { server: serverInfo, tools } = await listMcpTools(client);
  const version = options.version ?? (semver.valid(serverInfo.version) !== null ? serverInfo.version : '0.0.0');
  const selected = options.include === undefined ? tools : tools.filter((remote) => options.include?.includes(remote.name) === true);
  const scan = options.scan ?? {};
  const scanned = scanMcpTools(serverInfo, selected, {
    localName: (name) => localName(`${options.prefix ?? ''}${name}`),
    ...(scan.granted === undefined ? {} : { granted: scan.granted }),
    ...(scan.lock === undefined ? {} : { lock: scan.lock }),
    ...(scan.detectors === undefined ? {} : { detectors: scan.detectors }),
  });
  // A reviewed tool left out by `include` is not "removed".
  const listed = new Set(tools.map((remote) => remote.name));
  const findings: McpScanFinding[] = scanned.findings.filter((finding) => finding.kind !== 'removed' || !listed.has(finding.tool));
  const report: McpScanReport = { ...scanned, findings };
  scan.onReport?.(report);
  const errors = findings.filter((finding) => finding.severity === 'error');
  if (errors.length > 0) throw new McpScanError(errors);
  const imported: AnyTool[] = [];
  for (const remote of selected) {
    const override = options.overrides?.[remote.name] ?? {};
    const name = localName(`${options.prefix ?? ''}${remote.name}`);
    const input = toZod(remote.name, 'input', remote.inputSchema);
    const hasOutput = remote.outputSchema !== undefined;
    const output = hasOutput
      ? toZod(remote.name, 'output', remote.outputSchema as JsonSchema)
      : z.object({ content: z.array(z.unknown()) });
    const annotations = remote.annotations;
    const sideEffects: SideEffects =
      override.sideEffects ??
      (annotations?.readOnlyHint === true ? 'none' : annotations?.destructiveHint === false ? 'reversible' : 'irreversible');
    const timeoutMs = override.timeoutMs ?? options.timeoutMs ?? 30_000;
    const definition = {
      name,
      version: override.version ?? version,
      description: (remote.description ?? remote.title ?? remote.name).slice(0, 2000) || remote.name,
      input,
      output,
      sideEffects,
      scopes: override.scopes ?? [],
      timeoutMs,
      async execute(args: unknown, ctx: { readonly signal: AbortSignal; readonly idempotencyKey: string | undefined }): Promise<unknown> {
        let result: Awaited<ReturnType<Client['callTool']>>;
        try {
          result = await client.callTool(
            {
              name: remote.name,
              arguments: args as Record<string, unknown>,
              ...(ctx.idempotencyKey === undefined ? {} : { _meta: { [MCP_IDEMPOTENCY_META]: ctx.idempotencyKey } }),
            },
            undefined,
            { signal: ctx.signal, timeout: timeoutMs },
          );
        } catch (error) {
          if (
            error instanceof McpError &&
            (error.code === (ErrorCode.ConnectionClosed as number) || error.code === (ErrorCode.RequestTimeout as number))
          ) {
            throw new TransientToolError(`MCP tool "${remote.name}": ${error.message}`, { cause: error });
          }
          if (error instanceof McpError) throw new PermanentToolError(`MCP tool "${remote.name}": ${error.message}`, { cause: error });
          throw error;
        }
        if (result.isError === true) {
          const content = Array.isArray(result.content) ? (result.content as { type: string; text?: string }[]) : [];
          const text = content
            .map((part) => (part.type === 'text' ? (part.text ?? '') : `[${part.type}]`))
            .join(' ')
            .slice(0, 1000);
          const reported = (result._meta as Record<string, unknown> | undefined)?.[MCP_ERROR_META] as { retriable?: unknown } | undefined;
          const message = `MCP tool "${remote.name}" failed: ${text}`;
          throw reported?.retriable === true ? new TransientToolError(message) : new PermanentToolError(message);
        }
        return hasOutput ? result.structuredContent : { content: result.content };
      },
    };
    imported.push(
      defineTool({
        ...definition,
        ...(override.idempotencyKey === undefined ? {} : { idempotencyKey: override.idempotencyKey }),
      }),
    );
  }
  return imported;
}

function stripMeta(schema: JsonSchema): JsonSchema {
  const { $schema: _ignored, ...rest } = schema;
  return rest;
}

function localName(name: string): string {
  let out = '';
  for (const char of name.slice(0, 64)) out += /[a-z0-9_-]/.test(char) ? char : /[A-Z]/.test(char) ? char.toLowerCase() : '_';
  if (!/^[a-z]/.test(out))
    throw new ToolError(ToolErrorCode.Mcp, `MCP tool "${name}" has no usable name: give it a prefix that starts with a letter`);
  return out;
}

function toZod(tool: string, side: 'input' | 'output', schema: JsonSchema): z.ZodType {
  try {
    return z.fromJSONSchema(schema);
  } catch (error) {
    throw new ToolError(ToolErrorCode.Mcp, `cannot read the ${side} JSON Schema of MCP tool "${tool}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}
