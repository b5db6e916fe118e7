import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { loadAgent, loadDocuments, loadPlaybook, loadPolicy, locatePointer, type LoadedDocument, type SpecIssue } from '@charter/spec';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { codeFrame, createStyle } from '../format.js';
import { findRepoRoot } from '../repo.js';
import type { ValidateReport, ReportIssue } from '../report.js';

const USAGE = `Usage: charter validate [paths...] [--json]

Validates Charter documents: Agent manifests, GuardrailPolicy files (YAML with
apiVersion charter.dev/*) and playbooks (Markdown with Playbook front matter).
A path may be a file or a directory; with no path, the whole repository is
searched (node_modules, dist, __fixtures__ and fixtures folders are skipped).
Each Agent's spec.policy file and spec.playbooks ids are checked to exist.

Options:
  --json   print a machine-readable report (shape: the @charter/cli README)
  --help   show this help

Exit codes: 0 all valid, 1 problems found, 2 usage error.`;

const CROSS_FILE: ReadonlySet<string> = new Set(['duplicate-statement', 'ungranted-tool', 'unreachable-approval']);
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo', 'coverage', '__fixtures__', 'fixtures', '.charter', 'site']);
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
}

function validateFile(path: string, repoRoot: string, checked: Map<string, FileResult>): FileResult {
  const cached = checked.get(path);
  if (cached) return cached;
  const result: FileResult = { file: path, documents: [], issues: [] };
  checked.set(path, result);
  const loaded = path.endsWith('.md') ? loadPlaybookAsDocuments(path) : loadDocuments(path);
  result.issues.push(...loaded.issues);
  for (const document of loaded.value) {
    result.documents.push({ kind: document.kind, name: document.value.metadata.name, document: document.document, line: document.line });
    if (document.kind === 'Agent') result.issues.push(...checkAgentReferences(document, repoRoot, checked));
  }
  return result;
}

function loadPlaybookAsDocuments(path: string): { value: LoadedDocument[]; issues: readonly SpecIssue[] } {
  const { value, issues } = loadPlaybook(path);
  return { value: value ? [{ kind: 'Playbook', value, document: 0, file: path, line: 2 }] : [], issues };
}

/** An Agent's policy file must exist and be a valid GuardrailPolicy; its playbook ids must exist. */
function checkAgentReferences(
  document: Extract<LoadedDocument, { kind: 'Agent' }>,
  repoRoot: string,
  checked: Map<string, FileResult>,
): ReportIssue[] {
  const issues: ReportIssue[] = [];
  const text = readFileSync(document.file, 'utf8');
  const at = (pointer: string, code: ReportIssue['code'], message: string): ReportIssue => {
    const position = locatePointer(text, pointer, document.document) ?? {
      line: document.line,
      column: 1,
      endLine: document.line,
      endColumn: 1,
    };
    return { code, severity: 'error', message, file: document.file, pointer, document: document.document, ...position };
  };
  const policyPath = resolve(dirname(document.file), document.value.spec.policy);
  if (!existsSync(policyPath)) {
    issues.push(
      at(
        '/spec/policy',
        'policy-not-found',
        `spec.policy names ${document.value.spec.policy}, which does not exist next to the manifest: create it or fix the path`,
      ),
    );
  } else {
    if (!checked.has(policyPath)) {
      const policy = loadPolicy(policyPath);
      const policyResult: FileResult = { file: policyPath, documents: [], issues: [...policy.issues] };
      if (policy.value) policyResult.documents.push({ kind: 'GuardrailPolicy', name: policy.value.metadata.name, document: 0, line: 1 });
      checked.set(policyPath, policyResult);
    }
    // The policy checked against the manifest (what it restates, tools not granted, unreachable
    // approvals): loadAgent's issues with both positions. (Goes once validate loads agents through loadAgent.)
    issues.push(...loadAgent(document.file).issues.filter((issue) => CROSS_FILE.has(issue.code)));
  }
  const playbookDir = join(repoRoot, 'playbooks');
  if (existsSync(playbookDir)) {
    document.value.spec.playbooks.forEach((id, index) => {
      if (!existsSync(join(playbookDir, `${id}.md`))) {
        issues.push(
          at(
            `/spec/playbooks/${index}`,
            'playbook-not-found',
            `playbook "${id}" is not in ${relative(repoRoot, playbookDir)}/: write playbooks/${id}.md or fix the id`,
          ),
        );
      }
    });
  }
  return issues;
}

export const validateCommand: Command = {
  name: 'validate',
  summary: 'Validate Agent manifests, guardrail policies and playbooks',
  usage: USAGE,
  // eslint-disable-next-line @typescript-eslint/require-await -- the Command interface is async
  async run(args: readonly string[], io: Io): Promise<ExitCode> {
    const { positionals, flags } = parseArgs(args, { boolean: ['json'] });
    const repoRoot = findRepoRoot(io.cwd);
    const files: string[] = [];
    for (const target of positionals.length > 0 ? positionals : [repoRoot]) {
      const path = resolve(io.cwd, target);
      if (!existsSync(path)) {
        files.push(path); // reported by the loader as file-not-found, with the path
      } else if (statSync(path).isDirectory()) {
        files.push(...discover(path));
      } else {
        files.push(path);
      }
    }
    const checked = new Map<string, FileResult>();
    for (const file of files) validateFile(file, repoRoot, checked);
    const results = [...checked.values()];
    const report = buildReport(results, io.cwd);
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
  const files = results.map((result) => ({
    file: display(result.file),
    documents: result.documents,
    issues: result.issues.map((issue) => ({
      ...issue,
      file: display(issue.file),
      ...(issue.related === undefined ? {} : { related: issue.related.map((place) => ({ ...place, file: display(place.file) })) }),
    })),
  }));
  const byKind: Record<string, number> = {};
  for (const file of files) for (const document of file.documents) byKind[document.kind] = (byKind[document.kind] ?? 0) + 1;
  const errors = files.reduce((sum, file) => sum + file.issues.filter((issue) => issue.severity === 'error').length, 0);
  const warnings = files.reduce((sum, file) => sum + file.issues.filter((issue) => issue.severity === 'warning').length, 0);
  return {
    version: 1,
    ok: errors === 0 && files.length > 0,
    summary: {
      files: files.length,
      documents: byKind,
      errors,
      warnings,
      filesWithErrors: files.filter((file) => file.issues.length > 0).length,
    },
    files,
  };
}

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
  for (const file of report.files) {
    for (const issue of file.issues) {
      const label = issue.severity === 'error' ? style.red('error') : style.yellow('warning');
      io.stdout(
        `${style.bold(`${issue.file}:${issue.line}:${issue.column}`)}: ${label}: ${issue.message} ${style.dim(`[${issue.code}]`)}\n`,
      );
      const frame = codeFrame(sourceOf(issue.file), issue.line, issue.column, issue.endLine, issue.endColumn, style);
      if (frame) io.stdout(`${frame}\n`);
      // The other places the problem involves, each with its own position and code frame.
      for (const place of issue.related ?? []) {
        io.stdout(`${style.bold(`${place.file}:${place.line}:${place.column}`)}: ${style.cyan('related')}: ${place.message}\n`);
        const related = codeFrame(sourceOf(place.file), place.line, place.column, place.endLine, place.endColumn, style);
        if (related) io.stdout(`${related}\n`);
      }
    }
  }
  const { summary } = report;
  const kinds = Object.entries(summary.documents)
    .map(([kind, count]) => `${count} ${kind}`)
    .join(', ');
  if (summary.files === 0) {
    io.stdout(`${style.red('✖')} no Charter documents found\n`);
  } else if (report.ok) {
    io.stdout(`${style.green('✔')} ${summary.files} file${summary.files === 1 ? '' : 's'} valid: ${kinds}\n`);
  } else {
    io.stdout(
      `${style.red('✖')} ${summary.errors} problem${summary.errors === 1 ? '' : 's'} in ${summary.filesWithErrors} of ${summary.files} file${summary.files === 1 ? '' : 's'}${kinds ? ` (valid: ${kinds})` : ''}\n`,
    );
  }
}
