import { usageError } from './errors.js';

export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Map<string, string | true>;
  /** Every value of each `repeated` flag, in order (`--set a=1 --set b=2`). */
  readonly lists: Map<string, string[]>;
}

/**
 * Parses `--flag`, `--flag=value`, `--flag value` (for flags listed in `valued`) and positionals.
 * Unknown flags are usage errors: a typo never silently changes what a command does.
 */
export function parseArgs(
  args: readonly string[],
  spec: {
    boolean?: readonly string[];
    valued?: readonly string[];
    /** Valued flags that may be given more than once (collected in `lists`). */
    repeated?: readonly string[];
    aliases?: Readonly<Record<string, string>>;
  },
): ParsedArgs {
  const booleans = new Set(spec.boolean ?? []);
  const repeated = new Set(spec.repeated ?? []);
  const valued = new Set([...(spec.valued ?? []), ...repeated]);
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  for (let index = 0; index < args.length; index++) {
    const arg = args[index] ?? '';
    if (arg === '--') {
      positionals.push(...args.slice(index + 1));
      break;
    }
    if (!arg.startsWith('-') || arg === '-') {
      positionals.push(arg);
      continue;
    }
    // Only the first `=` separates the name: `--set key=a=b` keeps `key=a=b` whole.
    const equals = arg.indexOf('=');
    const rawName = equals === -1 ? arg : arg.slice(0, equals);
    const inline = equals === -1 ? undefined : arg.slice(equals + 1);
    const name = spec.aliases?.[rawName] ?? rawName.replace(/^-{1,2}/, '');
    if (booleans.has(name)) {
      if (inline !== undefined) throw usageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (valued.has(name)) {
      const value = inline ?? args[++index];
      if (value === undefined || value.startsWith('--')) throw usageError(`--${name} needs a value`);
      flags.set(name, value);
      if (repeated.has(name)) lists.set(name, [...(lists.get(name) ?? []), value]);
    } else {
      const known = [...booleans, ...valued].map((flag) => `--${flag}`).join(', ');
      throw usageError(`unknown option ${rawName}${known ? ` (options: ${known})` : ''}`);
    }
  }
  return { positionals, flags, lists };
}
