import { readFile } from 'node:fs/promises';
import { diffToolSchemas, parseToolSchemaExport, ToolError, type ToolSchemaExport } from '@charter/tools';
import { parseArgs } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { usageError } from '../errors.js';
import { inputPath } from '../files.js';
import { LOCK_FILE, runScan } from './tools-scan.js';

const SCAN_VALUED = ['url', 'from', 'agent', 'lock'];

const USAGE = `Usage: charter tools diff <old.json> <new.json> [--json]
       charter tools scan (-- <command> [args...] | --url <url> | --from <tools.json>)
                          [--agent <manifest>] [--lock <file>] [--write-lock] [--json]

diff: compares two exports of one tool (exportToolSchema(tool) written as JSON), classifies every
schema change as breaking or compatible, and fails when the version bump does not cover them.

scan: lists the tools of one MCP server (a stdio command after --, Streamable HTTP at --url, or a
saved tools/list answer { "serverInfo", "tools" }) and checks them: tool poisoning (instructions
hidden in a description or schema), names within 2 edits of a tool the agent is granted (--agent),
and rug pulls (a description or schema changed without a version bump) against the lock of tool
digests, ${LOCK_FILE} in the working folder unless --lock names another. --write-lock records the
listed tools as reviewed (refused while a tool is poisoned or a look-alike).

Options:
  --json               print the diff or the scan report as JSON
  --agent <manifest>   scan: the Agent manifest (or its folder) whose grants look-alikes are checked against
  --lock <file>        scan: the lock file (default ${LOCK_FILE})
  --write-lock         scan: write the lock after review
  --url <url>          scan: an MCP server over Streamable HTTP
  --from <tools.json>  scan: a saved tool list
  --help               show this help

Exit 1: diff — the version bump does not cover the changes, or a file is not a tool schema export;
scan — an error finding (poisoning, look-alike, rug pull), a malformed lock or tool list.
Exit 2: a file is missing or unreadable, or the MCP server cannot be reached.`;

const MAX_BYTES = 4 * 1024 * 1024;

/** Reads one export; a missing, unreadable or binary file is a `CLI_IO` error (exit 2), bad content a `ToolError` (exit 1). */
async function readExport(io: Io, file: string): Promise<ToolSchemaExport> {
  const path = inputPath(io, file, 'tool schema export');
  const text = await readFile(path, 'utf8');
  if (text.length > MAX_BYTES) throw new ToolError('TOOL_SCHEMA', `${file} is larger than ${MAX_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ToolError('TOOL_SCHEMA', `${file} is not JSON: ${(error as Error).message}`);
  }
  return parseToolSchemaExport(json, file);
}

/** `charter tools diff <old> <new>` (the schema-diff classifier and version-bump check) and `charter tools scan` (MCP tool security). */
export const toolsCommand: Command = {
  name: 'tools',
  summary: 'Check tool contract version bumps; scan MCP tools for poisoning, look-alikes and rug pulls',
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, { boolean: ['json', 'write-lock'], valued: SCAN_VALUED });
    const json = flags.has('json');
    const [sub, oldFile, newFile, ...rest] = positionals;
    if (sub === 'scan') {
      const value = (name: string): string | undefined => {
        const given = flags.get(name);
        return typeof given === 'string' ? given : undefined;
      };
      return runScan(io, {
        url: value('url'),
        from: value('from'),
        agent: value('agent'),
        lock: value('lock'),
        command: positionals.slice(1),
        writeLock: flags.has('write-lock'),
        json,
      });
    }
    if (sub !== 'diff')
      throw usageError(
        sub === undefined ? 'missing sub-command "diff" or "scan"' : `unknown sub-command "${sub}" (expected "diff" or "scan")`,
      );
    const scanOnly = [...flags.keys()].find((flag) => flag !== 'json');
    if (scanOnly !== undefined) throw usageError(`--${scanOnly} is an option of "charter tools scan", not of "diff"`);
    if (oldFile === undefined || newFile === undefined)
      throw usageError(`missing ${oldFile === undefined ? '<old.json> and <new.json>' : '<new.json>'}`);
    if (rest.length > 0) throw usageError(`unexpected argument "${rest[0] ?? ''}"`);
    try {
      const diff = diffToolSchemas(await readExport(io, oldFile), await readExport(io, newFile));
      if (json) {
        io.stdout(`${JSON.stringify(diff, null, 2)}\n`);
      } else {
        for (const change of diff.changes)
          io.stdout(`${change.breaking ? 'BREAKING  ' : 'compatible'}  ${change.kind.padEnd(28)} ${change.message}\n`);
        if (diff.changes.length === 0) io.stdout('no schema changes\n');
        io.stdout(`${diff.ok ? 'ok' : 'FAIL'}: ${diff.message}\n`);
      }
      return diff.ok ? ExitCode.Ok : ExitCode.Failed;
    } catch (error) {
      if (!ToolError.isInstance(error)) throw error;
      io.stderr(`${error.code}: ${error.message}\n`);
      return ExitCode.Failed;
    }
  },
};
