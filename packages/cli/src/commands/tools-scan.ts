import { existsSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compilePolicy } from '@charter/guardrails';
import { loadAgent, MANIFEST_FILE } from '@charter/spec';
import {
  createToolLock,
  detectHiddenInstructions,
  formatToolLock,
  parseToolLock,
  scanMcpTools,
  ToolError,
  ToolErrorCode,
  type InstructionDetector,
  type McpScanReport,
  type McpServerInfo,
  type McpToolDescriptor,
  type ToolLock,
} from '@charter/tools';
import { ExitCode, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath, shown, writeOutput } from '../files.js';

/** The lock file `charter tools scan` reads and `--write-lock` writes, in the working folder unless `--lock` says otherwise. */
export const LOCK_FILE = 'charter.tools.lock';
const CONNECT_TIMEOUT_MS = 20_000;
const MAX_BYTES = 4 * 1024 * 1024;

export interface ScanFlags {
  readonly url?: string | undefined;
  readonly from?: string | undefined;
  /** The stdio server's command line (the words after `--`). */
  readonly command: readonly string[];
  readonly agent?: string | undefined;
  readonly lock?: string | undefined;
  readonly writeLock: boolean;
  readonly json: boolean;
}

/**
 * The guardrails' prompt-injection detector (content origin, threshold 0.4 as the recommended pack uses
 * for tool results) as an instruction detector: tool metadata is content a model reads, never the user.
 */
function injectionDetector(): InstructionDetector {
  const engine = compilePolicy({ version: '1.0.0', hooks: { 'tool-result': [{ detector: 'injection', action: 'deny', threshold: 0.4 }] } });
  return (text) =>
    engine
      .evaluate({ hook: 'tool-result', content: text })
      .findings.filter((finding) => finding.detector === 'injection')
      .map((finding) => ({ rule: finding.ruleId, message: finding.message }));
}

/** The tools of one server: over stdio (a child process), Streamable HTTP, or a saved `tools/list` answer. */
async function listTools(io: Io, flags: ScanFlags): Promise<{ server: McpServerInfo; tools: McpToolDescriptor[] }> {
  if (flags.from !== undefined) {
    const path = inputPath(io, flags.from, 'saved tool list');
    const text = readFileSync(path, 'utf8');
    if (text.length > MAX_BYTES) throw new ToolError(ToolErrorCode.Mcp, `${flags.from} is larger than ${MAX_BYTES} bytes`);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new ToolError(ToolErrorCode.Mcp, `${flags.from} is not JSON: ${(error as Error).message}`);
    }
    const saved = json as { serverInfo?: { name?: unknown; version?: unknown }; tools?: unknown };
    const info = saved.serverInfo;
    if (
      typeof info?.name !== 'string' ||
      typeof info.version !== 'string' ||
      !Array.isArray(saved.tools) ||
      !saved.tools.every((tool) => typeof (tool as { name?: unknown } | null)?.name === 'string')
    )
      throw new ToolError(
        ToolErrorCode.Mcp,
        `${flags.from} is not a saved tool list: expected { "serverInfo": { "name", "version" }, "tools": [{ "name", … }] }`,
      );
    return { server: { name: info.name, version: info.version }, tools: saved.tools as McpToolDescriptor[] };
  }
  // The MCP SDK is loaded only for a live server.
  const [{ Client }, { listMcpTools }] = await Promise.all([
    import('@modelcontextprotocol/sdk/client/index.js'),
    import('@charter/tools/mcp'),
  ]);
  const client = new Client({ name: 'charter-tools-scan', version: '1.0.0' });
  let where: string;
  let transport;
  if (flags.url !== undefined) {
    let url: URL;
    try {
      url = new URL(flags.url);
    } catch {
      throw usageError(`--url must be an http(s) URL, got "${flags.url}"`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw usageError(`--url must be an http(s) URL, got "${flags.url}"`);
    const { StreamableHTTPClientTransport } = await import('@modelcontextprotocol/sdk/client/streamableHttp.js');
    transport = new StreamableHTTPClientTransport(url);
    where = url.href;
  } else {
    const [command = '', ...args] = flags.command;
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    transport = new StdioClientTransport({ command, args, cwd: io.cwd, stderr: 'pipe' });
    where = flags.command.join(' ');
  }
  try {
    await client.connect(transport, { timeout: CONNECT_TIMEOUT_MS });
  } catch (error) {
    await client.close().catch(() => undefined);
    throw new CliError(CliErrorCode.Io, `cannot reach the MCP server (${where}): ${(error as Error).message}`, { cause: error });
  }
  try {
    return await listMcpTools(client);
  } finally {
    await client.close();
  }
}

/** The agent's granted tool names, or the problems that keep its manifest from loading. */
function grantedTools(io: Io, file: string): { granted?: string[]; problems?: string[] } {
  const path = inputPath(io, file, 'Agent manifest', { folder: true });
  if (statSync(path).isDirectory()) inputPath(io, join(path, MANIFEST_FILE), 'Agent manifest');
  const agent = loadAgent(path);
  if (agent.manifest === undefined)
    return {
      problems: agent.issues
        .filter((issue) => issue.severity === 'error')
        .map((issue) => `${shown(io, issue.file)}:${issue.line}:${issue.column}: error: ${issue.message} [${issue.code}]`),
    };
  return { granted: agent.manifest.spec.tools.map((tool) => tool.name) };
}

/**
 * `charter tools scan`: lists one MCP server's tools and checks them for tool poisoning (the built-in
 * heuristic and the guardrails' injection detector), typosquats of the agent's grants (`--agent`) and rug
 * pulls against the lock; `--write-lock` records the reviewed tools. Exit 1 on any error finding.
 */
export async function runScan(io: Io, flags: ScanFlags): Promise<ExitCode> {
  const sources = [flags.url !== undefined, flags.from !== undefined, flags.command.length > 0].filter(Boolean).length;
  if (sources !== 1)
    throw usageError(
      sources === 0
        ? 'name the MCP server: --url <http-url>, --from <tools.json>, or -- <command> [args...] for stdio'
        : 'name one MCP server: --url, --from or a stdio command, not several',
    );
  let granted: string[] | undefined;
  if (flags.agent !== undefined) {
    const loaded = grantedTools(io, flags.agent);
    if (loaded.problems !== undefined) {
      for (const line of loaded.problems) io.stderr(`${line}\n`);
      io.stderr(`charter tools: the Agent manifest ${flags.agent} does not load; fix it to read its grants\n`);
      return ExitCode.Failed;
    }
    granted = loaded.granted;
  }
  const lockPath = resolve(io.cwd, flags.lock ?? LOCK_FILE);
  let lock: ToolLock | undefined;
  try {
    // A lock named with --lock must exist unless it is being written; the default one is optional.
    if (existsSync(lockPath) || (flags.lock !== undefined && !flags.writeLock)) {
      const path = inputPath(io, flags.lock ?? LOCK_FILE, 'tool lock');
      lock = parseToolLock(readFileSync(path, 'utf8'), shown(io, path));
    }
    const { server, tools } = await listTools(io, flags);
    const report = scanMcpTools(server, tools, {
      ...(granted === undefined ? {} : { granted }),
      ...(lock === undefined ? {} : { lock }),
      detectors: [detectHiddenInstructions, injectionDetector()],
    });
    // Writing the lock records a review: it accepts changed descriptions (rug pulls included), never poisoning or a look-alike name.
    const blocking = report.findings.filter((finding) => finding.kind === 'tool-poisoning' || finding.kind === 'typosquat');
    let wrote = false;
    if (flags.writeLock && blocking.length === 0) {
      writeOutput(io, lockPath, formatToolLock(createToolLock([{ server, tools }], lock)));
      wrote = true;
    }
    print(io, flags, report, lock === undefined ? undefined : shown(io, lockPath), wrote ? shown(io, lockPath) : undefined);
    if (flags.writeLock && !wrote)
      io.stderr(`charter tools: ${shown(io, lockPath)} not written: remove the tool poisoning and look-alike names first\n`);
    if (flags.writeLock) return wrote ? ExitCode.Ok : ExitCode.Failed;
    return report.ok ? ExitCode.Ok : ExitCode.Failed;
  } catch (error) {
    if (!ToolError.isInstance(error)) throw error;
    io.stderr(`${error.code}: ${error.message}\n`);
    return ExitCode.Failed;
  }
}

function print(io: Io, flags: ScanFlags, report: McpScanReport, lock: string | undefined, wrote: string | undefined): void {
  if (flags.json) {
    io.stdout(`${JSON.stringify({ ...report, lock: lock ?? null, wroteLock: wrote ?? null }, null, 2)}\n`);
    return;
  }
  const errors = report.findings.filter((finding) => finding.severity === 'error').length;
  const warnings = report.findings.length - errors;
  io.stdout(
    `${report.server.name} ${report.server.version}: ${report.tools.length} tool${report.tools.length === 1 ? '' : 's'}, ${lock === undefined ? `no lock (rug pulls not checked; record one with --write-lock)` : `lock ${lock}`}\n`,
  );
  for (const finding of report.findings) {
    const where = `${finding.tool}${finding.path}`;
    io.stdout(
      `${finding.severity === 'error' ? 'ERROR  ' : 'warning'}  ${finding.kind.padEnd(14)} ${where}: ${finding.rule === undefined || finding.kind === 'typosquat' ? '' : `[${finding.rule}] `}${finding.message}\n`,
    );
  }
  if (wrote !== undefined) {
    io.stdout(
      `ok: wrote ${wrote}: ${report.tools.length} tools of ${report.server.name} recorded as reviewed (the changes above accepted)\n`,
    );
    return;
  }
  io.stdout(
    `${errors === 0 ? 'ok' : 'FAIL'}: ${errors} error${errors === 1 ? '' : 's'}, ${warnings} warning${warnings === 1 ? '' : 's'}\n`,
  );
}
