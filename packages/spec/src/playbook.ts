import { basename } from 'node:path';
import {
  loadEmbeddedDocuments,
  readSource,
  selectOne,
  type LoadInput,
  type LoadOptions,
  type LoadResult,
  type SpecIssue,
} from './loader.js';
import type { Playbook } from './playbook-schema.js';

export {
  Communication,
  DiagnosisStep,
  Mitigation,
  Playbook,
  PLAYBOOK_ACTIONS,
  PlaybookAction,
  PlaybookActionType,
  PlaybookMetadata,
  PlaybookSpec,
  PlaybookTriggers,
  PostmortemThreshold,
  ROLLOUT_CHECKS,
  VerificationCheck,
} from './playbook-schema.js';
export type { PlaybookInput } from './playbook-schema.js';

/** A Markdown file's YAML front matter and the line (0-based count of lines before it) where it starts. */
interface FrontMatter {
  readonly yaml: string;
  readonly lineOffset: number;
}

const FENCE = '---';

function splitFrontMatter(text: string): FrontMatter | 'missing' | 'unclosed' {
  const lines = text.split('\n');
  const first = (lines[0] ?? '').replace(/^\uFEFF/, '').trimEnd();
  if (first !== FENCE) return 'missing';
  for (let index = 1; index < lines.length; index++) {
    const line = (lines[index] ?? '').trimEnd();
    if (line === FENCE) return { yaml: lines.slice(1, index).join('\n'), lineOffset: 1 };
  }
  return 'unclosed';
}

function frontMatterIssue(file: string, line: number, message: string): SpecIssue {
  return { code: 'front-matter', severity: 'error', message, file, line, column: 1, endLine: line, endColumn: 1, pointer: '', document: 0 };
}

/**
 * Loads a playbook: a Markdown file (path or text) whose YAML front matter, between `---` lines at
 * the top, is a `kind: Playbook` document. Like `loadManifest`, it never throws: it returns the value
 * and every issue, with line and column in the Markdown file. When read from a path, the file name
 * must be `<metadata.name>.md`.
 */
export function loadPlaybook(input: LoadInput, options: LoadOptions = {}): LoadResult<Playbook | undefined> {
  const issues: SpecIssue[] = [];
  const source = readSource(input, options, issues);
  if (!source) return { value: undefined, issues };
  const split = splitFrontMatter(source.text);
  if (split === 'missing') {
    return {
      value: undefined,
      issues: [
        frontMatterIssue(
          source.file,
          1,
          'a playbook starts with YAML front matter: put "---" on the first line, the Playbook document, then "---"',
        ),
      ],
    };
  }
  if (split === 'unclosed') {
    return {
      value: undefined,
      issues: [
        frontMatterIssue(source.file, 1, 'the front matter opened on line 1 is never closed: add a "---" line after the Playbook document'),
      ],
    };
  }
  const result = selectOne(
    loadEmbeddedDocuments({ text: split.yaml, file: source.file, lineOffset: split.lineOffset }),
    'Playbook',
    source.file,
  );
  if (result.value && source.file !== '<input>') {
    const expected = `${result.value.metadata.name}.md`;
    if (basename(source.file) !== expected) {
      const line = lineOfKey(split.yaml, 'name') + split.lineOffset;
      return {
        value: undefined,
        issues: [
          {
            ...frontMatterIssue(
              source.file,
              line,
              `the playbook id "${result.value.metadata.name}" must match the file name: rename the file to ${expected} or change metadata.name`,
            ),
            code: 'rule',
            pointer: '/metadata/name',
          },
        ],
      };
    }
  }
  return result;
}

/** 1-based line of the first `  <key>:` line in the YAML text (best effort; 1 when absent). */
function lineOfKey(yaml: string, key: string): number {
  const index = yaml.split('\n').findIndex((line) => line.trimStart().startsWith(`${key}:`));
  return index < 0 ? 1 : index + 1;
}
