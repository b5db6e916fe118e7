import { existsSync, readFileSync, statSync } from 'node:fs';
import type { z } from 'zod';
import { API_VERSION } from './common.js';
import { isKind, type Kind, type KindValues, kinds } from './kinds.js';
import { knownKeysAt } from './schema-walk.js';
import { didYouMean } from './suggest.js';
import { jsYaml, yamlCst } from './yaml-lazy.js';

/** What went wrong, as a stable code. */
export type SpecIssueCode =
  | 'file-not-found'
  | 'file-too-large'
  | 'yaml-syntax'
  | 'yaml-alias'
  | 'empty'
  | 'not-an-object'
  | 'missing-kind'
  | 'unknown-kind'
  | 'wrong-kind'
  | 'wrong-api-version'
  | 'required'
  | 'invalid-type'
  | 'unknown-key'
  | 'invalid-value'
  | 'out-of-range'
  | 'invalid-format'
  | 'rule'
  | 'multiple-documents'
  | 'front-matter'
  | 'policy-not-found'
  | 'playbook-not-found'
  | 'duplicate-statement'
  | 'ungranted-tool'
  | 'unreachable-approval'
  | 'internal';

/** A second place an issue involves (e.g. the manifest line a policy line restates), with what it says there. */
export interface SpecIssueRelated {
  readonly file: string;
  /** 1-based line and column where the related node starts and ends. */
  readonly line: number;
  readonly column: number;
  readonly endLine: number;
  readonly endColumn: number;
  /** What this place states, in a few words. */
  readonly message: string;
}

/** One problem found while loading, with where it is and what to do about it. */
export interface SpecIssue {
  readonly code: SpecIssueCode;
  readonly severity: 'error' | 'warning';
  /** What is wrong and what to do, in one sentence. */
  readonly message: string;
  /** The file path, or `<input>` for text given directly. */
  readonly file: string;
  /** 1-based line and column where the problem starts. */
  readonly line: number;
  readonly column: number;
  /** 1-based line and column where the offending node ends. */
  readonly endLine: number;
  readonly endColumn: number;
  /** JSON pointer (RFC 6901) into the document, `""` for the whole document. */
  readonly pointer: string;
  /** 0-based index of the YAML document within the file. */
  readonly document: number;
  /** The closest valid key or value, when the problem looks like a typo. */
  readonly suggestion?: string;
  /** Other places the problem involves, e.g. both files that state the same thing. */
  readonly related?: readonly SpecIssueRelated[];
}

/** A validated document of a known kind. */
export type LoadedDocument = {
  [K in Kind]: { readonly kind: K; readonly value: KindValues[K]; readonly document: number; readonly file: string; readonly line: number };
}[Kind];

/** The result of loading: the valid values and every issue found. Loading never throws. */
export interface LoadResult<T> {
  readonly value: T;
  readonly issues: readonly SpecIssue[];
}

/** Text with an optional file name, or a path to read. */
export type LoadInput = string | { readonly text: string; readonly file?: string } | { readonly path: string };

export interface LoadOptions {
  /** Reject files larger than this many bytes (default 1 MiB). */
  readonly maxBytes?: number;
}

const DEFAULT_MAX_BYTES = 1024 * 1024;

interface Source {
  readonly text: string;
  readonly file: string;
}

/** YAML text that sits inside a larger file (e.g. Markdown front matter) starting after `lineOffset` lines. */
export interface EmbeddedSource extends Source {
  /** Lines of the file before the first line of `text`; issue lines are reported in the file. */
  readonly lineOffset: number;
}

/** Reads a `LoadInput` (internal to `@charter/spec`; not exported from the package). */
export function readSource(input: LoadInput, options: LoadOptions, issues: SpecIssue[]): Source | undefined {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
  let path: string | undefined;
  if (typeof input === 'string') {
    if (/[\r\n]/.test(input) || input.trimStart().startsWith('{')) return { text: input, file: '<input>' };
    path = input;
  } else if ('path' in input) {
    path = input.path;
  } else {
    return { text: input.text, file: input.file ?? '<input>' };
  }
  if (!existsSync(path) || !statSync(path).isFile()) {
    issues.push(fileIssue('file-not-found', path, `no file at ${path}: check the path (text given directly must span more than one line)`));
    return undefined;
  }
  const size = statSync(path).size;
  if (size > maxBytes) {
    issues.push(
      fileIssue('file-too-large', path, `${path} is ${size} bytes, over the ${maxBytes}-byte limit: split it into smaller files`),
    );
    return undefined;
  }
  return { text: readFileSync(path, 'utf8'), file: path };
}

function fileIssue(code: SpecIssueCode, file: string, message: string): SpecIssue {
  return { code, severity: 'error', message, file, line: 1, column: 1, endLine: 1, endColumn: 1, pointer: '', document: 0 };
}

/**
 * Loads every YAML document of a file or text and validates each against the schema of its `kind`.
 * Returns the valid documents and every issue with file, line, column and JSON pointer.
 */
export function loadDocuments(input: LoadInput, options: LoadOptions = {}): LoadResult<LoadedDocument[]> {
  const issues: SpecIssue[] = [];
  const documents: LoadedDocument[] = [];
  const source = readSource(input, options, issues);
  if (!source) return { value: documents, issues };
  try {
    if (!loadFast(source, documents)) {
      documents.length = 0;
      loadText(source, documents, issues);
    }
  } catch (error) {
    issues.push(fileIssue('internal', source.file, `the loader failed unexpectedly (${String(error)}): please report this with the file`));
  }
  return { value: documents, issues };
}

/**
 * Validates YAML text embedded in a larger file, such as a Markdown file's front matter, like
 * `loadDocuments` does (the same fast path first); every line number is the line in the enclosing file.
 */
export function loadEmbeddedDocuments(source: EmbeddedSource): LoadResult<LoadedDocument[]> {
  const issues: SpecIssue[] = [];
  const documents: LoadedDocument[] = [];
  try {
    if (!loadFast(source, documents, source.lineOffset)) {
      documents.length = 0;
      loadText(source, documents, issues, source.lineOffset);
    }
  } catch (error) {
    issues.push(fileIssue('internal', source.file, `the loader failed unexpectedly (${String(error)}): please report this with the file`));
  }
  return { value: documents, issues };
}

/**
 * The fast path for the common case, a single valid document: js-yaml (about 9× faster than the
 * CST parser here, identical values under the core schema) and the schema. Anything it cannot
 * settle — a syntax error, a schema issue, anchors, several documents — returns false, and the
 * caller re-reads the text with the `yaml` CST, which knows where every node is.
 */
function loadFast(source: Source, documents: LoadedDocument[], lineOffset = 0): boolean {
  const { text } = source;
  if (text.includes('&') || /^(?:---|\.\.\.)/m.test(text.slice(startOfContent(text) + 3))) return false;
  const jsyaml = jsYaml();
  let data: unknown;
  try {
    data = jsyaml.load(text, { schema: jsyaml.CORE_SCHEMA, json: false });
  } catch {
    return false;
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) return false;
  const { kind, apiVersion } = data as Record<string, unknown>;
  if (!isKind(kind) || apiVersion !== API_VERSION) return false;
  const result = (kinds[kind] as z.ZodType).safeParse(data);
  if (!result.success) return false;
  const offset = startOfContent(text);
  const line = text.slice(0, offset).split('\n').length + lineOffset;
  documents.push({ kind, value: result.data, document: 0, file: source.file, line } as LoadedDocument);
  return true;
}

/** Offset of the first line that is neither blank, a comment, a directive nor a `---` marker. */
function startOfContent(text: string): number {
  let offset = 0;
  while (offset < text.length) {
    const end = text.indexOf('\n', offset);
    const line = text.slice(offset, end === -1 ? text.length : end).trim();
    if (line !== '' && !line.startsWith('#') && !line.startsWith('%') && line !== '---') return offset;
    if (end === -1) return text.length;
    offset = end + 1;
  }
  return offset;
}

function loadText(source: Source, documents: LoadedDocument[], issues: SpecIssue[], lineOffset = 0): void {
  const { LineCounter, parseAllDocuments } = yamlCst();
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(source.text, { lineCounter, prettyErrors: false, uniqueKeys: true, keepSourceTokens: false });
  const yamlDocuments = Array.isArray(parsed) ? parsed : [];
  const locate = (offset: number) => lineCounter.linePos(Math.max(0, Math.min(offset, source.text.length)));
  const at = (
    code: SpecIssueCode,
    index: number,
    range: readonly [number, number],
    pointer: string,
    message: string,
    suggestion?: string,
  ): SpecIssue => {
    const start = locate(range[0]);
    const end = locate(Math.max(range[0], range[1]));
    return {
      code,
      severity: 'error',
      message,
      file: source.file,
      line: start.line + lineOffset,
      column: start.col,
      endLine: end.line + lineOffset,
      endColumn: end.col,
      pointer,
      document: index,
      ...(suggestion === undefined ? {} : { suggestion }),
    };
  };

  let nonEmpty = 0;
  yamlDocuments.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      for (const error of doc.errors) {
        issues.push(at('yaml-syntax', index, [error.pos[0], error.pos[1]], '', `YAML syntax: ${firstLine(error.message)}`));
      }
      return;
    }
    if (doc.contents === null) return;
    nonEmpty++;
    const rootRange = rangeOf(doc.contents);
    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: 50 });
    } catch (error) {
      issues.push(
        at('yaml-alias', index, rootRange, '', `YAML aliases expand too far (${firstLine(String(error))}): write the values out`),
      );
      return;
    }
    if (typeof data !== 'object' || data === null || Array.isArray(data)) {
      issues.push(
        at('not-an-object', index, rootRange, '', 'a Charter document is a YAML mapping with apiVersion, kind, metadata and spec'),
      );
      return;
    }
    const record = data as Record<string, unknown>;
    const kind = record.kind;
    if (kind === undefined) {
      issues.push(at('missing-kind', index, rootRange, '/kind', `missing "kind": add one of ${Object.keys(kinds).join(', ')}`));
      return;
    }
    if (!isKind(kind)) {
      const suggestion = typeof kind === 'string' ? didYouMean(kind, Object.keys(kinds)) : undefined;
      const range = nodeRange(doc.contents, ['kind']) ?? rootRange;
      issues.push(
        at(
          'unknown-kind',
          index,
          range,
          '/kind',
          `unknown kind ${JSON.stringify(kind)}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}: use one of ${Object.keys(kinds).join(', ')}`,
          suggestion,
        ),
      );
      return;
    }
    if (record.apiVersion !== API_VERSION) {
      const range = nodeRange(doc.contents, ['apiVersion']) ?? rootRange;
      issues.push(
        at('wrong-api-version', index, range, '/apiVersion', `apiVersion must be "${API_VERSION}", got ${describe(record.apiVersion)}`),
      );
      return;
    }
    const schema: z.ZodType = kinds[kind];
    const result = schema.safeParse(data);
    if (result.success) {
      const line = locate(rootRange[0]).line + lineOffset;
      documents.push({ kind, value: result.data, document: index, file: source.file, line } as LoadedDocument);
      return;
    }
    const found: SpecIssue[] = [];
    for (const issue of mergeTypos(result.error.issues.flatMap((zodIssue) => convertIssue(zodIssue, data, schema)))) {
      {
        const range =
          issue.keyOf !== undefined
            ? keyRange(doc.contents, issue.path, issue.keyOf)
            : issue.code === 'required'
              ? nearestRange(doc.contents, issue.path)
              : nodeRange(doc.contents, issue.path);
        found.push(
          at(
            issue.code,
            index,
            range ?? nearestRange(doc.contents, issue.path) ?? rootRange,
            pointerOf(issue.keyOf === undefined ? issue.path : [...issue.path, issue.keyOf]),
            issue.message,
            issue.suggestion,
          ),
        );
      }
    }
    found.sort((a, b) => a.line - b.line || a.column - b.column);
    issues.push(...found);
  });
  if (nonEmpty === 0 && issues.length === 0) {
    const line = 1 + lineOffset;
    issues.push({
      code: 'empty',
      severity: 'error',
      message: 'the file holds no document: add an Agent manifest',
      file: source.file,
      line,
      column: 1,
      endLine: line,
      endColumn: 1,
      pointer: '',
      document: 0,
    });
  }
}

interface ConvertedIssue {
  code: SpecIssueCode;
  path: PropertyKey[];
  keyOf?: string;
  /** For `required`: the missing key. */
  missing?: string;
  message: string;
  suggestion?: string;
}

function convertIssue(issue: z.core.$ZodIssue, data: unknown, schema: z.ZodType): ConvertedIssue[] {
  const path = issue.path;
  const where = displayPath(path);
  const actual = valueAt(data, path);
  if (actual === undefined && path.length > 0 && (issue.code === 'invalid_value' || issue.code === 'invalid_union')) {
    return [
      {
        code: 'required',
        path: path.slice(0, -1),
        missing: String(path.at(-1)),
        message: `missing required field "${String(path.at(-1))}" in ${displayPath(path.slice(0, -1)) || 'the document'}: add it${issue.code === 'invalid_value' ? ` (one of ${issue.values.map((value) => JSON.stringify(value)).join(', ')})` : ''}`,
      },
    ];
  }
  switch (issue.code) {
    case 'unrecognized_keys': {
      const known = knownKeysAt(schema, path, data);
      return issue.keys.map((key) => {
        const suggestion = didYouMean(key, known);
        const hint = suggestion ? `did you mean "${suggestion}"?` : known.length > 0 ? `known keys: ${known.join(', ')}` : 'remove it';
        return {
          code: 'unknown-key',
          path,
          keyOf: key,
          message: `unknown key "${key}" in ${where || 'the document'}: ${hint}`,
          ...(suggestion ? { suggestion } : {}),
        };
      });
    }
    case 'invalid_type': {
      if (actual === undefined) {
        return [
          {
            code: 'required',
            path: path.slice(0, -1),
            missing: String(path.at(-1)),
            message: `missing required field "${String(path.at(-1))}" in ${displayPath(path.slice(0, -1)) || 'the document'}: add it (${issue.expected})`,
          },
        ];
      }
      return [{ code: 'invalid-type', path, message: `${where} must be ${article(issue.expected)}, got ${describe(actual)}` }];
    }
    case 'invalid_value': {
      const allowed = issue.values.map((value) => JSON.stringify(value));
      const suggestion =
        typeof actual === 'string'
          ? didYouMean(
              actual,
              issue.values.filter((value): value is string => typeof value === 'string'),
            )
          : undefined;
      return [
        {
          code: 'invalid-value',
          path,
          message: `${where} is ${describe(actual)}${suggestion ? ` (did you mean "${suggestion}"?)` : ''}: use ${allowed.length === 1 ? allowed[0] : `one of ${allowed.join(', ')}`}`,
          ...(suggestion ? { suggestion } : {}),
        },
      ];
    }
    case 'too_small':
    case 'too_big': {
      return [{ code: 'out-of-range', path, message: `${where} ${rangeMessage(issue)}, got ${describe(actual)}` }];
    }
    case 'invalid_format':
      return [{ code: 'invalid-format', path, message: `${where} ${issue.message}, got ${describe(actual)}` }];
    case 'custom':
      return [{ code: 'rule', path, message: `${where ? `${where}: ` : ''}${issue.message}` }];
    case 'invalid_union': {
      return [{ code: 'invalid-value', path, message: `${where} matches none of its allowed forms: ${issue.message}` }];
    }
    default:
      return [{ code: 'invalid-value', path, message: `${where} ${issue.message}` }];
  }
}

/**
 * A misspelt required key shows up twice: as an unknown key and as a missing field. Keep the unknown
 * key (it says "did you mean") and drop the missing field it explains.
 */
function mergeTypos(issues: ConvertedIssue[]): ConvertedIssue[] {
  const explained = new Set(
    issues
      .filter((issue) => issue.code === 'unknown-key' && issue.suggestion !== undefined)
      .map((issue) => pointerOf([...issue.path, issue.suggestion ?? ''])),
  );
  if (explained.size === 0) return issues;
  return issues.filter(
    (issue) => !(issue.code === 'required' && issue.missing !== undefined && explained.has(pointerOf([...issue.path, issue.missing]))),
  );
}

function rangeMessage(issue: z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall): string {
  const isArray = issue.origin === 'array';
  const isString = issue.origin === 'string';
  const unit = isArray ? ' items' : isString ? ' characters' : '';
  if (issue.code === 'too_small') {
    const bound = Number(issue.minimum);
    if (isArray || isString) return `needs at least ${bound}${unit}`;
    return issue.inclusive ? `must be at least ${bound}` : `must be greater than ${bound}`;
  }
  const bound = Number(issue.maximum);
  if (isArray || isString) return `takes at most ${bound}${unit}`;
  return issue.inclusive ? `must be at most ${bound}` : `must be less than ${bound}`;
}

function article(expected: string): string {
  if (expected === 'object') return 'a mapping';
  if (expected === 'array') return 'a list';
  if (expected === 'int') return 'a whole number';
  return /^[aeiou]/.test(expected) ? `an ${expected}` : `a ${expected}`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return typeof value;
}

function displayPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}

function pointerOf(path: readonly PropertyKey[]): string {
  return path.map((segment) => `/${String(segment).replaceAll('~', '~0').replaceAll('/', '~1')}`).join('');
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let current = data;
  for (const segment of path) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current;
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0] ?? text;
}

type Range = readonly [number, number];

function rangeOf(node: unknown): Range {
  const range = (node as { range?: readonly [number, number, number] } | null)?.range;
  return range ? [range[0], range[1]] : [0, 0];
}

function child(node: unknown, segment: PropertyKey): unknown {
  if (yamlCst().isMap(node)) {
    const pair = node.items.find((item) => yamlCst().isScalar(item.key) && String(item.key.value) === String(segment));
    return pair?.value ?? undefined;
  }
  if (yamlCst().isSeq(node) && typeof segment === 'number') return node.items[segment];
  return undefined;
}

function nodeAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const segment of path) {
    current = child(current, segment);
    if (current === undefined || current === null) return undefined;
  }
  return current;
}

function nodeRange(root: unknown, path: readonly PropertyKey[]): Range | undefined {
  const node = nodeAt(root, path);
  return node ? rangeOf(node) : undefined;
}

/** Range of the key `key` within the mapping at `path`. */
function keyRange(root: unknown, path: readonly PropertyKey[], key: string): Range | undefined {
  const map = nodeAt(root, path);
  if (!yamlCst().isMap(map)) return undefined;
  const pair = map.items.find((item) => yamlCst().isPair(item) && yamlCst().isScalar(item.key) && String(item.key.value) === key);
  return pair?.key ? rangeOf(pair.key) : undefined;
}

/** The deepest existing node on the path; for a missing field, the key that holds its parent. */
function nearestRange(root: unknown, path: readonly PropertyKey[]): Range | undefined {
  for (let length = path.length; length > 0; length--) {
    const parentPath = path.slice(0, length - 1);
    const last = path[length - 1];
    if (typeof last === 'string') {
      const range = keyRange(root, parentPath, last);
      if (range) return range;
    }
    const range = nodeRange(root, path.slice(0, length));
    if (range) return range;
  }
  return undefined;
}

/** Loads a file or text that holds exactly one Agent manifest (other kinds may sit beside it). */
export function loadManifest(input: LoadInput, options: LoadOptions = {}): LoadResult<KindValues['Agent'] | undefined> {
  return loadOne(input, 'Agent', options);
}

/** Loads a file or text that holds exactly one GuardrailPolicy. */
export function loadPolicy(input: LoadInput, options: LoadOptions = {}): LoadResult<KindValues['GuardrailPolicy'] | undefined> {
  return loadOne(input, 'GuardrailPolicy', options);
}

function loadOne<K extends Kind>(input: LoadInput, kind: K, options: LoadOptions): LoadResult<KindValues[K] | undefined> {
  const file = typeof input === 'string' ? input : 'path' in input ? input.path : (input.file ?? '<input>');
  return selectOne(loadDocuments(input, options), kind, file);
}

/** The one document of `kind` in a load result, or issues (internal to `@charter/spec`). */
export function selectOne<K extends Kind>(
  result: LoadResult<LoadedDocument[]>,
  kind: K,
  inputFile: string,
): LoadResult<KindValues[K] | undefined> {
  const { value, issues } = result;
  const matching = value.filter((document) => document.kind === kind);
  const file = value[0]?.file ?? inputFile;
  if (issues.length > 0) return { value: undefined, issues };
  if (matching.length === 0) {
    return {
      value: undefined,
      issues: [
        fileIssue('wrong-kind', file, `expected a document of kind ${kind}, found ${value.map((d) => d.kind).join(', ') || 'none'}`),
      ],
    };
  }
  if (matching.length > 1) {
    const second = matching[1];
    return {
      value: undefined,
      issues: [
        {
          ...fileIssue(
            'multiple-documents',
            file,
            `expected one ${kind} document, found ${matching.length}: use loadDocuments for multi-agent files`,
          ),
          line: second?.line ?? 1,
          document: second?.document ?? 0,
        },
      ],
    };
  }
  return { value: matching[0]?.value as KindValues[K], issues };
}
