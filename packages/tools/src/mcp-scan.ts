// MCP tool security: what a server's `tools/list` says, checked before any of it reaches a model.
// Three findings (ADR 0011): tool poisoning — instructions hidden in a tool's description or schema,
// which the model reads as part of its context; typosquatting — a tool whose name is within edit
// distance 2 of a granted tool, so a model asked for `refund_order` may call `refund_orders`; rug
// pulls — a description or schema that changed since review without a version bump, found against a
// lock file of tool digests (`charter.tools.lock`) written at review time. Plain data in, findings out:
// no MCP SDK import, so `importMcpTools` runs it at import time and `charter tools scan` on demand, and
// a higher layer can add its own instruction detector (the CLI adds the guardrails' injection detector).
import { createHash } from 'node:crypto';
import { ToolError, ToolErrorCode } from './errors.js';

/** A tool as an MCP server lists it (`tools/list`); only these fields are read. */
export interface McpToolDescriptor {
  readonly name: string;
  readonly title?: string | undefined;
  readonly description?: string | undefined;
  readonly inputSchema?: unknown;
  readonly outputSchema?: unknown;
  readonly annotations?: unknown;
  readonly _meta?: unknown;
}

/** The server a tool list came from (the MCP `serverInfo`). */
export interface McpServerInfo {
  readonly name: string;
  readonly version: string;
}

/** One hit of an instruction detector in one string. */
export interface InstructionHit {
  /** Stable id, e.g. `conceal-from-user`, `injection.instruction-override`. */
  readonly rule: string;
  readonly message: string;
}

/** Looks for instructions addressed to a model in one string of a tool's metadata. Must be linear-time. */
export type InstructionDetector = (text: string) => readonly InstructionHit[];

export type McpFindingKind = 'tool-poisoning' | 'typosquat' | 'rug-pull' | 'unreviewed' | 'changed' | 'removed';

/** One problem with one tool. `error` findings fail `charter tools scan` and refuse an import. */
export interface McpScanFinding {
  readonly kind: McpFindingKind;
  readonly severity: 'error' | 'warning';
  readonly server: string;
  readonly tool: string;
  /** JSON pointer into the tool's listing (`/description`, `/inputSchema/properties/path/description`), `""` for the tool. */
  readonly path: string;
  /** The detector rule (tool poisoning) or the granted tool (typosquat). */
  readonly rule?: string;
  readonly message: string;
}

/** A tool's identity at review time. */
export interface LockedTool {
  readonly version: string;
  /** `sha256:<hex>` of the tool's canonical listing (name, title, description, schemas, annotations). */
  readonly digest: string;
}

/** `charter.tools.lock`: the reviewed tools of each MCP server. */
export interface ToolLock {
  readonly lockVersion: 1;
  readonly servers: Readonly<Record<string, { readonly version: string; readonly tools: Readonly<Record<string, LockedTool>> }>>;
}

export interface McpScanOptions {
  /** Names of the tools the agent is granted (its manifest's `spec.tools`): a listed tool within edit distance 2 of one is a typosquat. */
  readonly granted?: readonly string[];
  /** The reviewed lock; absent: rug pulls are not checked. */
  readonly lock?: ToolLock;
  /** Instruction detectors run on every string of every tool; default `[detectHiddenInstructions]`. */
  readonly detectors?: readonly InstructionDetector[];
  /** How a listed tool is named locally (the import's prefix); default the name itself. */
  readonly localName?: (name: string) => string;
}

export interface McpScanReport {
  /** No `error` finding. */
  readonly ok: boolean;
  readonly server: McpServerInfo;
  readonly findings: readonly McpScanFinding[];
  /** Each scanned tool's version and digest, as `createToolLock` records them. */
  readonly tools: readonly ({ readonly name: string } & LockedTool)[];
}

/** Longest string read per field; longer text is cut (a description of a poisoned tool is seldom long). */
const MAX_FIELD = 16_384;
/** Most strings read per tool. */
const MAX_STRINGS = 2_000;
const MAX_DEPTH = 32;
const LOCK_FILE_VERSION = 1;
/** A lock file larger than this is refused. */
const MAX_LOCK_BYTES = 4 * 1024 * 1024;

// --- the built-in instruction heuristic: each rule starts with a keyword or fixed text, every gap is bounded.

// eslint-disable-next-line no-misleading-character-class -- the zero-width joiner is listed on purpose: it is what we look for
const HIDDEN_CHARS = /[\u200B\u200C\u200D\u2060\u2061\u2062\u2063\u2064\uFEFF\u202A-\u202E\u2066-\u2069]|\uDB40[\uDC00-\uDC7F]/;
const RULES: readonly { readonly rule: string; readonly regex: RegExp; readonly message: string }[] = [
  {
    rule: 'instruction-tag',
    regex:
      /<\/?\s{0,3}(?:important|system|instructions?|secret|hidden|admin|assistant)\b[^<>\n]{0,40}>|\[\/?INST\]|<\|im_start\|>|<\|system\|>/i,
    message: 'a tag that frames text as instructions to the model',
  },
  { rule: 'html-comment', regex: /<!--/, message: 'an HTML comment: text a reviewer does not see rendered' },
  {
    rule: 'conceal-from-user',
    regex:
      /\b(?:do\s{1,3}not|don'?t|never|without|no\s{1,3}need\s{1,3}to)\s{1,3}(?:tell|telling|mention|mentioning|inform|informing|notify|notifying|reveal|revealing|show|showing|alert|alerting)\b[^.\n]{1,60}?\buser\b/i,
    message: 'tells the model to keep something from the user',
  },
  {
    rule: 'conceal-from-user',
    regex: /\buser\s{1,3}(?:must|should|need|needs)\s{1,3}(?:not|never)\s{1,3}(?:know|see|notice|be\s{1,3}told)\b/i,
    message: 'tells the model to keep something from the user',
  },
  {
    rule: 'instruction-override',
    regex:
      /\b(?:ignore|disregard|forget|override)\s{1,3}(?:all\s{1,3})?(?:(?:the|your|any)\s{1,3})?(?:previous|prior|above|earlier|other|system)\s{1,3}(?:instructions?|rules?|prompts?|guidelines?)\b/i,
    message: 'asks the model to ignore its instructions',
  },
  {
    rule: 'sensitive-file',
    regex:
      /~\/\.ssh\b|\bid_(?:rsa|ed25519|ecdsa)\b|\.aws\/credentials|\bmcp\.json\b|\/etc\/(?:passwd|shadow)\b|(?:^|[\s'"`(/])\.(?:env|npmrc|netrc|pgpass)\b|claude_desktop_config|\.cursor\//i,
    message: 'names a file that holds credentials or client configuration',
  },
  {
    rule: 'covert-action',
    regex:
      /\b(?:secretly|silently|quietly|covertly)\s{1,3}(?:send|call|read|pass|include|forward|add|copy|upload|e-?mail|transfer|refund)\b/i,
    message: 'asks the model to act without the user noticing',
  },
  {
    rule: 'redirect',
    regex:
      /\b(?:change|replace|set|redirect|override|switch)\s{1,3}(?:the\s{1,3}|all\s{1,3}|every\s{1,3})?(?:recipients?|destination|e-?mail\s{1,3}address(?:es)?|to\s{1,3}(?:field|address)|bank\s{1,3}account|iban)\s{1,3}to\b/i,
    message: 'asks the model to redirect where something goes',
  },
  {
    rule: 'whitespace-padding',
    regex: /[ \t\r\n]{80}/,
    message: 'a long run of whitespace that pushes text out of a reviewer’s view',
  },
];
// "Before using this tool, read/open/pass …" — then the rest of that sentence must name sensitive data.
const PRECONDITION =
  /\bbefore\s{1,3}(?:using|calling|invoking|running|you\s{1,3}(?:use|call|run))\b[^.\n]{1,120}?\b(?:read|open|pass|send|include|attach|upload|forward|copy|fetch|put)\b/i;
const SENSITIVE_OBJECT =
  /\b(?:contents?|files?|credentials?|passwords?|tokens?|api[\s_-]?keys?|private\s{1,3}keys?|secrets?|conversation|chat\s{1,3}history|system\s{1,3}prompt)\b/i;

/** Every pattern of the heuristic (the regex-safety test runs recheck on each). */
export const scanPatterns: readonly RegExp[] = [HIDDEN_CHARS, ...RULES.map((rule) => rule.regex), PRECONDITION, SENSITIVE_OBJECT];

/**
 * The built-in, linear-time heuristic for instructions hidden in tool metadata: invisible characters,
 * instruction tags (`<IMPORTANT>`), HTML comments, concealment from the user, instruction overrides,
 * credential files, covert actions, redirected recipients, whitespace padding, and a "before using this
 * tool, read the file…" precondition that moves sensitive data. Written for tool descriptions, where
 * ordinary text does not address the model about the user; it does not replace a prompt-injection detector.
 */
export function detectHiddenInstructions(text: string): InstructionHit[] {
  const hits: InstructionHit[] = [];
  const value = text.length > MAX_FIELD ? text.slice(0, MAX_FIELD) : text;
  if (HIDDEN_CHARS.test(value))
    hits.push({ rule: 'hidden-characters', message: 'invisible characters (zero-width, bidi controls or Unicode tags) hide text' });
  for (const { rule, regex, message } of RULES) {
    const match = regex.exec(value);
    if (match !== null && !hits.some((hit) => hit.rule === rule)) hits.push({ rule, message: `${message}: "${excerpt(match[0])}"` });
  }
  const precondition = PRECONDITION.exec(value);
  const sentence = precondition === null ? '' : value.slice(precondition.index, precondition.index + 240).split(/\.\s|\n/, 1)[0];
  const object = precondition === null ? null : SENSITIVE_OBJECT.exec(sentence ?? '');
  if (precondition !== null && object !== null)
    hits.push({
      rule: 'precondition-exfiltration',
      message: `a precondition that has the model move data ("${excerpt(object[0])}") before the call: "${excerpt(precondition[0])}"`,
    });
  return hits;
}

function excerpt(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > 60 ? `${flat.slice(0, 57)}...` : flat;
}

// --- typosquatting

/**
 * Optimal-string-alignment distance (insertions, deletions, substitutions, adjacent transpositions),
 * or `max + 1` as soon as it must exceed `max`. Names are short (≤ 128 characters are compared).
 */
export function editDistance(a: string, b: string, max = Number.POSITIVE_INFINITY): number {
  const s = a.slice(0, 128);
  const t = b.slice(0, 128);
  if (Math.abs(s.length - t.length) > max) return max + 1;
  let before = new Array<number>(t.length + 1).fill(0);
  let previous = Array.from({ length: t.length + 1 }, (_, j) => j);
  let current = new Array<number>(t.length + 1).fill(0);
  for (let i = 1; i <= s.length; i++) {
    current[0] = i;
    let rowMin = i;
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      let d = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
      if (i > 1 && j > 1 && s[i - 1] === t[j - 2] && s[i - 2] === t[j - 1]) d = Math.min(d, (before[j - 2] ?? 0) + 1);
      current[j] = d;
      if (d < rowMin) rowMin = d;
    }
    if (rowMin > max) return max + 1;
    [before, previous, current] = [previous, current, before];
  }
  const result = previous[t.length] ?? 0;
  return result > max ? max + 1 : result;
}

/** The distance within which a name counts as a look-alike: 2, or 1 for granted names under 5 characters (2 edits make any short name). */
function squatDistance(granted: string): number {
  return granted.length >= 5 ? 2 : 1;
}

// --- digests and the lock

/** JSON with object keys sorted at every level: the same listing always gives the same text. */
function canonicalJson(value: unknown, depth = 0): string {
  if (depth > MAX_DEPTH) throw new ToolError(ToolErrorCode.Mcp, `an MCP tool listing is nested deeper than ${MAX_DEPTH} levels`);
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item, depth + 1)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, item]) => item !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item, depth + 1)}`).join(',')}}`;
}

/**
 * `sha256:<hex>` of what a model and its client read of a tool: name, title, description, input and
 * output schemas and annotations (not `_meta`, where the version travels). Key order does not matter.
 */
export function toolDigest(tool: McpToolDescriptor): string {
  const listing = {
    name: tool.name,
    title: tool.title,
    description: tool.description,
    inputSchema: tool.inputSchema,
    outputSchema: tool.outputSchema,
    annotations: tool.annotations,
  };
  return `sha256:${createHash('sha256').update(canonicalJson(listing)).digest('hex')}`;
}

/** A tool's version: `_meta["charter.dev/version"]` when the server sets it (Charter servers do), else the server's version. */
export function toolVersion(tool: McpToolDescriptor, server: McpServerInfo): string {
  const meta = tool._meta;
  const own = meta !== null && typeof meta === 'object' ? (meta as Record<string, unknown>)['charter.dev/version'] : undefined;
  return typeof own === 'string' && own.length > 0 && own.length <= 64 ? own : server.version;
}

/**
 * A lock recording each tool of each server as reviewed now. `base` is an existing lock: its other
 * servers are kept, the servers given here are replaced.
 */
export function createToolLock(
  servers: readonly { readonly server: McpServerInfo; readonly tools: readonly McpToolDescriptor[] }[],
  base?: ToolLock,
): ToolLock {
  const out: Record<string, { version: string; tools: Record<string, LockedTool> }> = {};
  for (const [name, entry] of Object.entries(base?.servers ?? {})) out[name] = { version: entry.version, tools: { ...entry.tools } };
  for (const { server, tools } of servers) {
    const locked: Record<string, LockedTool> = {};
    for (const tool of [...tools].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)))
      locked[tool.name] = { version: toolVersion(tool, server), digest: toolDigest(tool) };
    out[server.name] = { version: server.version, tools: locked };
  }
  const sorted: Record<string, { version: string; tools: Record<string, LockedTool> }> = {};
  for (const name of Object.keys(out).sort()) {
    const entry = out[name];
    if (entry !== undefined) sorted[name] = entry;
  }
  return { lockVersion: LOCK_FILE_VERSION, servers: sorted };
}

/** The lock as `charter.tools.lock` holds it: JSON, two-space indent, a final newline, keys sorted. */
export function formatToolLock(lock: ToolLock): string {
  return `${JSON.stringify(lock, null, 2)}\n`;
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/** Reads `charter.tools.lock`; a malformed lock is a `TOOL_LOCK` error naming `file` (and the line, for bad JSON). */
export function parseToolLock(text: string, file = 'charter.tools.lock'): ToolLock {
  const fail = (message: string, cause?: unknown): never => {
    throw new ToolError(ToolErrorCode.Lock, `${file}: ${message}`, cause === undefined ? undefined : { cause });
  };
  if (text.length > MAX_LOCK_BYTES) fail(`larger than ${MAX_LOCK_BYTES} bytes`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    const position = /position (\d+)/.exec((error as Error).message)?.[1];
    const line = position === undefined ? undefined : text.slice(0, Number(position)).split('\n').length;
    fail(
      `${line === undefined ? '' : `line ${line}: `}not JSON (${(error as Error).message}); write it again with "charter tools scan --write-lock"`,
      error,
    );
  }
  const record = (value: unknown): value is Record<string, unknown> => value !== null && typeof value === 'object' && !Array.isArray(value);
  if (!record(json)) return fail('a lock is a JSON object');
  if (json.lockVersion !== LOCK_FILE_VERSION) fail(`lockVersion must be ${LOCK_FILE_VERSION}, got ${JSON.stringify(json.lockVersion)}`);
  if (!record(json.servers)) return fail('"servers" must be an object of server name → { version, tools }');
  const servers: Record<string, { version: string; tools: Record<string, LockedTool> }> = {};
  for (const [server, entry] of Object.entries(json.servers)) {
    if (!record(entry) || typeof entry.version !== 'string' || !record(entry.tools))
      return fail(`servers.${server} must be { "version": string, "tools": object }`);
    const tools: Record<string, LockedTool> = {};
    for (const [tool, locked] of Object.entries(entry.tools)) {
      if (!record(locked) || typeof locked.version !== 'string' || typeof locked.digest !== 'string' || !DIGEST.test(locked.digest))
        return fail(`servers.${server}.tools.${tool} must be { "version": string, "digest": "sha256:<64 hex>" }`);
      tools[tool] = { version: locked.version, digest: locked.digest };
    }
    servers[server] = { version: entry.version, tools };
  }
  return { lockVersion: LOCK_FILE_VERSION, servers };
}

// --- the scan

/** Every string a model or client reads of a tool, with its JSON pointer: title, description, annotations, and every schema key and string. */
function* strings(tool: McpToolDescriptor): Generator<readonly [path: string, text: string]> {
  let count = 0;
  const escape = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');
  function* walk(value: unknown, path: string, depth: number): Generator<readonly [string, string]> {
    if (count >= MAX_STRINGS || depth > MAX_DEPTH) return;
    if (typeof value === 'string') {
      count++;
      yield [path, value];
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) yield* walk(item, `${path}/${i}`, depth + 1);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
        // A property name is read by the model too ("content_of_ssh_key").
        if (path.endsWith('/properties')) {
          count++;
          yield [`${path}/${escape(key)}`, key.replaceAll('_', ' ')];
        }
        yield* walk(item, `${path}/${escape(key)}`, depth + 1);
      }
    }
  }
  if (tool.title !== undefined) yield* walk(tool.title, '/title', 0);
  if (tool.description !== undefined) yield* walk(tool.description, '/description', 0);
  yield* walk(tool.inputSchema, '/inputSchema', 0);
  yield* walk(tool.outputSchema, '/outputSchema', 0);
  yield* walk(tool.annotations, '/annotations', 0);
}

/**
 * Scans one server's tool list: tool poisoning (every string through every detector), typosquats of
 * the granted tools, and, with a lock, rug pulls (same version, different digest: an error), changed
 * tools with a new version, tools never reviewed and reviewed tools that disappeared (warnings).
 */
export function scanMcpTools(server: McpServerInfo, tools: readonly McpToolDescriptor[], options: McpScanOptions = {}): McpScanReport {
  const detectors = options.detectors ?? [detectHiddenInstructions];
  const granted = [...new Set(options.granted ?? [])];
  const findings: McpScanFinding[] = [];
  const scanned: ({ name: string } & LockedTool)[] = [];
  const add = (finding: Omit<McpScanFinding, 'server'>): void => {
    findings.push({ server: server.name, ...finding });
  };
  for (const tool of tools) {
    const version = toolVersion(tool, server);
    const digest = toolDigest(tool);
    scanned.push({ name: tool.name, version, digest });

    // Tool poisoning: one finding per field and rule.
    for (const [path, text] of strings(tool)) {
      const seen = new Set<string>();
      for (const detector of detectors) {
        for (const hit of detector(text)) {
          if (seen.has(hit.rule)) continue;
          seen.add(hit.rule);
          add({ kind: 'tool-poisoning', severity: 'error', tool: tool.name, path, rule: hit.rule, message: hit.message });
        }
      }
    }

    // Typosquatting: the name the agent would call it by, against every granted name it is not.
    const local = (options.localName?.(tool.name) ?? tool.name).toLowerCase();
    if (!granted.some((name) => name.toLowerCase() === local)) {
      for (const name of granted) {
        const max = squatDistance(name);
        const distance = editDistance(local, name.toLowerCase(), max);
        if (distance <= max) {
          add({
            kind: 'typosquat',
            severity: 'error',
            tool: tool.name,
            path: '',
            rule: name,
            message: `"${local}" is ${distance} edit${distance === 1 ? '' : 's'} from the granted tool "${name}": a model asked for one may call the other; rename or drop it`,
          });
        }
      }
    }

    // Rug pulls, against the reviewed lock.
    if (options.lock !== undefined) {
      const locked = options.lock.servers[server.name]?.tools[tool.name];
      if (locked === undefined) {
        add({
          kind: 'unreviewed',
          severity: 'warning',
          tool: tool.name,
          path: '',
          message: `not in the lock: review it, then record it with "charter tools scan --write-lock"`,
        });
      } else if (locked.digest !== digest) {
        if (locked.version === version)
          add({
            kind: 'rug-pull',
            severity: 'error',
            tool: tool.name,
            path: '',
            message: `description or schema changed since review without a version bump (still ${version}; locked ${locked.digest.slice(0, 19)}…, now ${digest.slice(0, 19)}…): do not use it until the change is reviewed`,
          });
        else
          add({
            kind: 'changed',
            severity: 'warning',
            tool: tool.name,
            path: '',
            message: `changed with a version bump (${locked.version} → ${version}): review the change, then "charter tools scan --write-lock"`,
          });
      }
    }
  }
  if (options.lock !== undefined) {
    const listed = new Set(tools.map((tool) => tool.name));
    for (const name of Object.keys(options.lock.servers[server.name]?.tools ?? {}))
      if (!listed.has(name))
        add({ kind: 'removed', severity: 'warning', tool: name, path: '', message: 'reviewed, no longer listed by the server' });
  }
  return { ok: !findings.some((finding) => finding.severity === 'error'), server, findings, tools: scanned };
}
