import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadAgent, type LoadedAgent, type SpecIssue } from '@charter/spec';
import { parse } from 'yaml';

/** Reads the text at an absolute URL; undefined when there is nothing there (404). */
export type ReadText = (url: string) => Promise<string | undefined>;

/** An agent read from where its catalog entity says it is, with every path as the URL it came from. */
export interface RemoteAgent {
  readonly agent: LoadedAgent;
  /** The manifest's URL. */
  readonly manifestUrl: string;
  /** The manifest's text (undefined when it could not be read). */
  readonly manifestText: string | undefined;
  /** The policy's text, when the manifest names one that could be read. */
  readonly policyText: string | undefined;
  /** Issues with `file` (and paths in messages) as URLs. */
  readonly issues: readonly SpecIssue[];
  /** The URL of each playbook that was found, by id. */
  readonly playbookUrls: ReadonlyMap<string, string>;
}

/** A lenient look at the manifest before validation: where its policy and playbooks are. */
function namedFiles(text: string): { policy: string | undefined; playbooks: string[] } {
  try {
    const doc = parse(text) as { spec?: { policy?: unknown; playbooks?: unknown } } | null;
    const policy = typeof doc?.spec?.policy === 'string' ? doc.spec.policy : undefined;
    const playbooks = Array.isArray(doc?.spec?.playbooks)
      ? doc.spec.playbooks.filter((id): id is string => typeof id === 'string' && /^[a-z][a-z0-9_-]{0,63}$/.test(id))
      : [];
    return { policy, playbooks };
  } catch {
    return { policy: undefined, playbooks: [] };
  }
}

/** The folder URLs from the manifest's folder up to the root of its origin. */
function ancestors(url: URL): URL[] {
  const folders: URL[] = [];
  let current = new URL('./', url);
  for (;;) {
    folders.push(current);
    if (current.pathname === '/') return folders;
    current = new URL('../', current);
  }
}

/**
 * Loads the agent whose manifest is at `manifestUrl` exactly as `loadAgent` loads it from disk: the
 * manifest, the policy its `spec.policy` names (relative to the manifest) and the playbooks of
 * `spec.playbooks` from the nearest `playbooks/` folder at or above the manifest's folder. The files
 * are read with `read` (Backstage's UrlReader) into a private folder laid out like the URLs, loaded
 * there, and every issue is reported against the URL it came from, with its line and column.
 * A `file:` URL is loaded from disk directly.
 */
export async function loadRemoteAgent(manifestUrl: string, read: ReadText): Promise<RemoteAgent> {
  const url = new URL(manifestUrl);
  if (url.protocol === 'file:') {
    const path = fileURLToPath(url);
    const agent = loadAgent(path);
    const text = (file: string | undefined) => {
      try {
        return file === undefined ? undefined : readFileSync(file, 'utf8');
      } catch {
        return undefined;
      }
    };
    const playbookUrls = new Map<string, string>();
    if (agent.playbookDir !== undefined)
      for (const id of agent.playbooks.keys()) playbookUrls.set(id, pathToFileURL(join(agent.playbookDir, `${id}.md`)).href);
    return {
      agent,
      manifestUrl,
      manifestText: text(path),
      policyText: text(agent.policyFile),
      issues: agent.issues.map((issue) => ({ ...issue, file: pathToFileURL(issue.file).href })),
      playbookUrls,
    };
  }

  const root = mkdtempSync(join(tmpdir(), 'charter-agent-'));
  const base = join(root, encodeURIComponent(url.origin));
  const local = (target: URL) =>
    join(
      base,
      ...decodeURIComponent(target.pathname)
        .split('/')
        .filter((part) => part !== '' && part !== '..'),
    );
  const write = (target: URL, text: string) => {
    const path = local(target);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  const toUrl = (text: string) =>
    text
      .split(base + sep)
      .join(`${url.origin}/`)
      .split(base)
      .join(url.origin);
  try {
    const manifestText = await read(url.href);
    let policyText: string | undefined;
    const playbookUrls = new Map<string, string>();
    let playbookDir: URL | undefined;
    if (manifestText !== undefined) {
      write(url, manifestText);
      const named = namedFiles(manifestText);
      if (named.policy !== undefined) {
        const policyUrl = new URL(named.policy, url);
        if (policyUrl.origin === url.origin) {
          policyText = await read(policyUrl.href);
          if (policyText !== undefined) write(policyUrl, policyText);
        }
      }
      const [first] = named.playbooks;
      if (first !== undefined) {
        for (const folder of ancestors(url)) {
          const candidate = new URL(`playbooks/${first}.md`, folder);
          const text = await read(candidate.href);
          if (text === undefined) continue;
          playbookDir = new URL('playbooks/', folder);
          write(candidate, text);
          playbookUrls.set(first, candidate.href);
          break;
        }
        const dir = playbookDir ?? new URL('playbooks/', url);
        for (const id of named.playbooks.slice(1)) {
          const candidate = new URL(`${id}.md`, dir);
          const text = await read(candidate.href);
          if (text === undefined) continue;
          write(candidate, text);
          playbookUrls.set(id, candidate.href);
        }
        playbookDir = dir;
      }
    }
    const agent = loadAgent(local(url), playbookDir === undefined ? {} : { playbookDirs: [local(playbookDir)] });
    const issues = agent.issues.map((issue) => ({
      ...issue,
      file: toUrl(issue.file),
      message: toUrl(issue.message),
      ...(issue.related === undefined
        ? {}
        : { related: issue.related.map((place) => ({ ...place, file: toUrl(place.file), message: toUrl(place.message) })) }),
    }));
    return { agent, manifestUrl: url.href, manifestText, policyText, issues, playbookUrls };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** `file:line:column message [code]`, the way every Charter tool prints an issue. */
export function formatIssue(issue: Pick<SpecIssue, 'file' | 'line' | 'column' | 'message' | 'code'>): string {
  return `${issue.file}:${issue.line}:${issue.column} ${issue.message} [${issue.code}]`;
}
