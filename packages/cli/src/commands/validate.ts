import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { loadAgent, loadDocuments, loadPlaybook, type SpecIssue } from '@charter/spec';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { inputPath } from '../files.js';
import { codeFrame, createStyle, type Style } from '../format.js';
import { findRepoRoot } from '../repo.js';
import type { ValidateReport, ReportIssue } from '../report.js';

const USAGE = `Usage: charter validate [paths...] [--json]

Validates Charter documents: Agent manifests, GuardrailPolicy files (YAML with
apiVersion charter.dev/*) and playbooks (Markdown with Playbook front matter).
A path may be a file or a directory; with no path, the whole repository is
searched (node_modules, dist, __fixtures__, fixtures and template skeleton folders
are skipped).
An Agent is loaded as the agent itself loads it (loadAgent): the policy its
spec.policy names and the playbooks of spec.playbooks (the nearest playbooks/
folder, up to the repository root) are validated with it.

Options:
  --json   print a machine-readable report (shape: the @charter/cli README)
  --help   show this help

Exit 1: a document has an error, or no Charter document was found.`;

// A template's skeleton holds ${{ }} placeholders: it is validated once rendered (charter new), not as it is.
const SKIP_DIRS = new Set([
  'node_modules',
  'dist',
  '.git',
  '.turbo',
  'coverage',
  '__fixtures__',
  'fixtures',
  '.charter',
  'site',
  'skeleton',
]);
const CHARTER_YAML = /^apiVersion:[ \t]{0,8}["']?charter\.dev\//m;

/** Files under `dir` that hold Charter documents, in a stable order. */
export function discover(dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    const entries = readdirSync(current, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
    for (const entry of entries) {
      const path = join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIP_DIRS.has(entry.name)) walk(path);
      } else if (entry.isFile() && isCharterFile(path)) {
        found.push(path);
      }
    }
  };
  walk(dir);
  return found;
}

function isCharterFile(path: string): boolean {
  if (/\.ya?ml$/.test(path)) return CHARTER_YAML.test(readFileSync(path, 'utf8'));
  if (path.endsWith('.md')) {
    const text = readFileSync(path, 'utf8');
    return text.startsWith('---') && /^kind:[ \t]{0,8}Playbook[ \t]*$/m.test(text.slice(0, 4096));
  }
  return false;
}

interface FileResult {
  file: string;
  documents: { kind: string; name: string; document: number; line: number }[];
  issues: ReportIssue[];
  /** Keys of `issues`, so a problem found twice (the manifest alone, then through loadAgent) is reported once. */
  seen: Set<string>;
}

/** The results of every file looked at, by absolute path, in the order they were first met. */
class Results {
  readonly #files = new Map<string, FileResult>();

  has(path: string): boolean {
    return this.#files.has(path);
  }

  get(path: string): FileResult {
    let result = this.#files.get(path);
    if (result === undefined) {
      result = { file: path, documents: [], issues: [], seen: new Set() };
      this.#files.set(path, result);
    }
    return result;
  }

  addIssues(issues: readonly SpecIssue[]): void {
    for (const issue of issues) {
      const result = this.get(issue.file);
      const key = [issue.line, issue.column, issue.code, issue.message].join('\0');
      if (result.seen.has(key)) continue;
      result.seen.add(key);
      result.issues.push(issue);
    }
  }

  addDocument(path: string, document: FileResult['documents'][number]): void {
    const result = this.get(path);
    if (!result.documents.some((known) => known.document === document.document)) result.documents.push(document);
  }

  values(): FileResult[] {
    return [...this.#files.values()];
  }
}

/**
 * Validates one file. A YAML file's documents are checked against their schemas; a file holding an
 * Agent is loaded with `loadAgent`, which checks everything the manifest names (its policy and
 * playbooks, in their own files, recorded under those files).
 */
function validateFile(path: string, results: Results): void {
  if (results.has(path)) return;
  results.get(path);
  if (path.endsWith('.md')) {
    const { value, issues } = loadPlaybook(path);
    results.addIssues(issues);
    if (value) results.addDocument(path, { kind: 'Playbook', name: value.metadata.name, document: 0, line: 2 });
    return;
  }
  const loaded = loadDocuments(path);
  results.addIssues(loaded.issues);
  for (const document of loaded.value)
    results.addDocument(path, {
      kind: document.kind,
      name: document.value.metadata.name,
      document: document.document,
      line: document.line,
    });
  if (!loaded.value.some((document) => document.kind === 'Agent')) return;
  const agent = loadAgent(path);
  results.addIssues(agent.issues);
  if (agent.policy !== undefined && agent.policyFile !== undefined)
    results.addDocument(agent.policyFile, { kind: 'GuardrailPolicy', name: agent.policy.metadata.name, document: 0, line: 1 });
  if (agent.playbookDir !== undefined) {
    for (const [id, playbook] of agent.playbooks)
      results.addDocument(join(agent.playbookDir, `${id}.md`), { kind: 'Playbook', name: playbook.metadata.name, document: 0, line: 2 });
  }
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Validate Agent manifests, guardrail policies and playbooks',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await -- the Command interface is async
  async run(args: readonly string[], io: Io): Promise<ExitCode> {
    const { positionals, flags } = parseArgs(args, { boolean: ['json'] });
    const targets = positionals.length > 0 ? positionals : [findRepoRoot(io.cwd)];
    // Every named path must exist and be readable text before anything is validated (exit 2 otherwise).
    const paths = targets.map((target) => inputPath(io, target, 'file or folder', { folder: true }));
    const results = new Results();
    for (const path of paths) {
      for (const file of statSync(path).isDirectory() ? discover(path) : [path]) validateFile(file, results);
    }
    const report = buildReport(results.values(), io.cwd);
    if (flags.has('json')) {
      io.stdout(`${JSON.stringify(report, null, 2)}\n`);
    } else {
      printHuman(report, io);
    }
    return report.ok ? ExitCode.Ok : ExitCode.Failed;
  },
};

function buildReport(results: FileResult[], cwd: string): ValidateReport {
  const display = (file: string) => (file.startsWith('/') ? relative(cwd, file) || file : file);
  const byKind: Record<string, number> = {};
  let documentsWithErrors = 0;
  const files = results.map((result) => {
    // A document has errors when an error issue points into it (its own schema, or what it names).
    const broken = new Set(result.issues.filter((issue) => issue.severity === 'error').map((issue) => issue.document));
    documentsWithErrors += broken.size;
    const documents = result.documents.map((document) => ({ ...document, ok: !broken.has(document.document) }));
    for (const document of documents) if (document.ok) byKind[document.kind] = (byKind[document.kind] ?? 0) + 1;
    return {
      file: display(result.file),
      documents,
      issues: result.issues.map((issue) => ({
        ...issue,
        file: display(issue.file),
        ...(issue.related === undefined ? {} : { related: issue.related.map((place) => ({ ...place, file: display(place.file) })) }),
      })),
    };
  });
  const errorsIn = (file: (typeof files)[number]) => file.issues.filter((issue) => issue.severity === 'error').length;
  const errors = files.reduce((sum, file) => sum + errorsIn(file), 0);
  const warnings = files.reduce((sum, file) => sum + file.issues.filter((issue) => issue.severity === 'warning').length, 0);
  return {
    version: 1,
    ok: errors === 0 && files.length > 0,
    summary: {
      files: files.length,
      filesWithErrors: files.filter((file) => errorsIn(file) > 0).length,
      documents: byKind,
      documentsWithErrors,
      errors,
      warnings,
    },
    files,
  };
}

const plural = (count: number, noun: string) => `${count} ${noun}${count === 1 ? '' : 's'}`;

function printHuman(report: ValidateReport, io: Io): void {
  const style = createStyle(io.isTTY && io.env.NO_COLOR === undefined);
  const sources = new Map<string, string>();
  const sourceOf = (file: string) => {
    let text = sources.get(file);
    if (text === undefined) {
      const path = resolve(io.cwd, file);
      text = existsSync(path) ? readFileSync(path, 'utf8') : '';
      sources.set(file, text);
    }
    return text;
  };
  for (const file of report.files) for (const issue of file.issues) printIssue(issue, io, style, sourceOf);
  const { summary } = report;
  const kinds = Object.entries(summary.documents)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  if (summary.files === 0) {
    io.stdout(`${style.red('✖')} no Charter documents found\n`);
  } else if (report.ok) {
    io.stdout(`${style.green('✔')} ${plural(summary.files, 'file')} valid: ${kinds}\n`);
  } else {
    const documents = `${plural(summary.documentsWithErrors, 'document')} with errors; ${kinds ? `valid: ${kinds}` : 'none valid'}`;
    io.stdout(
      `${style.red('✖')} ${plural(summary.errors, 'problem')} in ${summary.filesWithErrors} of ${plural(summary.files, 'file')}: ${documents}\n`,
    );
  }
}

/** One issue: `file:line:column: severity: message [code]`, then the offending line with a caret. */
function printIssue(issue: ReportIssue, io: Io, style: Style, sourceOf: (file: string) => string): void {
  const label = issue.severity === 'error' ? style.red('error') : style.yellow('warning');
  io.stdout(`${style.bold(`${issue.file}:${issue.line}:${issue.column}`)}: ${label}: ${issue.message} ${style.dim(`[${issue.code}]`)}\n`);
  const frame = codeFrame(sourceOf(issue.file), issue.line, issue.column, issue.endLine, issue.endColumn, style);
  if (frame) io.stdout(`${frame}\n`);
  // The other places the problem involves (e.g. the same statement in the policy), each with its own frame.
  for (const place of issue.related ?? []) {
    io.stdout(`${style.bold(`${place.file}:${place.line}:${place.column}`)}: ${style.cyan('related')}: ${place.message}\n`);
    const related = codeFrame(sourceOf(place.file), place.line, place.column, place.endLine, place.endColumn, style);
    if (related) io.stdout(`${related}\n`);
  }
}
