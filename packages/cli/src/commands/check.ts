import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import type { FormatName } from '@charter/readiness/cached';
import { parseArgs } from '../args.js';
import { ExitCode, type Command, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { findRepoRoot } from '../repo.js';

const USAGE = `Usage: charter check [dir] [--format <format>] [--out <file>] [--evidence <dir>] [--commit <sha>] [--no-lint] [--no-lint-cache]
                     [--no-result-cache]

Evaluates an agent against the production-readiness standard
(docs/standards/production-readiness.md): its manifest and what it names, its
code (@charter/eslint-plugin over its TypeScript sources), the evidence reports
its pipeline wrote under .charter/evidence/ (they must be for this commit and
this manifest), and its waivers (spec.waivers or readiness-waivers.yaml).
dir is the agent's folder or its manifest (default: the working directory).

Options:
  --format <format>   text (default), json, sarif, markdown, junit or html
  --out <file>        write the report to <file> (folders are created) and print
                      a one-line verdict instead
  --evidence <dir>    where the evidence reports are (default <dir>/.charter/evidence)
  --commit <sha>      the commit the evidence must be for (default CHARTER_COMMIT,
                      else the checkout's HEAD)
  --no-lint           do not lint the code (its rules report missing evidence)
  --no-lint-cache     lint again even when the sources did not change (and do not
                      reuse a stored result either)
  --no-result-cache   evaluate again even when nothing the last check read changed
                      (the lint cache still applies)
  --help              show this help

Exit codes: 0 ready, 1 held in staging, 2 usage error or unreadable input.`;

/** V8's interrupt budget during an evaluation (V8's default: 67 584, in bytecode-size units). */
const INTERRUPT_BUDGET = 400_000;

function cliVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export const checkCommand: Command = {
  name: 'check',
  summary: 'Check an agent against the production-readiness standard (exit 1: held in staging)',
  usage: USAGE,
  async run(args: readonly string[], io: Io): Promise<ExitCode> {
    const { positionals, flags } = parseArgs(args, {
      valued: ['format', 'out', 'evidence', 'commit'],
      boolean: ['no-lint', 'no-lint-cache', 'no-result-cache'],
    });
    if (positionals.length > 1) throw usageError(`expected one agent folder or manifest, got ${positionals.length}`);
    // The light entry: a result-cache hit renders the stored report without loading zod, the schemas,
    // yaml, ESLint or TypeScript; a miss loads the evaluation (after `beforeEvaluate`).
    const { evaluateReadinessCached, FORMATS, formatReportWith, holding, ReadinessError, userCacheFolder } =
      await import('@charter/readiness/cached');
    const format = flags.get('format') ?? 'text';
    if (typeof format !== 'string' || !(FORMATS as readonly string[]).includes(format))
      throw usageError(`--format must be one of ${FORMATS.join(', ')}, got "${String(format)}"`);
    const dir = resolve(io.cwd, positionals[0] ?? '.');
    const evidence = flags.get('evidence');
    const commit = flags.get('commit') ?? io.env.CHARTER_COMMIT;
    if (typeof commit === 'string' && !/^[0-9a-f]{7,64}$/.test(commit))
      throw usageError(`--commit must be a hex commit id, got "${commit}"`);
    // V8's code cache of TypeScript's compiler: in the user's cache folder, never the checkout, whose files a
    // change under review could plant (the cache is code V8 runs). Absent without a home folder (compiled as usual).
    const userCache = userCacheFolder(io.env);
    const codeCache = userCache === undefined ? undefined : join(userCache, 'v8');
    let evaluation;
    try {
      evaluation = await evaluateReadinessCached({
        dir,
        ...(typeof evidence === 'string' ? { evidenceDir: resolve(io.cwd, evidence) } : {}),
        ...(typeof commit === 'string' ? { commit } : {}),
        // The secret that seals the result and lint caches (an entry planted in the checkout is a miss).
        ...(userCache === undefined ? {} : { sealKeyFile: join(userCache, 'seal.key') }),
        // V8's code cache of TypeScript's compiler (kept with --no-lint-cache too: it changes no finding).
        lint: flags.has('no-lint')
          ? false
          : { ...(flags.has('no-lint-cache') ? { cacheDir: false } : {}), ...(codeCache === undefined ? {} : { codeCache }) },
        // --no-lint-cache asks for the lint to run again: a stored result would skip it.
        ...(flags.has('no-result-cache') || flags.has('no-lint-cache') ? { resultCache: false as const } : {}),
        // A check parses each schema (manifest, policy, playbooks, evidence) about once: zod's JIT would
        // compile each object schema first, which costs more than it saves here. zod reads the setting
        // when a schema is built, so it is set before the evaluation (and @charter/spec's schemas) load.
        // V8 considers optimising a function (TurboFan, on background threads) once it has run for its
        // interrupt budget: a check runs most of its code (ESLint, TypeScript's checker) once, for about
        // two seconds, and most of those compilations would never pay back. Six times the default budget
        // left the optimisations that matter and cut the process's CPU time by a fifth (README, Performance).
        beforeEvaluate: async () => {
          setFlagsFromString(`--interrupt-budget=${INTERRUPT_BUDGET}`);
          const { z } = await import('zod');
          z.config({ jitless: true });
        },
      });
    } catch (error) {
      if (ReadinessError.isInstance(error)) throw new CliError(CliErrorCode.Io, `${error.message} [${error.code}]`, { cause: error });
      throw error;
    }
    const { report, rules } = evaluation;
    const text = formatReportWith(
      report,
      format as FormatName,
      {
        color: format === 'text' && io.isTTY && io.env.NO_COLOR === undefined,
        cwd: io.cwd,
        repoRoot: findRepoRoot(dir),
        version: cliVersion(),
      },
      rules,
    );
    const out = flags.get('out');
    if (typeof out === 'string') {
      const target = resolve(io.cwd, out);
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, text);
      const held = holding(report).length;
      io.stdout(
        `wrote the ${format} report to ${relative(io.cwd, target) || target}: ${report.agent.name} is ${report.ready ? 'ready for production' : `held in staging (${held} blocker(s))`}, score ${report.score.passed}/${report.score.total}\n`,
      );
    } else {
      io.stdout(text);
    }
    return report.ready ? ExitCode.Ok : ExitCode.Failed;
  },
};
