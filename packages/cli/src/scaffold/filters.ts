// The template filters Backstage's scaffolder adds to nunjitsu (scaffolder-backend's default filters),
// written here with the same behaviour so a skeleton renders the same with `charter new` and in Backstage:
// parseRepoUrl and projectSlug (a RepoUrlPicker value such as `github.com?owner=acme&repo=desk`),
// parseEntityRef (`[kind:][namespace/]name`) and pick (a property path, as lodash's `get`).
import type { TemplateFilter, TemplateValue } from 'nunjitsu';

/** The SCM integration type of a host: what decides which query parameters a repo URL needs. */
export type IntegrationType = 'github' | 'gitlab' | 'bitbucketCloud' | 'bitbucketServer' | 'azure' | 'gitea' | 'gerrit';

/** The hosts Backstage's ScmIntegrations know without configuration. */
export const DEFAULT_INTEGRATIONS: Readonly<Record<string, IntegrationType>> = {
  'github.com': 'github',
  'gitlab.com': 'gitlab',
  'bitbucket.org': 'bitbucketCloud',
  'dev.azure.com': 'azure',
};

export interface RepoSpec {
  host: string;
  repo: string;
  owner?: string;
  organization?: string;
  workspace?: string;
  project?: string;
}

const REPO_PARAMS = ['owner', 'organization', 'workspace', 'project', 'repo'] as const;

/** Which query parameters a host's integration type needs (gitlab: `owner` unless `project` is given). */
function requiredParams(type: IntegrationType, project: string | undefined): readonly string[] {
  switch (type) {
    case 'bitbucketCloud':
      return ['workspace', 'project', 'repo'];
    case 'bitbucketServer':
    case 'azure':
      return ['project', 'repo'];
    case 'gitlab':
      return project ? [] : ['owner', 'repo'];
    case 'gitea':
    case 'gerrit':
      return ['repo'];
    case 'github':
      return ['repo', 'owner'];
  }
}

const trimSlashes = (value: string): string => {
  let start = 0;
  let end = value.length;
  while (start < end && value[start] === '/') start++;
  while (end > start && value[end - 1] === '/') end--;
  return value.slice(start, end);
};

/** Parses a RepoUrlPicker value (`<host>?owner=…&repo=…`); throws naming what is missing, as the scaffolder does. */
export function parseRepoUrl(repoUrl: string, integrations: Readonly<Record<string, IntegrationType>> = DEFAULT_INTEGRATIONS): RepoSpec {
  let parsed: URL;
  try {
    parsed = new URL(`https://${repoUrl}`);
  } catch (error) {
    throw new Error(`Invalid repo URL passed to publisher, got ${repoUrl}, ${String(error)}`, { cause: error });
  }
  const host = parsed.host;
  const type = Object.hasOwn(integrations, host) ? integrations[host] : undefined;
  if (type === undefined) throw new Error(`No matching integration configuration for host ${host}, please check your integrations config`);
  const found: Partial<Record<(typeof REPO_PARAMS)[number], string>> = {};
  for (const param of REPO_PARAMS) {
    const value = parsed.searchParams.get(param);
    if (value !== null) found[param] = trimSlashes(value);
  }
  for (const param of requiredParams(type, found.project)) {
    if (!parsed.searchParams.get(param)) throw new Error(`Invalid repo URL passed to publisher: ${parsed.toString()}, missing ${param}`);
  }
  // Keys without a value are left out (the scaffolder's JSON boundary drops them too).
  const result: Record<string, string> = { host };
  for (const key of ['owner', 'repo', 'organization', 'workspace', 'project'] as const) {
    const value = found[key];
    if (value !== undefined) result[key] = value;
  }
  return result as unknown as RepoSpec;
}

export interface CompoundEntityRef {
  kind: string;
  namespace: string;
  name: string;
}

/** Parses `[kind:][namespace/]name` (or a `{ kind?, namespace?, name }` object) with optional defaults, as @backstage/catalog-model does. */
export function parseEntityRef(
  ref: string | { kind?: string; namespace?: string; name: string },
  context: { defaultKind?: string; defaultNamespace?: string } = {},
): CompoundEntityRef {
  if (!ref) throw new Error('Entity reference must not be empty');
  // An empty default namespace counts as none (as in @backstage/catalog-model).
  const defaultNamespace = context.defaultNamespace === undefined || context.defaultNamespace === '' ? 'default' : context.defaultNamespace;
  let kind: string | undefined;
  let namespace: string | undefined;
  let name: string | undefined;
  if (typeof ref === 'string') {
    let colon = ref.indexOf(':');
    const slash = ref.indexOf('/');
    if (slash !== -1 && slash < colon) colon = -1;
    const parsedKind = colon === -1 ? undefined : ref.slice(0, colon);
    const parsedNamespace = slash === -1 ? undefined : ref.slice(colon + 1, slash);
    name = ref.slice(Math.max(colon + 1, slash + 1));
    if (parsedKind === '' || parsedNamespace === '' || name === '')
      throw new TypeError(`Entity reference "${ref}" was not on the form [<kind>:][<namespace>/]<name>`);
    kind = parsedKind ?? context.defaultKind;
    namespace = parsedNamespace ?? defaultNamespace;
  } else {
    kind = ref.kind ?? context.defaultKind;
    namespace = ref.namespace ?? defaultNamespace;
    name = ref.name;
  }
  if (!kind)
    throw new Error(`Entity reference ${JSON.stringify(ref)} had missing or empty kind (e.g. did not start with "component:" or similar)`);
  if (!namespace) throw new Error(`Entity reference ${JSON.stringify(ref)} had missing or empty namespace`);
  if (!name) throw new Error(`Entity reference ${JSON.stringify(ref)} had missing or empty name`);
  return { kind, namespace, name };
}

/** The segments of a property path: `a.b[0].c` → a, b, 0, c (as lodash's `toPath` for plain paths). */
function pathSegments(path: string): string[] {
  const segments: string[] = [];
  for (const part of path.split('.')) {
    let rest = part;
    const open = rest.indexOf('[');
    if (open === -1) {
      segments.push(rest);
      continue;
    }
    if (open > 0) segments.push(rest.slice(0, open));
    rest = rest.slice(open);
    while (rest.startsWith('[')) {
      const close = rest.indexOf(']');
      if (close === -1) break;
      segments.push(rest.slice(1, close).replace(/^(["'])(.*)\1$/, '$2'));
      rest = rest.slice(close + 1);
    }
  }
  return segments;
}

/** The value at `path` inside `value` (lodash `get`), undefined when any step is missing. */
export function pick(value: unknown, path: string): unknown {
  if (typeof path !== 'string') return undefined;
  let current: unknown = value;
  for (const segment of pathSegments(path)) {
    if (current === null || current === undefined) return undefined;
    if (current instanceof Map) current = current.get(segment);
    else if (typeof current === 'object') current = (current as Record<string, unknown>)[segment];
    else if (typeof current === 'string' && /^\d{1,9}$/.test(segment)) current = current[Number(segment)];
    else return undefined;
  }
  return current;
}

/** `owner/repo` of a repo URL. */
export function projectSlug(repoUrl: string, integrations: Readonly<Record<string, IntegrationType>> = DEFAULT_INTEGRATIONS): string {
  const { owner, repo } = parseRepoUrl(repoUrl, integrations);
  return `${owner ?? 'undefined'}/${repo}`;
}

/** The four filters, ready for `createTemplateRenderer({ filters })`. */
export function scaffolderFilters(
  integrations: Readonly<Record<string, IntegrationType>> = DEFAULT_INTEGRATIONS,
): Record<string, TemplateFilter> {
  const asValue = (value: unknown): TemplateValue | undefined => value as TemplateValue | undefined;
  // Template values are strings here; anything else is rendered as JSON (never "[object Object]").
  const text = (value: TemplateValue | undefined): string => {
    if (typeof value === 'string') return value;
    return value === undefined ? '' : JSON.stringify(value);
  };
  return {
    parseRepoUrl: (input) => asValue(parseRepoUrl(text(input), integrations)),
    parseEntityRef: (input, context) =>
      asValue(
        parseEntityRef(
          input as string | { kind?: string; namespace?: string; name: string },
          (context ?? {}) as { defaultKind?: string; defaultNamespace?: string },
        ),
      ),
    pick: (input, path) => asValue(pick(input, text(path))),
    projectSlug: (input) => projectSlug(text(input), integrations),
  };
}
