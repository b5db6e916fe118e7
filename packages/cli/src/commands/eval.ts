import { pathToFileURL } from 'node:url';
import { EvalError, EvalErrorCode, evaluate, type EvalSubject, formatEvalReport, readEvalReport, readRecordings } from '@charter/eval';
import { EVAL_REPORT_FORMAT } from '@charter/spec';
import { DATABASE_URL_ENV, listFeedback } from '@charter/state';
import { parseArgs } from '../args.js';
import { type Command, ExitCode, type Io } from '../command.js';
import { CliError, CliErrorCode, usageError } from '../errors.js';
import { inputPath, writeOutput } from '../files.js';
import { openStateFor } from './control.js';

const USAGE = `Usage: charter eval --agent <module> [--policy <file>] [--recordings <dir|file>] [--db <url>]
                    [--no-scenarios] [--baseline <report.json>] [--alpha 0.05] [--correction none|holm]
                    [--patterns] [--label <version>] [--out <report.json>] [--json]

Offline accuracy of an agent: its scenario suite, and its recorded runs that carry
a labelled feedback (a correction, or a rating of 4-5) replayed with the current
code and policy. Accuracy per category with a 95 % Wilson interval.

<module> is an ES module exporting \`evalSubject({ policyFile })\` (see @charter/eval;
the reference desk's is packages/reference-agent/dist/eval.js).

Options:
  --agent <module>      the eval subject module (required)
  --policy <file>       evaluate with this GuardrailPolicy instead of the manifest's
  --recordings <path>   recordings of runs (a .json file or a folder of them) to replay
  --db <url>            where the feedback is: postgres://…, pglite:<dir>, file:<dir>
                        (default: $${DATABASE_URL_ENV}, else file:.charter)
  --no-scenarios        only the recorded runs with feedback
  --baseline <file>     compare with a report written by --json or --out: a one-sided
                        Fisher exact test per category; exit 1 on a significant regression
  --alpha <p>           significance of the regression test (default 0.05)
  --correction <c>      none (default: each category at alpha) or holm (the family of categories)
  --patterns            cluster the failures by rule, error code, escalation reason and
                        category, ranked by frequency x cost, linked to playbooks
  --label <version>     what is evaluated (a commit, a policy version), written in the report
  --out <file>          also write the report (format ${EVAL_REPORT_FORMAT} v1) to this file
  --json                print the report as JSON
  --help                show this help

Exit codes: 0 no significant regression, 1 a category regressed against the baseline,
2 usage error or unreadable input (module, policy, recordings, baseline, state).`;

function value(flag: string | true | undefined, name: string): string | undefined {
  if (flag === true) throw usageError(`--${name} needs a value`);
  return flag;
}

function ratio(flag: string | true | undefined, name: string): number | undefined {
  const text = value(flag, name);
  if (text === undefined) return undefined;
  const parsed = Number(text);
  if (!(parsed > 0 && parsed < 1)) throw usageError(`--${name} must be a number between 0 and 1, got "${text}"`);
  return parsed;
}

/** Loads the subject module and calls its `evalSubject`. */
async function loadSubject(io: Io, module: string, policyFile: string | undefined): Promise<EvalSubject> {
  const path = inputPath(io, module, 'eval subject module');
  let loaded: { evalSubject?: unknown };
  try {
    loaded = (await import(pathToFileURL(path).href)) as { evalSubject?: unknown };
  } catch (error) {
    throw new CliError(CliErrorCode.Io, `--agent ${module}: cannot load ${path}: ${(error as Error).message.split('\n')[0] ?? ''}`, {
      cause: error,
    });
  }
  if (typeof loaded.evalSubject !== 'function')
    throw usageError(`--agent ${module}: the module exports no \`evalSubject\` function (see @charter/eval)`);
  try {
    return await (loaded.evalSubject as (options: { policyFile?: string }) => EvalSubject | Promise<EvalSubject>)(
      policyFile === undefined ? {} : { policyFile },
    );
  } catch (error) {
    throw new CliError(CliErrorCode.Io, `--agent ${module}: evalSubject() failed: ${(error as Error).message.split('\n')[0] ?? ''}`, {
      cause: error,
    });
  }
}

/** `charter eval`: a thin shell over `evaluate` of @charter/eval. */
export const evalCommand: Command = {
  name: 'eval',
  summary: 'Offline accuracy of an agent per category; --baseline fails on a significant regression',
  usage: USAGE,
  async run(args, io) {
    const parsed = parseArgs(args, {
      boolean: ['json', 'patterns', 'no-scenarios'],
      valued: ['agent', 'policy', 'recordings', 'db', 'baseline', 'alpha', 'correction', 'label', 'out'],
    });
    if (parsed.positionals.length > 0) throw usageError(`unexpected argument "${parsed.positionals[0] ?? ''}"`);
    const module = value(parsed.flags.get('agent'), 'agent');
    if (module === undefined) throw usageError('missing --agent <module>: the ES module exporting evalSubject()');
    const correction = value(parsed.flags.get('correction'), 'correction');
    if (correction !== undefined && correction !== 'none' && correction !== 'holm')
      throw usageError(`--correction is none or holm, got "${correction}"`);
    const alpha = ratio(parsed.flags.get('alpha'), 'alpha');
    const policy = value(parsed.flags.get('policy'), 'policy');
    const policyFile = policy === undefined ? undefined : inputPath(io, policy, 'GuardrailPolicy');
    const recordingsAt = value(parsed.flags.get('recordings'), 'recordings');
    const baselineAt = value(parsed.flags.get('baseline'), 'baseline');
    const label = value(parsed.flags.get('label'), 'label');
    const out = value(parsed.flags.get('out'), 'out');
    try {
      const recordings = recordingsAt === undefined ? [] : readRecordings(inputPath(io, recordingsAt, 'recordings', { folder: true }));
      const baseline = baselineAt === undefined ? undefined : readEvalReport(inputPath(io, baselineAt, 'baseline report'));
      const subject = await loadSubject(io, module, policyFile);
      const state = await openStateFor(parsed.flags.get('db'), io);
      let feedback;
      try {
        feedback = await listFeedback(state, { agent: subject.agent, limit: 100_000 });
      } finally {
        await state.close();
      }
      if (io.isTTY) io.stderr(`evaluating ${subject.agent}…\n`);
      const report = await evaluate(subject, {
        scenarios: !parsed.flags.has('no-scenarios'),
        feedback,
        recordings,
        ...(baseline === undefined ? {} : { baseline }),
        ...(alpha === undefined ? {} : { alpha }),
        ...(correction === undefined ? {} : { correction }),
        ...(label === undefined ? {} : { version: label }),
        patterns: parsed.flags.has('patterns'),
      });
      const json = `${JSON.stringify(report, null, 2)}\n`;
      if (out !== undefined) writeOutput(io, out, json);
      io.stdout(parsed.flags.has('json') ? json : formatEvalReport(report));
      return report.comparison?.regressed === true ? ExitCode.Failed : ExitCode.Ok;
    } catch (error) {
      if (EvalError.isInstance(error))
        throw new CliError(error.code === EvalErrorCode.BadOptions ? CliErrorCode.Usage : CliErrorCode.Io, error.message, { cause: error });
      throw error;
    }
  },
};
