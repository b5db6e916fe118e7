import { SideEffects } from '@charter/spec/values';
import { semver } from './semver-lazy.js';
import { z } from 'zod';
import { toJson } from './classify.js';
import type { AnyTool } from './define.js';
import { ToolError, ToolErrorCode } from './errors.js';

/** A JSON Schema (draft 2020-12) as produced by `z.toJSONSchema`. */
export type JsonSchema = Record<string, unknown>;

/** A tool's contract as a JSON file a tool author commits: what `charter tools diff` compares. */
export interface ToolSchemaExport {
  readonly name: string;
  readonly version: string;
  readonly description: string;
  readonly sideEffects: SideEffects;
  /** JSON Schema of the input a caller may send. */
  readonly input: JsonSchema;
  /** JSON Schema of the output a caller receives. */
  readonly output: JsonSchema;
}

// Built on first parse, not at import (see define.ts).
function buildExportShape() {
  return z.object({
    name: z.string().min(1).max(64),
    version: z
      .string()
      .max(64)
      .refine((v) => semver.valid(v) !== null, { error: 'must be a semver version' }),
    description: z.string().max(2000).default(''),
    sideEffects: SideEffects,
    input: z.record(z.string(), z.unknown()),
    output: z.record(z.string(), z.unknown()),
  });
}
let exportShape: ReturnType<typeof buildExportShape> | undefined;

/** Exports a tool's contract: input schema as accepted, output schema as produced. */
export function exportToolSchema(tool: AnyTool): ToolSchemaExport {
  return {
    name: tool.name,
    version: tool.version,
    description: tool.description,
    sideEffects: tool.sideEffects,
    input: z.toJSONSchema(tool.input, { io: 'input', unrepresentable: 'any' }) as JsonSchema,
    output: z.toJSONSchema(tool.output, { io: 'output', unrepresentable: 'any' }) as JsonSchema,
  };
}

/** Validates parsed JSON as a `ToolSchemaExport`; throws `ToolError` (`TOOL_SCHEMA`) listing every problem. */
export function parseToolSchemaExport(value: unknown, source = '<input>'): ToolSchemaExport {
  const parsed = (exportShape ??= buildExportShape()).safeParse(value);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`).join('; ');
    throw new ToolError(
      ToolErrorCode.Schema,
      `${source} is not a tool schema export (${problems}): produce it with exportToolSchema(tool)`,
    );
  }
  return parsed.data;
}

/** What kind of change a diff found. */
export type SchemaChangeKind =
  | 'property-added'
  | 'required-property-added'
  | 'property-removed'
  | 'property-renamed'
  | 'became-required'
  | 'became-optional'
  | 'type-narrowed'
  | 'type-widened'
  | 'type-changed'
  | 'enum-narrowed'
  | 'enum-widened'
  | 'constraint-tightened'
  | 'constraint-loosened'
  | 'constraint-changed'
  | 'additional-properties-closed'
  | 'additional-properties-opened'
  | 'schema-changed'
  | 'documentation-changed'
  | 'side-effects-changed';

export type Bump = 'major' | 'minor' | 'patch' | 'none';

/** One classified change. `path` reads like `input.refund.amount` or `output.items[]`. */
export interface SchemaChange {
  readonly kind: SchemaChangeKind;
  readonly path: string;
  readonly breaking: boolean;
  /** The smallest version bump this change needs (before the 0.x rule). */
  readonly bump: Exclude<Bump, 'none'>;
  readonly message: string;
}

export interface ToolSchemaDiff {
  readonly name: string;
  readonly from: string;
  readonly to: string;
  readonly changes: readonly SchemaChange[];
  readonly breaking: boolean;
  /** The bump the changes need (for 0.x versions a breaking change needs a minor bump). */
  readonly requiredBump: Bump;
  /** The bump between the two versions; `downgrade` when the new version is lower. */
  readonly actualBump: Bump | 'downgrade';
  /** True when the version bump covers the changes. */
  readonly ok: boolean;
  /** One sentence: what the verdict is and what to do. */
  readonly message: string;
}

/** narrow: accepts less; widen: accepts more; additive: a new optional field (compatible both ways). */
type Direction = 'narrow' | 'widen' | 'both' | 'docs' | 'additive';

interface RawChange {
  readonly kind: SchemaChangeKind;
  readonly path: string;
  readonly direction: Direction;
  readonly message: string;
}

const DOC_KEYWORDS = new Set(['description', 'title', 'examples', '$comment', 'deprecated', 'readOnly', 'writeOnly', '$schema', 'default']);
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties', 'minContains'] as const;
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties', 'maxContains'] as const;
const NARROWING_WHEN_ADDED = ['pattern', 'format', 'multipleOf', 'contentEncoding', 'contentMediaType'] as const;
const HANDLED = new Set<string>([
  ...DOC_KEYWORDS,
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
  ...NARROWING_WHEN_ADDED,
  'type',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  'oneOf',
  'uniqueItems',
]);
const MAX_DEPTH = 64;

/**
 * Compares two exports of one tool and classifies every change. Input is contravariant (accepting
 * less is breaking), output covariant (producing more or less-guaranteed data is breaking); a removed
 * or renamed field, a changed type and changed side effects are breaking either way. Then checks the
 * version bump covers the changes. Throws `ToolError` (`TOOL_SCHEMA`) when the names differ.
 */
export function diffToolSchemas(before: ToolSchemaExport, after: ToolSchemaExport): ToolSchemaDiff {
  if (before.name !== after.name)
    throw new ToolError(ToolErrorCode.Schema, `cannot compare two different tools: "${before.name}" and "${after.name}"`);
  const changes: SchemaChange[] = [];
  if (before.sideEffects !== after.sideEffects) {
    changes.push({
      kind: 'side-effects-changed',
      path: 'sideEffects',
      breaking: true,
      bump: 'major',
      message: `sideEffects changed from ${before.sideEffects} to ${after.sideEffects}: manifests granting the old value no longer resolve`,
    });
  }
  if (before.description !== after.description) {
    changes.push({
      kind: 'documentation-changed',
      path: 'description',
      breaking: false,
      bump: 'patch',
      message: 'the tool description changed',
    });
  }
  for (const side of ['input', 'output'] as const) {
    const raw: RawChange[] = [];
    compare(before[side], after[side], side, raw, 0);
    for (const change of raw) changes.push(classify(change, side));
  }
  const breaking = changes.some((c) => c.breaking);
  const needed: Bump = breaking ? 'major' : changes.some((c) => c.bump === 'minor') ? 'minor' : changes.length > 0 ? 'patch' : 'none';
  const actualBump = bumpBetween(before.version, after.version);
  const zeroMajor = semver.major(before.version) === 0;
  const requiredBump: Bump = zeroMajor ? (needed === 'major' ? 'minor' : needed === 'minor' ? 'patch' : needed) : needed;
  const ok = actualBump !== 'downgrade' && RANK[actualBump] >= RANK[requiredBump];
  const summary = `${changes.filter((c) => c.breaking).length} breaking, ${changes.filter((c) => !c.breaking).length} compatible change(s)`;
  const message =
    actualBump === 'downgrade'
      ? `${after.name}: version ${after.version} is lower than ${before.version}`
      : ok
        ? `${after.name} ${before.version} → ${after.version}: ${summary}; the ${actualBump === 'none' ? 'unchanged version' : `${actualBump} bump`} is enough`
        : `${after.name} ${before.version} → ${after.version}: ${summary} need a ${requiredBump} bump, got ${actualBump === 'none' ? 'no bump' : `a ${actualBump} bump`}`;
  return { name: after.name, from: before.version, to: after.version, changes, breaking, requiredBump, actualBump, ok, message };
}

const RANK: Record<Bump, number> = { none: 0, patch: 1, minor: 2, major: 3 };

function bumpBetween(from: string, to: string): Bump | 'downgrade' {
  const order = semver.compare(to, from);
  if (order < 0) return 'downgrade';
  if (order === 0) return 'none';
  if (semver.major(to) !== semver.major(from)) return 'major';
  if (semver.minor(to) !== semver.minor(from)) return 'minor';
  return 'patch';
}

function classify(change: RawChange, side: 'input' | 'output'): SchemaChange {
  let breaking: boolean;
  let bump: Exclude<Bump, 'none'>;
  if (change.direction === 'docs') {
    breaking = false;
    bump = 'patch';
  } else if (change.direction === 'additive') {
    breaking = false;
    bump = 'minor';
  } else if (change.direction === 'both') {
    breaking = true;
    bump = 'major';
  } else {
    // Input: accepting less breaks callers. Output: producing more (or guaranteeing less) breaks them.
    breaking = side === 'input' ? change.direction === 'narrow' : change.direction === 'widen';
    bump = breaking ? 'major' : 'minor';
  }
  return { kind: change.kind, path: change.path, breaking, bump, message: change.message };
}

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Stable JSON with sorted keys, for equality and rename detection. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`)
      .join(',')}}`;
  }
  return toJson(value) ?? 'undefined';
}

/** The schema without documentation keywords, for structural equality. */
function structural(schema: unknown): string {
  if (!isObject(schema)) return canonical(schema);
  const copy: JsonSchema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (DOC_KEYWORDS.has(key)) continue;
    if (key === 'properties' && isObject(value)) {
      const props: JsonSchema = {};
      for (const [name, sub] of Object.entries(value)) props[name] = JSON.parse(structural(sub)) as unknown;
      copy[key] = props;
    } else if (key === 'items') copy[key] = JSON.parse(structural(value)) as unknown;
    else copy[key] = value;
  }
  return canonical(copy);
}

function typesOf(schema: JsonSchema): Set<string> | undefined {
  const type = schema.type;
  if (typeof type === 'string') return new Set([type]);
  if (Array.isArray(type)) return new Set(type.filter((t): t is string => typeof t === 'string'));
  if (isObject(schema.properties)) return new Set(['object']);
  return undefined;
}

function covers(set: Set<string>, type: string): boolean {
  return set.has(type) || (type === 'integer' && set.has('number'));
}

function compare(a: unknown, b: unknown, path: string, out: RawChange[], depth: number): void {
  if (depth > MAX_DEPTH) {
    if (canonical(a) !== canonical(b))
      out.push({ kind: 'schema-changed', path, direction: 'both', message: `${path} changed below the comparison depth` });
    return;
  }
  if (!isObject(a) || !isObject(b)) {
    // `true`/`false`/absent schemas: compare as a whole.
    if (canonical(a) !== canonical(b)) out.push({ kind: 'schema-changed', path, direction: 'both', message: `${path} changed` });
    return;
  }
  if (structural(a) === structural(b)) {
    if (canonical(a) !== canonical(b))
      out.push({
        kind: 'documentation-changed',
        path,
        direction: 'docs',
        message: `${path}: description, title, examples or default changed`,
      });
    return;
  }
  for (const key of ['anyOf', 'oneOf'] as const) {
    if (a[key] !== undefined || b[key] !== undefined) {
      compareVariants(a, b, key, path, out, depth);
      return;
    }
  }
  // Types.
  const ta = typesOf(a);
  const tb = typesOf(b);
  if (ta !== undefined || tb !== undefined) {
    if (ta === undefined)
      out.push({ kind: 'type-narrowed', path, direction: 'narrow', message: `${path} is now limited to ${[...(tb ?? [])].join(' | ')}` });
    else if (tb === undefined) out.push({ kind: 'type-widened', path, direction: 'widen', message: `${path} now accepts any type` });
    else {
      const lost = [...ta].filter((t) => !covers(tb, t));
      const gained = [...tb].filter((t) => !covers(ta, t));
      const types = `${[...ta].join(' | ')} → ${[...tb].join(' | ')}`;
      if (lost.length > 0 && gained.length > 0) {
        out.push({ kind: 'type-changed', path, direction: 'both', message: `${path} changed type: ${types}` });
        return;
      }
      if (lost.length > 0) out.push({ kind: 'type-narrowed', path, direction: 'narrow', message: `${path} narrowed: ${types}` });
      if (gained.length > 0) out.push({ kind: 'type-widened', path, direction: 'widen', message: `${path} widened: ${types}` });
    }
  }
  compareEnum(a, b, path, out);
  compareBounds(a, b, path, out);
  if (isObject(a.properties) || isObject(b.properties) || a.additionalProperties !== undefined || b.additionalProperties !== undefined) {
    compareObject(a, b, path, out, depth);
  }
  if (a.items !== undefined || b.items !== undefined) {
    if (a.items === undefined)
      out.push({ kind: 'type-narrowed', path: `${path}[]`, direction: 'narrow', message: `${path}[] items are now constrained` });
    else if (b.items === undefined)
      out.push({ kind: 'type-widened', path: `${path}[]`, direction: 'widen', message: `${path}[] items are no longer constrained` });
    else compare(a.items, b.items, `${path}[]`, out, depth + 1);
  }
  // Keywords this classifier does not model: any change is treated as breaking.
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (HANDLED.has(key)) continue;
    if (canonical(a[key]) !== canonical(b[key]))
      out.push({
        kind: 'schema-changed',
        path,
        direction: 'both',
        message: `${path}: "${key}" changed (not classified: treated as breaking)`,
      });
  }
}

function enumOf(schema: JsonSchema): unknown[] | undefined {
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  if ('const' in schema) return [schema.const];
  return undefined;
}

function compareEnum(a: JsonSchema, b: JsonSchema, path: string, out: RawChange[]): void {
  const ea = enumOf(a);
  const eb = enumOf(b);
  if (ea === undefined && eb === undefined) return;
  if (ea === undefined) {
    out.push({ kind: 'enum-narrowed', path, direction: 'narrow', message: `${path} is now limited to ${canonical(eb)}` });
    return;
  }
  if (eb === undefined) {
    out.push({ kind: 'enum-widened', path, direction: 'widen', message: `${path} is no longer limited to ${canonical(ea)}` });
    return;
  }
  const sa = new Set(ea.map(canonical));
  const sb = new Set(eb.map(canonical));
  const removed = [...sa].filter((v) => !sb.has(v));
  const added = [...sb].filter((v) => !sa.has(v));
  if (removed.length > 0)
    out.push({ kind: 'enum-narrowed', path, direction: 'narrow', message: `${path} no longer allows ${removed.join(', ')}` });
  if (added.length > 0) out.push({ kind: 'enum-widened', path, direction: 'widen', message: `${path} now allows ${added.join(', ')}` });
}

function compareBounds(a: JsonSchema, b: JsonSchema, path: string, out: RawChange[]): void {
  const bound = (key: string, lower: boolean): void => {
    const va = a[key];
    const vb = b[key];
    if (va === vb) return;
    const na = typeof va === 'number' ? va : undefined;
    const nb = typeof vb === 'number' ? vb : undefined;
    let tighter: boolean;
    if (na === undefined && nb === undefined) return;
    if (na === undefined) tighter = true;
    else if (nb === undefined) tighter = false;
    else tighter = lower ? nb > na : nb < na;
    const from = na === undefined ? 'none' : String(na);
    const to = nb === undefined ? 'none' : String(nb);
    out.push({
      kind: tighter ? 'constraint-tightened' : 'constraint-loosened',
      path,
      direction: tighter ? 'narrow' : 'widen',
      message: `${path} ${key} ${from} → ${to}`,
    });
  };
  for (const key of LOWER_BOUNDS) bound(key, true);
  for (const key of UPPER_BOUNDS) bound(key, false);
  for (const key of NARROWING_WHEN_ADDED) {
    const va = a[key];
    const vb = b[key];
    if (canonical(va) === canonical(vb)) continue;
    if (va === undefined)
      out.push({ kind: 'constraint-tightened', path, direction: 'narrow', message: `${path} gained ${key} ${canonical(vb)}` });
    else if (vb === undefined)
      out.push({ kind: 'constraint-loosened', path, direction: 'widen', message: `${path} lost ${key} ${canonical(va)}` });
    else
      out.push({
        kind: 'constraint-changed',
        path,
        direction: 'both',
        message: `${path} ${key} changed: ${canonical(va)} → ${canonical(vb)}`,
      });
  }
  if (a.uniqueItems !== b.uniqueItems) {
    const tighter = b.uniqueItems === true;
    out.push({
      kind: tighter ? 'constraint-tightened' : 'constraint-loosened',
      path,
      direction: tighter ? 'narrow' : 'widen',
      message: `${path} uniqueItems ${tighter ? 'added' : 'removed'}`,
    });
  }
}

function requiredOf(schema: JsonSchema): Set<string> {
  return new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
}

function compareObject(a: JsonSchema, b: JsonSchema, path: string, out: RawChange[], depth: number): void {
  const pa = isObject(a.properties) ? a.properties : {};
  const pb = isObject(b.properties) ? b.properties : {};
  const ra = requiredOf(a);
  const rb = requiredOf(b);
  const removed = Object.keys(pa).filter((k) => !(k in pb));
  const added = Object.keys(pb).filter((k) => !(k in pa));
  const renamedTo = new Set<string>();
  for (const name of removed) {
    const target = added.find((candidate) => !renamedTo.has(candidate) && structural(pa[name]) === structural(pb[candidate]));
    if (target !== undefined) {
      renamedTo.add(target);
      out.push({
        kind: 'property-renamed',
        path: `${path}.${name}`,
        direction: 'both',
        message: `${path}.${name} was renamed to ${path}.${target}`,
      });
    } else {
      out.push({ kind: 'property-removed', path: `${path}.${name}`, direction: 'both', message: `${path}.${name} was removed` });
    }
  }
  for (const name of added) {
    if (renamedTo.has(name)) continue;
    if (rb.has(name))
      out.push({
        kind: 'required-property-added',
        path: `${path}.${name}`,
        direction: 'narrow',
        message: `${path}.${name} was added as a required field`,
      });
    else
      out.push({
        kind: 'property-added',
        path: `${path}.${name}`,
        direction: 'additive',
        message: `${path}.${name} was added as an optional field`,
      });
  }
  for (const name of Object.keys(pa)) {
    if (!(name in pb)) continue;
    const was = ra.has(name);
    const is = rb.has(name);
    if (!was && is)
      out.push({ kind: 'became-required', path: `${path}.${name}`, direction: 'narrow', message: `${path}.${name} became required` });
    if (was && !is)
      out.push({ kind: 'became-optional', path: `${path}.${name}`, direction: 'widen', message: `${path}.${name} became optional` });
    compare(pa[name], pb[name], `${path}.${name}`, out, depth + 1);
  }
  const closedA = a.additionalProperties === false;
  const closedB = b.additionalProperties === false;
  if (!closedA && closedB)
    out.push({ kind: 'additional-properties-closed', path, direction: 'narrow', message: `${path} no longer accepts unknown fields` });
  if (closedA && !closedB)
    out.push({ kind: 'additional-properties-opened', path, direction: 'widen', message: `${path} now accepts unknown fields` });
  if (isObject(a.additionalProperties) && isObject(b.additionalProperties))
    compare(a.additionalProperties, b.additionalProperties, `${path}{}`, out, depth + 1);
}

function compareVariants(a: JsonSchema, b: JsonSchema, key: 'anyOf' | 'oneOf', path: string, out: RawChange[], depth: number): void {
  const va = Array.isArray(a[key]) ? (a[key] as unknown[]) : [a];
  const vb = Array.isArray(b[key]) ? (b[key] as unknown[]) : [b];
  const sa = va.map(structural);
  const sb = vb.map(structural);
  const lost = va.filter((_, i) => !sb.includes(sa[i] ?? ''));
  const gained = vb.filter((_, i) => !sa.includes(sb[i] ?? ''));
  if (lost.length === 1 && gained.length === 1) {
    compare(lost[0], gained[0], path, out, depth + 1);
    return;
  }
  if (lost.length > 0)
    out.push({ kind: 'type-narrowed', path, direction: 'narrow', message: `${path} lost ${lost.length} of its ${key} alternatives` });
  if (gained.length > 0)
    out.push({ kind: 'type-widened', path, direction: 'widen', message: `${path} gained ${gained.length} ${key} alternative(s)` });
}

/** `diffToolSchemas`, throwing `ToolError` (`TOOL_VERSION_BUMP`) when the bump does not cover the changes. */
export function assertVersionBump(before: ToolSchemaExport, after: ToolSchemaExport): ToolSchemaDiff {
  const diff = diffToolSchemas(before, after);
  if (!diff.ok) {
    const breaking = diff.changes.filter((c) => c.breaking).map((c) => c.message);
    throw new ToolError(ToolErrorCode.VersionBump, `${diff.message}${breaking.length > 0 ? ` (breaking: ${breaking.join('; ')})` : ''}`);
  }
  return diff;
}
