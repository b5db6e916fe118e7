import { existsSync, statSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { CatalogError, checkCatalog, findRepositoryRoot, generateCatalog, writeCatalog, type CatalogIssue } from '@charter/catalog';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { shown } from '../files.js';
import { createStyle } from '../format.js';

const USAGE = `Usage: charter catalog [--out <dir>] [--check] [--json]

Generates the Backstage catalog of the repository from the repository itself
(@charter/catalog): the Domain and System of the root package.json's
"charter.catalog", a library Component per public package with the JSON
Schemas it publishes as APIs, every agent manifest as a Component of type
agent (SLOs, rollout plan, playbooks, dependsOn its tools' APIs and its
policy), the policies, tools, MCP servers and playbooks, and the root Location
(catalog-info.yaml) listing them, the organisation's Groups and the templates.
Writes catalog-info.yaml and the files of charter.catalog.out
(catalog/generated/ by default); generated files nothing makes any more are
deleted.

Options:
  --out <dir>   write the whole catalog (Location included) into <dir> instead
  --check       write nothing: fail when a generated file is missing or differs
                from what the repository generates (run in npm test)
  --json        print the files and the problems as JSON
  --help        show this help

Exit 1: a source does not load (a broken manifest, playbook or catalog file),
an owner, system, API or dependency reference names no entity (Backstage does
not report dangling references), two sources make the same entity, or with
--check a generated file is stale.`;

/** `charter catalog`: a thin shell over `generateCatalog`, `checkCatalog` and `writeCatalog` of @charter/catalog. */
export const catalogCommand: Command = {
  name: 'catalog',
  summary: 'Generate and check the Backstage catalog of the repository',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await -- the Command interface is async
  async run(args: readonly string[], io: Io): Promise<ExitCode> {
    const { positionals, flags } = parseArgs(args, { boolean: ['check', 'json'], valued: ['out'] });
    if (positionals.length > 0)
      throw usageError(`unexpected argument "${positionals[0] ?? ''}" (charter catalog reads the repository it runs in)`);
    const root = findRepositoryRoot(io.cwd) ?? io.cwd;
    const outFlag = flags.get('out');
    const out = typeof outFlag === 'string' ? resolve(io.cwd, outFlag) : undefined;
    if (out !== undefined && existsSync(out) && !statSync(out).isDirectory())
      throw new CliError(CliErrorCode.Io, `${shown(io, out)} is a file: --out names the folder to write the catalog into`);
    let catalog;
    try {
      catalog = generateCatalog({ root, ...(out === undefined ? {} : { out }) });
    } catch (error) {
      if (CatalogError.isInstance(error)) throw new CliError(CliErrorCode.Io, error.message, { cause: error });
      throw error;
    }
    const check = flags.has('check');
    const issues: CatalogIssue[] = [...catalog.issues, ...(check ? checkCatalog(catalog) : [])];
    let written: string[] = [];
    let deleted: string[] = [];
    if (!check) {
      try {
        ({ written, deleted } = writeCatalog(catalog));
      } catch (error) {
        throw new CliError(CliErrorCode.Io, `cannot write the catalog: ${(error as Error).message}`, { cause: error });
      }
    }
    const display = (path: string) => shown(io, path);
    if (flags.has('json')) {
      io.stdout(
        `${JSON.stringify(
          {
            ok: issues.length === 0,
            root: relative(io.cwd, root) || '.',
            files: catalog.files.map((file) => display(file.path)),
            entities: catalog.entities.length,
            written: written.map(display),
            deleted: deleted.map(display),
            issues: issues.map((issue) => ({ ...issue, file: display(issue.file) })),
          },
          null,
          2,
        )}\n`,
      );
      return issues.length === 0 ? ExitCode.Ok : ExitCode.Failed;
    }
    const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
    for (const issue of issues)
      io.stdout(
        `${style.bold(`${display(issue.file)}:${issue.line}:${issue.column}`)}: ${style.red('error')}: ${issue.message} ${style.dim(`[${issue.code}]`)}\n`,
      );
    for (const path of written) io.stdout(`wrote ${display(path)}\n`);
    for (const path of deleted) io.stdout(`deleted ${display(path)}\n`);
    const summary = `${catalog.entities.length} entities in ${catalog.files.length} generated files`;
    if (issues.length > 0) io.stdout(`${style.red('✖')} ${issues.length} problem${issues.length === 1 ? '' : 's'}; ${summary}\n`);
    else io.stdout(`${style.green('✔')} ${summary}${check ? ', up to date' : ''}\n`);
    return issues.length === 0 ? ExitCode.Ok : ExitCode.Failed;
  },
};
