import { readFile } from 'node:fs/promises';
import { diffToolSchemas, parseToolSchemaExport, ToolError, type ToolSchemaExport } from '@charter/tools';
import { parseArgs } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { usageError } from '../errors.js';
import { inputPath } from '../files.js';

const USAGE = `Usage: charter tools diff <old.json> <new.json> [--json]

Compares two exports of one tool (exportToolSchema(tool) written as JSON), classifies every schema
change as breaking or compatible, and fails (exit 1) when the version bump does not cover them.

Options:
  --json   print the diff as JSON
  --help   show this help

Exit 1: the version bump does not cover the changes, or a file is not a tool schema export.`;

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

/** `charter tools diff <old> <new>`: the schema-diff classifier and version-bump check. */
export const toolsCommand: Command = {
  name: 'tools',
  summary: 'Compare two versions of a tool contract and check the version bump',
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags } = parseArgs(args, { boolean: ['json'] });
    const json = flags.has('json');
    const [sub, oldFile, newFile, ...rest] = positionals;
    if (sub !== 'diff')
      throw usageError(sub === undefined ? 'missing sub-command "diff"' : `unknown sub-command "${sub}" (expected "diff")`);
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
