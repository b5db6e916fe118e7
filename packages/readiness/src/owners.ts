import { join, relative } from 'node:path';
import { LineCounter, parseAllDocuments } from 'yaml';
import { nodeFiles, type Files } from './inputs.js';

/** Annotations that name an on-call rota for a Backstage Group (the first present wins). */
export const ON_CALL_ANNOTATIONS = [
  'charter.dev/on-call',
  'pagerduty.com/service-id',
  'pagerduty.com/integration-key',
  'opsgenie.com/team',
] as const;

/** The declared owners file an agent may keep beside its manifest: Backstage `kind: Group` entities. */
export const OWNERS_FILE = 'owners.yaml';

export interface OwnerGroup {
  readonly ref: string;
  readonly name: string;
  readonly namespace: string;
  readonly members: readonly string[];
  /** The on-call rota (annotation value) and the annotation that named it. */
  readonly onCall: { readonly annotation: string; readonly value: string } | undefined;
  /** Where the entity is defined (path relative to the repository root) and its line. */
  readonly file: string;
  readonly line: number;
}

export interface OwnerResolution {
  readonly ref: string;
  readonly group: OwnerGroup | undefined;
  /** The files searched, relative to the repository root. */
  readonly searched: readonly string[];
}

/** `group:customer-care`, `group:default/customer-care` → namespace and name. */
export function parseGroupRef(ref: string): { namespace: string; name: string } | undefined {
  const match = /^group:(?:([a-z0-9][-a-z0-9_.]{0,62})\/)?([a-z0-9][-a-z0-9_.]{0,62})$/.exec(ref);
  if (!match) return undefined;
  return { namespace: match[1] ?? 'default', name: match[2] ?? '' };
}

/**
 * The YAML files that hold the organisation's data: the agent's own `owners.yaml`, then every YAML file
 * in the repository's `catalog/` folder (Backstage org data: `kind: Group` entities).
 */
export function ownerSources(agentDir: string, repoRoot: string, door: Files = nodeFiles): string[] {
  const files: string[] = [];
  const declared = join(agentDir, OWNERS_FILE);
  if (door.exists(declared)) files.push(declared);
  const catalog = join(repoRoot, 'catalog');
  if (door.kind(catalog) === 'directory') {
    for (const entry of door
      .list(catalog)
      .map((found) => found.name)
      .sort())
      if (/\.ya?ml$/.test(entry)) files.push(join(catalog, entry));
  }
  return files;
}

interface GroupDoc {
  kind?: unknown;
  metadata?: { name?: unknown; namespace?: unknown; annotations?: Record<string, unknown> };
  spec?: { members?: unknown };
}

/** Finds the Group `ref` names in `files` (Backstage entities, several documents per file allowed). */
export function resolveOwner(ref: string, files: readonly string[], repoRoot: string, door: Files = nodeFiles): OwnerResolution {
  const searched = files.map((file) => relative(repoRoot, file) || file);
  const wanted = parseGroupRef(ref);
  if (!wanted) return { ref, group: undefined, searched };
  for (const file of files) {
    const lineCounter = new LineCounter();
    let documents;
    try {
      const text = door.read(file);
      // Only files that can hold the group are parsed.
      if (!text.includes(wanted.name) || !/^kind:[ \t]{0,8}Group\b/m.test(text)) continue;
      documents = parseAllDocuments(text, { lineCounter });
    } catch {
      continue;
    }
    if (!Array.isArray(documents)) continue;
    for (const document of documents) {
      if (document.errors.length > 0) continue;
      const value = document.toJS() as GroupDoc | null;
      if (value?.kind !== 'Group') continue;
      const name = value.metadata?.name;
      const namespace = typeof value.metadata?.namespace === 'string' ? value.metadata.namespace : 'default';
      if (name !== wanted.name || namespace !== wanted.namespace) continue;
      const annotations = value.metadata?.annotations ?? {};
      const annotation = ON_CALL_ANNOTATIONS.find((key) => typeof annotations[key] === 'string' && annotations[key] !== '');
      const members = Array.isArray(value.spec?.members) ? value.spec.members.filter((m): m is string => typeof m === 'string') : [];
      const range = document.contents?.range;
      return {
        ref,
        searched,
        group: {
          ref,
          name: wanted.name,
          namespace,
          members,
          onCall: annotation === undefined ? undefined : { annotation, value: String(annotations[annotation]) },
          file: relative(repoRoot, file) || file,
          line: range ? lineCounter.linePos(range[0]).line : 1,
        },
      };
    }
  }
  return { ref, group: undefined, searched };
}
