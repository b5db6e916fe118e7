import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { parseArgs } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath, shown } from '../files.js';
import { createStyle } from '../format.js';
import {
  coerceSetValue,
  findTemplate,
  isEmptyTarget,
  listTemplates,
  loadTemplate,
  missingParameters,
  scaffold,
  ScaffoldError,
  withDefaults,
  type Values,
} from '../scaffold/index.js';

const USAGE = `Usage: charter new <template> [dir] [--values <file>] [--set <key>=<value>]... [--dry-run] [--force] [--json]

Creates a project from a Backstage software template (templates/<name>/template.yaml), rendering its
skeleton exactly as Backstage's scaffolder does. <template> is a template name (${listTemplates().join(', ') || 'none found'})
or a folder holding template.yaml. [dir] defaults to ./<name> (the "name" value).

Values come from --values (a YAML or JSON mapping), then --set (repeatable; converted to the parameter's
type), then the schema's defaults; in a terminal, required values still missing are asked for. They are
validated against the template's own parameter schema.

Options:
  --values <file>      values as a YAML or JSON mapping
  --set <key>=<value>  one value (repeatable)
  --dry-run            render and list the files; write nothing
  --force              write into a folder that is not empty (files the template renders are replaced)
  --json               print the result as JSON
  --help               show this help

Exit 2: unknown template, values that do not satisfy the schema (each field named), a target folder
that is not empty without --force, or an unreadable values file.`;

/** The values of `--values <file>`: a mapping, or a usage error naming the file. */
function readValuesFile(io: Io, file: string): Values {
  const path = inputPath(io, file, 'values file');
  let document: unknown;
  try {
    document = parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new CliError(CliErrorCode.Io, `${shown(io, path)} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0] ?? ''}`, {
      cause: error,
    });
  }
  if (document === null || typeof document !== 'object' || Array.isArray(document))
    throw new CliError(CliErrorCode.Io, `${shown(io, path)} must be a mapping of parameter names to values`);
  return document as Values;
}

/** `charter new`: a thin shell over `scaffold` (src/scaffold/). */
export const newCommand: Command = {
  name: 'new',
  summary: 'Create a project from a template (the same skeleton Backstage renders)',
  usage: USAGE,
  async run(args, io) {
    const { positionals, flags, lists } = parseArgs(args, { boolean: ['dry-run', 'force', 'json'], valued: ['values'], repeated: ['set'] });
    const [name, dir, ...rest] = positionals;
    if (name === undefined) throw usageError(`missing <template> (templates: ${listTemplates().join(', ') || 'none found'})`);
    if (rest.length > 0) throw usageError(`unexpected argument "${rest[0] ?? ''}"`);
    const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
    try {
      const template = loadTemplate(findTemplate(name, io.cwd));
      let values: Values = {};
      const valuesFile = flags.get('values');
      if (typeof valuesFile === 'string') values = readValuesFile(io, valuesFile);
      for (const pair of lists.get('set') ?? []) {
        const equals = pair.indexOf('=');
        if (equals <= 0) throw usageError(`--set needs <key>=<value>, got "${pair}"`);
        const key = pair.slice(0, equals);
        values[key] = coerceSetValue(template, key, pair.slice(equals + 1));
      }
      const targetOf = (): string => resolve(io.cwd, dir ?? (typeof values.name === 'string' && values.name !== '' ? values.name : name));
      // Refuse a non-empty target before asking anything.
      if (flags.get('force') !== true && !isEmptyTarget(targetOf()))
        throw new CliError(CliErrorCode.Io, `${shown(io, targetOf())} is not empty: choose a new folder, or pass --force to write into it`);
      const missing = missingParameters(template, withDefaults(template, values));
      if (missing.length > 0 && io.prompt !== undefined) {
        const prompter = await io.prompt();
        for (const parameter of missing) values[parameter.name] = await prompter.ask(parameter);
      }
      const result = scaffold({
        template,
        values,
        target: targetOf(),
        dryRun: flags.get('dry-run') === true,
        force: flags.get('force') === true,
      });
      const files = result.entries.filter((entry) => entry.type !== 'directory');
      if (flags.get('json') === true) {
        io.stdout(
          `${JSON.stringify(
            {
              template: template.name,
              target: result.target,
              written: result.written,
              values: result.values,
              files: files.map((entry) => ({
                path: entry.path,
                type: entry.type,
                bytes: entry.type === 'file' ? entry.content.length : 0,
              })),
            },
            null,
            2,
          )}\n`,
        );
        return ExitCode.Ok;
      }
      if (!result.written) {
        for (const entry of files) io.stdout(`  ${entry.path}\n`);
        io.stdout(`dry run: ${files.length} files from ${template.name} for ${shown(io, result.target)}; nothing written\n`);
        return ExitCode.Ok;
      }
      io.stdout(`${style.green('created')} ${shown(io, result.target)} from ${template.name} (${files.length} files)\n`);
      return ExitCode.Ok;
    } catch (error) {
      if (!ScaffoldError.isInstance(error)) throw error;
      throw new CliError(CliErrorCode.Io, error.message, { cause: error });
    }
  },
};
