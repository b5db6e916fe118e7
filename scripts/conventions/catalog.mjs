// Backstage catalog files, checked with @backstage/catalog-model's own validators (the entity policies
// the catalog applies on ingestion, then the validator of the entity's kind), plus what those
// validators cannot see from one entity: Location targets exist, every catalog file is reachable from
// the root Location, every entity reference (owner, system, domain, parent, …) names an entity defined
// in the repository, no entity is defined twice, and a `dir:` TechDocs reference has an mkdocs.yml.
// Catalog files: catalog-info.yaml at the root and in every package or plugin folder, catalog/**/*.yaml
// (the organisation's Groups and what `charter catalog` generates into catalog/generated/), and every
// templates/<name>/template.yaml. Template entities are checked against the Template v1beta3 JSON Schema
// of @backstage/plugin-scaffolder-common, kept in schemas/ (that package brings ~107 MB; the plugin's
// tests compare the copy with the installed package), API entities of `spec.type: mcp-server` with
// catalog-model's mcp-server validator (they carry `spec.remotes` instead of a definition).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import {
  apiEntityV1alpha1Validator,
  componentEntityV1alpha1Validator,
  DefaultNamespaceEntityPolicy,
  domainEntityV1alpha1Validator,
  entityKindSchemaValidator,
  EntityPolicies,
  FieldFormatEntityPolicy,
  groupEntityV1alpha1Validator,
  locationEntityV1alpha1Validator,
  NoForeignRootFieldsEntityPolicy,
  parseEntityRef,
  resourceEntityV1alpha1Validator,
  SchemaValidEntityPolicy,
  systemEntityV1alpha1Validator,
  userEntityV1alpha1Validator,
} from '@backstage/catalog-model';
import { createRequire } from 'node:module';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments } from 'yaml';
import { PACKAGE_FOLDERS, toPosix } from './workspace.mjs';

// The ESM build of @backstage/catalog-model/alpha does not load in Node (it imports 'lodash/uniqBy'
// without an extension): its CommonJS build does.
const { mcpServerApiEntityValidator } = createRequire(import.meta.url)('@backstage/catalog-model/alpha');
const templateSchema = JSON.parse(readFileSync(new URL('./schemas/Template.v1beta3.schema.json', import.meta.url), 'utf8'));
const templateValidator = entityKindSchemaValidator(templateSchema);

/** The kinds this check validates, each with its validator from @backstage/catalog-model (Template: its JSON Schema). */
export const KIND_VALIDATORS = {
  API: {
    // An mcp-server API has spec.remotes instead of spec.definition: catalog-model's own validator for it.
    check: (entity) => (entity.spec?.type === 'mcp-server' ? mcpServerApiEntityValidator : apiEntityV1alpha1Validator).check(entity),
  },
  Template: { check: async (entity) => templateValidator(entity) === entity },
  Component: componentEntityV1alpha1Validator,
  Domain: domainEntityV1alpha1Validator,
  Group: groupEntityV1alpha1Validator,
  Location: locationEntityV1alpha1Validator,
  Resource: resourceEntityV1alpha1Validator,
  System: systemEntityV1alpha1Validator,
  User: userEntityV1alpha1Validator,
};

// The policies the catalog applies to every entity before its kind's validator.
const policy = EntityPolicies.allOf([
  new DefaultNamespaceEntityPolicy(),
  new NoForeignRootFieldsEntityPolicy(),
  new FieldFormatEntityPolicy(),
  new SchemaValidEntityPolicy(),
]);

// Entity references in `spec`, with the kind a bare name defaults to (undefined: the ref must name its kind).
const REFERENCE_FIELDS = [
  { field: 'owner', defaultKind: 'Group' },
  { field: 'system', defaultKind: 'System' },
  { field: 'domain', defaultKind: 'Domain' },
  { field: 'subdomainOf', defaultKind: 'Domain' },
  { field: 'subcomponentOf', defaultKind: 'Component' },
  { field: 'parent', defaultKind: 'Group' },
  { field: 'children', defaultKind: 'Group' },
  { field: 'memberOf', defaultKind: 'Group' },
  { field: 'members', defaultKind: 'User' },
  { field: 'providesApis', defaultKind: 'API' },
  { field: 'consumesApis', defaultKind: 'API' },
  { field: 'dependsOn', defaultKind: undefined },
  { field: 'dependencyOf', defaultKind: undefined },
];

/** Every catalog file of the repository at `root` (absolute paths, sorted). */
export function catalogFiles(root) {
  const files = [];
  const add = (path) => {
    if (existsSync(path) && statSync(path).isFile()) files.push(path);
  };
  add(join(root, 'catalog-info.yaml'));
  for (const folder of PACKAGE_FOLDERS) {
    const base = join(root, folder);
    if (!existsSync(base)) continue;
    for (const entry of readdirSync(base, { withFileTypes: true }))
      if (entry.isDirectory()) add(join(base, entry.name, 'catalog-info.yaml'));
  }
  const walk = (dir) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) walk(join(dir, entry.name));
      else if (/\.ya?ml$/.test(entry.name)) add(join(dir, entry.name));
    }
  };
  walk(join(root, 'catalog'));
  const templates = join(root, 'templates');
  if (existsSync(templates))
    for (const entry of readdirSync(templates, { withFileTypes: true }))
      if (entry.isDirectory()) add(join(templates, entry.name, 'template.yaml'));
  return files.sort();
}

/** The 1-based line of the key (or sequence item) at `path` in `doc`: the nearest existing ancestor, else the document start. */
function lineOfPath(doc, lineCounter, path) {
  const lineAt = (node) => (typeof node?.range?.[0] === 'number' ? lineCounter.linePos(node.range[0]).line : undefined);
  let node = doc.contents;
  let line = lineAt(node) ?? 1;
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((item) => (isScalar(item.key) ? item.key.value : item.key) === segment);
      if (!pair) break;
      line = lineAt(pair.key) ?? line;
      node = pair.value;
    } else if (isSeq(node) && /^\d+$/.test(String(segment))) {
      const item = node.items[Number(segment)];
      if (!item) break;
      line = lineAt(item) ?? line;
      node = item;
    } else break;
  }
  return line;
}

/** The entity path an error message of the Backstage validators names (`/spec/owner`, `"metadata.name"`, `Unknown field x`). */
function pathOfMessage(message) {
  const pointer = /^(\/\S{1,200})\s/.exec(message);
  if (pointer?.[1])
    return pointer[1]
      .slice(1)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'));
  const quoted = /^"([^"]{1,200})"/.exec(message);
  if (quoted?.[1]) {
    const text = quoted[1];
    const dot = text.indexOf('.');
    const [head, rest] = dot === -1 ? [text, undefined] : [text.slice(0, dot), text.slice(dot + 1)];
    const parts = rest === undefined ? [head] : [head, rest];
    return ['annotations', 'labels', 'tags', 'links', 'name', 'namespace', 'title'].includes(head) ? ['metadata', ...parts] : parts;
  }
  const unknown = /^Unknown field (\S{1,100})/.exec(message);
  if (unknown?.[1]) return [unknown[1]];
  return [];
}

const PLACEHOLDERS = new Set(['$text', '$json', '$yaml']);

/** `value` with every `{ $text | $json | $yaml: <relative path> }` replaced by the file's content (as the catalog's placeholder processor does). */
function resolvePlaceholders(value, dir, at, issues) {
  if (Array.isArray(value)) return value.map((item, index) => resolvePlaceholders(item, dir, [...at, index], issues));
  if (typeof value !== 'object' || value === null) return value;
  const keys = Object.keys(value);
  if (keys.length === 1 && PLACEHOLDERS.has(keys[0])) {
    const [kind] = keys;
    const target = value[kind];
    if (typeof target !== 'string' || /^[a-z][a-z0-9+.-]*:/i.test(target)) return ''; // an absolute URL: not checked here
    const path = resolve(dir, target);
    if (!existsSync(path) || !statSync(path).isFile()) {
      issues.push({
        at,
        message: `${kind} ${target} names ${path}, which does not exist: Backstage reports a processing error and drops the entity`,
      });
      return '';
    }
    const text = readFileSync(path, 'utf8');
    try {
      if (kind === '$json') return JSON.parse(text);
      if (kind === '$yaml') return parseAllDocuments(text)[0]?.toJS() ?? null;
    } catch (error) {
      issues.push({ at, message: `${kind} ${target} is not valid ${kind.slice(1).toUpperCase()}: ${String(error)}` });
    }
    return text;
  }
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, resolvePlaceholders(item, dir, [...at, key], issues)]));
}

/** Text of an error from the Backstage validators, without its link to the format ADR. */
function cleanMessage(error) {
  const text = error instanceof Error ? error.message : String(error);
  return text.replace(/\s*To learn more about catalog file format.*$/s, '');
}

/**
 * Catalog violations of the repository at `root` (every file of `catalogFiles(root)`, or `files`).
 * @returns {Promise<import('./dependencies.mjs').Violation[]>}
 */
export async function validateCatalogFiles(root, files = catalogFiles(root)) {
  const violations = [];
  const rel = (path) => toPosix(relative(root, path));
  /** entities by `kind:namespace/name` (lower case) */
  const defined = new Map();
  /** @type {{ file: string; doc: any; lineCounter: LineCounter; entity: any }[]} */
  const entities = [];
  for (const path of files) {
    const file = rel(path);
    const text = readFileSync(path, 'utf8');
    const lineCounter = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false });
    if (!Array.isArray(docs)) continue; // an empty stream
    for (const doc of docs) {
      if (doc.errors.length > 0) {
        for (const error of doc.errors) {
          const position = error.linePos?.[0] ?? lineCounter.linePos(error.pos[0]);
          violations.push({
            file,
            line: position.line,
            rule: 'catalog-yaml',
            message: `not valid YAML at column ${position.col}: ${error.message.split('\n')[0]}${/:\s{1,20}[@`]/.test(text.split('\n')[position.line - 1] ?? '') ? ' (quote a value that starts with @ or `, e.g. title: "@charter/x")' : ''}`,
          });
        }
        continue;
      }
      const value = doc.toJS();
      if (value === null || value === undefined) continue;
      const line = (path) => lineOfPath(doc, lineCounter, path);
      if (typeof value !== 'object' || Array.isArray(value)) {
        violations.push({
          file,
          line: line([]),
          rule: 'catalog-invalid',
          message: 'a catalog document must be a mapping (apiVersion, kind, metadata, spec)',
        });
        continue;
      }
      // Placeholders ($text, $json, $yaml) are resolved by the catalog before it validates: resolve the
      // relative ones here the same way (a missing target is a processing error in Backstage).
      const placeholderIssues = [];
      const resolved = resolvePlaceholders(value, dirname(path), [], placeholderIssues);
      for (const { at, message } of placeholderIssues) violations.push({ file, line: line(at), rule: 'catalog-placeholder', message });
      if (placeholderIssues.length > 0) continue;
      let entity;
      try {
        entity = await policy.enforce(structuredClone(resolved));
      } catch (error) {
        const message = cleanMessage(error);
        violations.push({
          file,
          line: line(pathOfMessage(message)),
          rule: 'catalog-invalid',
          message: `Backstage entity policy: ${message}`,
        });
        continue;
      }
      if (!entity) continue;
      const validator = KIND_VALIDATORS[entity.kind];
      if (!validator) {
        violations.push({
          file,
          line: line(['kind']),
          rule: 'catalog-invalid',
          message: `kind ${JSON.stringify(entity.kind)} has no validator in this check (${Object.keys(KIND_VALIDATORS).join(', ')}): add its @backstage validator to scripts/conventions/catalog.mjs`,
        });
        continue;
      }
      try {
        if ((await validator.check(entity)) !== true) throw new Error(`the ${entity.kind} validator did not accept this entity`);
      } catch (error) {
        const message = cleanMessage(error);
        violations.push({
          file,
          line: line(pathOfMessage(message)),
          rule: 'catalog-invalid',
          message: `Backstage ${entity.kind} validator: ${message}`,
        });
        continue;
      }
      const key = `${entity.kind}:${entity.metadata.namespace ?? 'default'}/${entity.metadata.name}`.toLowerCase();
      const earlier = defined.get(key);
      if (earlier) {
        violations.push({
          file,
          line: line(['metadata', 'name']),
          rule: 'catalog-invalid',
          message: `${key} is defined twice (also in ${earlier.file}): entity names are unique per kind and namespace`,
        });
        continue;
      }
      const record = { file, doc, lineCounter, entity, path };
      defined.set(key, record);
      entities.push(record);
    }
  }

  // Entity references resolve to entities defined in the repository.
  for (const { file, doc, lineCounter, entity } of entities) {
    const namespace = entity.metadata.namespace ?? 'default';
    for (const { field, defaultKind } of REFERENCE_FIELDS) {
      const raw = entity.spec?.[field];
      if (raw === undefined) continue;
      const refs = Array.isArray(raw) ? raw : [raw];
      refs.forEach((ref, index) => {
        const at = Array.isArray(raw) ? ['spec', field, index] : ['spec', field];
        const line = lineOfPath(doc, lineCounter, at);
        let parsed;
        try {
          parsed = parseEntityRef(String(ref), { defaultKind, defaultNamespace: namespace });
        } catch (error) {
          violations.push({ file, line, rule: 'catalog-ref', message: `spec.${field}: ${cleanMessage(error)}` });
          return;
        }
        const key = `${parsed.kind}:${parsed.namespace}/${parsed.name}`.toLowerCase();
        if (!defined.has(key))
          violations.push({
            file,
            line,
            rule: 'catalog-ref',
            message: `spec.${field} names ${key}, which no catalog file of the repository defines (Backstage would keep a dangling reference)`,
          });
      });
    }
    const techdocs = entity.metadata.annotations?.['backstage.io/techdocs-ref'];
    if (typeof techdocs === 'string' && techdocs.startsWith('dir:')) {
      const dir = resolve(dirname(join(root, file)), techdocs.slice('dir:'.length));
      if (!existsSync(join(dir, 'mkdocs.yml')) && !existsSync(join(dir, 'mkdocs.yaml')))
        violations.push({
          file,
          line: lineOfPath(doc, lineCounter, ['metadata', 'annotations', 'backstage.io/techdocs-ref']),
          rule: 'catalog-invalid',
          message: `backstage.io/techdocs-ref ${techdocs} points at ${rel(dir) || '.'}, which has no mkdocs.yml`,
        });
    }
  }

  // Location targets exist, and every catalog file is reachable from the root Location.
  const reached = new Set();
  const rootFile = join(root, 'catalog-info.yaml');
  const rootIsLocation = entities.some((record) => record.path === rootFile && record.entity.kind === 'Location');
  const queue = rootIsLocation ? [rootFile] : [];
  for (const record of entities) {
    if (record.entity.kind !== 'Location' || (record.entity.spec.type ?? 'file') !== 'file') continue;
    const targets = [...(record.entity.spec.targets ?? []), ...(record.entity.spec.target ? [record.entity.spec.target] : [])];
    record.targets = [];
    targets.forEach((target, index) => {
      const at = record.entity.spec.targets?.[index] === target ? ['spec', 'targets', index] : ['spec', 'target'];
      const path = resolve(dirname(record.path), target);
      if (/[*?]/.test(target)) return; // a glob: Backstage expands it; nothing to check file by file
      if (!existsSync(path))
        violations.push({
          file: record.file,
          line: lineOfPath(record.doc, record.lineCounter, at),
          rule: 'catalog-target',
          message: `Location target ${target} does not exist (${rel(path)}): Backstage drops the whole Location`,
        });
      else record.targets.push(path);
    });
  }
  while (queue.length > 0) {
    const path = queue.shift();
    if (reached.has(path)) continue;
    reached.add(path);
    for (const record of entities) if (record.path === path && record.targets) queue.push(...record.targets);
  }
  if (rootIsLocation) {
    for (const path of files) {
      if (reached.has(path)) continue;
      violations.push({
        file: rel(path),
        line: 1,
        rule: 'catalog-unlisted',
        message: `no Location reachable from catalog-info.yaml lists this file: add ./${rel(path)} to spec.targets of catalog-info.yaml`,
      });
    }
  }
  return violations;
}
