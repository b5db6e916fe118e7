import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CatalogError, CatalogErrorCode } from './errors.js';

/** An entity the configuration names: Domain or System. */
export interface NamedEntityConfig {
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
}

/**
 * `charter.catalog` of the root package.json: what the repository itself cannot say — who owns
 * Charter's own entities, the Domain and System they belong to, where the organisation's Groups are
 * written (the one hand-written catalog file) and where generated files go.
 */
export interface CatalogConfig {
  /** Owner of the Domain, the System, the packages, the schemas and tools granted to agents of different owners. */
  readonly owner: string;
  /** Lifecycle of the entities the repository itself does not give one (packages, APIs). */
  readonly lifecycle: string;
  readonly domain: NamedEntityConfig;
  /** The System; its description defaults to the root package.json description. */
  readonly system: NamedEntityConfig;
  /** The organisation's Groups and Users: the one hand-written catalog file (repository-relative). */
  readonly org: string;
  /** The folder of the generated entity files (repository-relative). */
  readonly out: string;
}

/** The root package.json as the generator reads it. */
export interface RootPackage {
  readonly file: string;
  readonly text: string;
  readonly workspaces: readonly string[];
  readonly description: string | undefined;
  readonly config: CatalogConfig;
}

const NAME = /^[a-z0-9][-a-z0-9_.]{0,61}[a-z0-9]$/;
const OWNER = /^(?:group|user):(?:[a-z0-9][-a-z0-9_.]{0,62}\/)?[a-z0-9][-a-z0-9_.]{0,62}$/;

function bad(file: string, message: string): CatalogError {
  return new CatalogError(CatalogErrorCode.BadConfig, `${file}: charter.catalog${message.startsWith('.') ? '' : ' '}${message}`);
}

function named(file: string, field: string, value: unknown, fallbackDescription?: string): NamedEntityConfig {
  if (typeof value === 'string') value = { name: value };
  if (typeof value !== 'object' || value === null) throw bad(file, `.${field} must be an entity name or { name, title?, description? }`);
  const record = value as Record<string, unknown>;
  if (typeof record.name !== 'string' || !NAME.test(record.name))
    throw bad(file, `.${field}.name must be a Backstage entity name (lower-case letters, digits, "-", "_", ".")`);
  const optional = (key: 'title' | 'description'): string | undefined => {
    const text = record[key];
    if (text === undefined) return undefined;
    if (typeof text !== 'string' || text.trim() === '') throw bad(file, `.${field}.${key} must be a non-empty string`);
    return text;
  };
  const title = optional('title');
  const description = optional('description') ?? fallbackDescription;
  return { name: record.name, ...(title === undefined ? {} : { title }), ...(description === undefined ? {} : { description }) };
}

/**
 * Reads the root package.json of `root` and its `charter.catalog` section. Throws `CatalogError`
 * (`CATALOG_NO_REPOSITORY`, `CATALOG_BAD_CONFIG`) naming the field to fix.
 */
export function readRootPackage(root: string): RootPackage {
  const file = join(root, 'package.json');
  if (!existsSync(file))
    throw new CatalogError(CatalogErrorCode.NoRepository, `${root} has no package.json: run charter catalog in the repository`);
  const text = readFileSync(file, 'utf8');
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new CatalogError(CatalogErrorCode.NoRepository, `${file} is not JSON: ${(error as Error).message}`, { cause: error });
  }
  const section: unknown = (json.charter as Record<string, unknown> | undefined)?.catalog;
  if (typeof section !== 'object' || section === null)
    throw bad(
      file,
      'is missing: add "charter": { "catalog": { "owner": "group:default/<team>", "domain": "<name>", "system": "<name>" } } to the root package.json',
    );
  const config = section as Record<string, unknown>;
  if (typeof config.owner !== 'string' || !OWNER.test(config.owner))
    throw bad(file, '.owner must be a group or user reference such as "group:default/platform-team"');
  const lifecycle = config.lifecycle ?? 'experimental';
  if (typeof lifecycle !== 'string' || lifecycle.trim() === '') throw bad(file, '.lifecycle must be a non-empty string');
  const path = (key: 'org' | 'out', fallback: string): string => {
    const value = config[key] ?? fallback;
    if (typeof value !== 'string' || value.trim() === '' || value.startsWith('/') || value.split('/').includes('..'))
      throw bad(file, `.${key} must be a path inside the repository`);
    return value;
  };
  const description = typeof json.description === 'string' ? json.description : undefined;
  const workspaces = Array.isArray(json.workspaces)
    ? json.workspaces
    : ((json.workspaces as { packages?: unknown } | undefined)?.packages ?? []);
  return {
    file,
    text,
    description,
    workspaces: Array.isArray(workspaces) ? workspaces.filter((entry): entry is string => typeof entry === 'string') : [],
    config: {
      owner: config.owner,
      lifecycle,
      domain: named(file, 'domain', config.domain),
      system: named(file, 'system', config.system, description),
      org: path('org', 'catalog/groups.yaml'),
      out: path('out', 'catalog/generated'),
    },
  };
}
