import { join } from 'node:path';
import { ReadinessWaiver } from '@charter/spec';
import { ReadinessError, ReadinessErrorCode } from './errors.js';
import { nodeFiles, type Files } from './inputs.js';
import type { SourceLocation, Waiver } from './types.js';
import { readYamlSource, type YamlSource } from './yaml-source.js';

/** The waivers file an agent may keep beside its manifest (`waivers:` list; same fields as `spec.waivers`). */
export const WAIVERS_FILE = 'readiness-waivers.yaml';

export interface LocatedWaiver extends Waiver {
  readonly location: SourceLocation;
}

function fromList(source: YamlSource, list: unknown, pointer: string, known: ReadonlySet<string>): LocatedWaiver[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) {
    const at = source.locate(pointer);
    throw new ReadinessError(
      ReadinessErrorCode.BadWaivers,
      `${at.file}:${at.line}:${at.column} ${pointer} must be a list of waivers (rule, reason, approver, expires)`,
    );
  }
  return list.map((item, index) => {
    const where = `${pointer}/${index}`;
    const parsed = ReadinessWaiver.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const at = source.locate(`${where}${issue && issue.path.length > 0 ? `/${issue.path.join('/')}` : ''}`);
      throw new ReadinessError(
        ReadinessErrorCode.BadWaivers,
        `${at.file}:${at.line}:${at.column} waiver ${index + 1} is invalid at ${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'} (a waiver has rule, reason of 10+ characters, approver and expires: YYYY-MM-DD)`,
      );
    }
    const waiver = parsed.data;
    if (!known.has(waiver.rule)) {
      const at = source.locate(`${where}/rule`);
      throw new ReadinessError(
        ReadinessErrorCode.UnknownWaiver,
        `${at.file}:${at.line}:${at.column} waiver names rule "${waiver.rule}", which the readiness registry does not have: fix the id (rules: ${[...known].join(', ')})`,
      );
    }
    return { ...waiver, location: source.locate(where) };
  });
}

/**
 * Every waiver of an agent: `spec.waivers` in the manifest, then `readiness-waivers.yaml` beside it.
 * Throws `READINESS_BAD_WAIVERS` for a malformed waiver and `READINESS_UNKNOWN_WAIVER` for a rule id
 * the registry does not have, each with file:line:column.
 */
export function loadWaivers(manifest: YamlSource, dir: string, known: ReadonlySet<string>, files: Files = nodeFiles): LocatedWaiver[] {
  const spec = (manifest.value as { spec?: { waivers?: unknown } } | undefined)?.spec;
  const waivers = fromList(manifest, spec?.waivers, '/spec/waivers', known);
  const file = join(dir, WAIVERS_FILE);
  if (files.exists(file)) {
    const source = readYamlSource(file, WAIVERS_FILE, files.read(file));
    if (source.value === undefined || source.value === null || typeof source.value !== 'object') {
      throw new ReadinessError(ReadinessErrorCode.BadWaivers, `${WAIVERS_FILE}:1:1 is not a YAML mapping with a "waivers:" list`);
    }
    const extra = Object.keys(source.value).filter((key) => key !== 'waivers');
    if (extra.length > 0) {
      const at = source.locate(`/${extra[0] ?? ''}`);
      throw new ReadinessError(
        ReadinessErrorCode.BadWaivers,
        `${at.file}:${at.line}:${at.column} unknown key "${extra[0] ?? ''}": the file holds only "waivers:"`,
      );
    }
    waivers.push(...fromList(source, (source.value as { waivers?: unknown }).waivers, '/waivers', known));
  }
  return waivers;
}

/** True when the waiver's last day (inclusive, UTC) is before the day of `now`. */
export function isExpired(waiver: Waiver, now: number): boolean {
  return new Date(now).toISOString().slice(0, 10) > waiver.expires;
}
