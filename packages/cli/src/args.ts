import { usageError } from './errors.js';

export interface ParsedArgs {
  readonly positionals: string[];
  readonly flags: Map<string, string | true>;
}

/**
 * Parses `--flag`, `--flag=value`, `--flag value` (for flags listed in `valued`) and positionals.
 * Unknown flags are usage errors: a typo never silently changes what a command does.
 */
export function parseArgs(
  args: readonly string[],
  spec: { boolean?: readonly string[]; valued?: readonly string[]; aliases?: Readonly<Record<string, string>> },
): ParsedArgs {
  const booleans = new Set(spec.boolean ?? []);
  const valued = new Set(spec.valued ?? []);
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
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
    const [rawName, inline] = arg.split('=', 2) as [string, string | undefined];
    const name = spec.aliases?.[rawName] ?? rawName.replace(/^-{1,2}/, '');
    if (booleans.has(name)) {
      if (inline !== undefined) throw usageError(`--${name} takes no value`);
      flags.set(name, true);
    } else if (valued.has(name)) {
      const value = inline ?? args[++index];
      if (value === undefined || value.startsWith('--')) throw usageError(`--${name} needs a value`);
      flags.set(name, value);
    } else {
      const known = [...booleans, ...valued].map((flag) => `--${flag}`).join(', ');
      throw usageError(`unknown option ${rawName}${known ? ` (options: ${known})` : ''}`);
    }
  }
  return { positionals, flags };
}
