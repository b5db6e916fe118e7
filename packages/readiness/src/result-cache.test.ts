// The whole-result cache: (1) completeness — every path the evaluation opens, looks up or lists through
// the real node:fs (spec's loader included) is in the inputs the cache records; (2) each kind of input,
// changed, makes the next check a miss whose result equals a fresh evaluation's; (3) a corrupt or
// unreadable cache file is a reported miss, never a crash or a wrong result; (4) a hit loads none of
// zod, @charter/spec, yaml, ESLint or TypeScript.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fs from 'node:fs';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { EvidenceKind } from '@charter/spec';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluateReadiness } from './evaluate.js';
import { InputRecorder, type RecordedInputs } from './inputs.js';
import { defaultSealKeyFile, sealKey, sealOf } from './seal.js';
import { evaluateReadinessCached, resultCacheFile, type CachedEvaluateOptions } from './result-cache.js';
import type { Report } from './types.js';
import {
  edit,
  evaluateOptions,
  FIXTURE,
  LINT_CACHE,
  makeFixture,
  NOW,
  passingEvidence,
  removeFixtures,
  REPO,
  writeEvidence,
} from './__fixtures__/harness.js';

const work = mkdtempSync(join(tmpdir(), 'charter-result-cache-'));
afterAll(() => {
  removeFixtures();
  rmSync(work, { recursive: true, force: true });
});

/** A report without what is computed at render time or says how it was obtained. */
function essence(report: Report): unknown {
  const { evaluatedAt: _at, durationMs: _duration, cache: _cache, cacheReason: _reason, lint, evidence, ...rest } = report;
  return {
    ...rest,
    lint: { ran: lint.ran, files: lint.files, problems: lint.problems, reason: lint.reason },
    evidence: evidence.map(({ ageMs: _age, ...status }) => status),
  };
}

/** The fixture with passing evidence, checked once (a miss that stores), and the options it was checked with. */
async function stored(name: string, extra: Partial<CachedEvaluateOptions> = {}): Promise<{ dir: string; options: CachedEvaluateOptions }> {
  const dir = makeFixture(name);
  writeEvidence(dir, passingEvidence());
  const options: CachedEvaluateOptions = { ...evaluateOptions(dir), ...extra };
  const first = await evaluateReadinessCached(options);
  expect(first.report.cache).toBe('miss');
  expect(first.report.cacheReason).toBe('no stored result');
  const second = await evaluateReadinessCached(options);
  expect(second.report.cache).toBe('hit');
  expect(essence(second.report)).toEqual(essence(first.report));
  return { dir, options };
}

/** Checks again: a miss (with a reason matching `why`) whose report equals a fresh evaluation; then a hit. */
async function missesThenHolds(options: CachedEvaluateOptions, why: RegExp): Promise<Report> {
  const again = await evaluateReadinessCached(options);
  expect(again.report.cache).toBe('miss');
  expect(again.report.cacheReason).toMatch(why);
  const { resultCache: _r, beforeEvaluate: _b, ...plain } = options;
  expect(essence(again.report)).toEqual(essence(await evaluateReadiness(plain)));
  const after = await evaluateReadinessCached(options);
  expect(after.report.cache).toBe('hit');
  expect(essence(after.report)).toEqual(essence(again.report));
  return again.report;
}

describe('completeness: every file system access of an evaluation is a recorded input', () => {
  interface Access {
    readonly op: string;
    readonly path: string;
  }
  const SPIED = ['existsSync', 'statSync', 'lstatSync', 'accessSync', 'readFileSync', 'openSync', 'readdirSync', 'opendirSync'] as const;

  /** Runs `run` with the real node:fs spied on (the CJS object patched, ESM named imports synced), and restores it. */
  async function spied<T>(run: () => Promise<T>): Promise<{ value: T; accesses: Access[] }> {
    const target = fs as unknown as Record<string, (...args: unknown[]) => unknown>;
    const cjs = createRequire(import.meta.url)('node:fs') as Record<string, (...args: unknown[]) => unknown>;
    const originals = new Map(SPIED.map((name) => [name, cjs[name]]));
    const accesses: Access[] = [];
    for (const name of SPIED) {
      const original = originals.get(name);
      if (original === undefined) throw new Error(`node:fs has no ${name}`);
      cjs[name] = function (this: unknown, ...args: unknown[]) {
        const path = args[0];
        if (typeof path === 'string') accesses.push({ op: name, path: resolve(path) });
        else if (path instanceof URL) accesses.push({ op: name, path: resolve(path.pathname) });
        return original.apply(this, args);
      };
    }
    syncBuiltinESMExports();
    expect(target.readFileSync).toBe(cjs.readFileSync); // the ESM namespace sees the patch
    try {
      return { value: await run(), accesses };
    } finally {
      for (const [name, original] of originals) if (original !== undefined) cjs[name] = original;
      syncBuiltinESMExports();
    }
  }

  /** The folders whose files are code, covered by the result cache's code fingerprint, not by its inputs. */
  const require = createRequire(import.meta.url);
  const codeRoots = [
    join(import.meta.dirname, '..', '..', '..', 'node_modules'),
    ...['@charter/spec', '@charter/telemetry', '@charter/guardrails', '@charter/eslint-plugin'].map((name) =>
      dirname(dirname(require.resolve(name))),
    ),
  ];

  function uncovered(accesses: readonly Access[], inputs: RecordedInputs, excluded: readonly string[]): Access[] {
    return accesses.filter(({ op, path }) => {
      if (excluded.includes(path) || codeRoots.some((root) => path === root || path.startsWith(`${root}/`))) return false;
      // A read is covered by the file's digest, or — for a read that failed — by the kind recorded for the path.
      if (op === 'readFileSync' || op === 'openSync') return inputs.files[path] === undefined && (inputs.kinds[path] ?? 'file') === 'file';
      if (op === 'readdirSync' || op === 'opendirSync') return inputs.folders[path] === undefined;
      return inputs.kinds[path] === undefined && inputs.files[path] === undefined;
    });
  }

  it('with the defaults (HEAD from .git, playbooks and owners found, the lint cache hit): nothing read is left out', async () => {
    const dir = makeFixture('complete');
    const options = { dir, lint: { cacheDir: LINT_CACHE }, now: NOW } as const;
    // Evidence for the checkout's HEAD, so the rules judge it (and read it) as the pipeline would.
    const head = (await evaluateReadiness({ ...options, lint: false }).catch(() => undefined))?.commit;
    writeEvidence(dir, passingEvidence(), head === undefined ? {} : { commit: head });
    await evaluateReadiness(options); // fills the lint cache (the typed lint reads node_modules' types: not inputs, as in lintCacheKey)
    const recorder = new InputRecorder();
    const { value: report, accesses } = await spied(() => evaluateReadiness({ ...options, files: recorder }));
    expect(report.lint.cache).toBe('hit');
    expect(report.evidence.every((e) => e.state === 'fresh')).toBe(true);
    expect(recorder.opaqueReasons).toEqual([]);
    const inputs = recorder.inputs();
    // What the evaluation really touched: the manifest, the policy, the evidence, the playbooks, git's files.
    const touched = new Set(accesses.map((a) => a.path));
    for (const file of [
      'agent.yaml',
      'policy.yaml',
      'owners.yaml',
      'src/tools.ts',
      '.charter/evidence/soak.json',
      'playbooks/cost-runaway.md',
    ])
      expect(touched.has(join(dir, file)), file).toBe(true);
    expect(accesses.some((a) => a.path.endsWith('/HEAD'))).toBe(true);
    // The lint cache's own file is derived data, keyed by inputs that are recorded (sources, tsconfig, …).
    expect(uncovered(accesses, inputs, [join(LINT_CACHE, 'lint.json')])).toEqual([]);
  }, 300_000);

  it('with the lint off, an invalid manifest and no evidence: nothing read is left out', async () => {
    const dir = makeFixture('complete-invalid');
    edit(dir, 'agent.yaml', 'title: Fixture desk', 'title: [not, a, string]');
    writeFileSync(
      join(dir, 'readiness-waivers.yaml'),
      'waivers:\n  - rule: REL-7\n    reason: One flaky scenario is being rewritten this sprint.\n    approver: lead\n    expires: 2026-06-30\n',
    );
    const recorder = new InputRecorder();
    const { value: report, accesses } = await spied(() =>
      evaluateReadiness({ dir, commit: '0123456789abcdef0123456789abcdef01234567', now: NOW, lint: false, files: recorder }),
    );
    expect(report.issues.some((issue) => issue.severity === 'error')).toBe(true);
    expect(report.evidence.every((e) => e.state === 'missing')).toBe(true);
    expect(uncovered(accesses, recorder.inputs(), [])).toEqual([]);
    expect(accesses.some((a) => a.path === join(dir, 'readiness-waivers.yaml'))).toBe(true);
  }, 120_000);

  it('the spy sees what it must: a read the door does not record is reported as uncovered', async () => {
    const recorder = new InputRecorder();
    const file = join(FIXTURE, 'agent.yaml');
    const { accesses } = await spied(() => Promise.resolve(readFileSync(file, 'utf8')));
    expect(uncovered(accesses, recorder.inputs(), [])).toEqual([{ op: 'readFileSync', path: file }]);
  });
});

describe('each input, changed, is a miss whose result equals a fresh evaluation', () => {
  it('the manifest', async () => {
    const { dir, options } = await stored('rc-manifest');
    edit(dir, 'agent.yaml', 'title: Fixture desk', 'title: Fixture help desk');
    const report = await missesThenHolds(options, /agent\.yaml changed/);
    expect(report.agent.title).toBe('Fixture help desk');
  }, 300_000);

  it('the policy the manifest names (its digest makes the evidence stale)', async () => {
    const { dir, options } = await stored('rc-policy');
    writeFileSync(join(dir, 'policy.yaml'), `${readFileSync(join(dir, 'policy.yaml'), 'utf8')}# changed\n`);
    const report = await missesThenHolds(options, /policy\.yaml changed/);
    expect(report.ready).toBe(false);
    expect(report.evidence.every((e) => e.state === 'stale')).toBe(true);
  }, 300_000);

  it('each evidence report: edited, then removed', async () => {
    const { dir, options } = await stored('rc-evidence');
    const kinds = Object.keys(passingEvidence()) as EvidenceKind[];
    for (const kind of kinds) {
      const file = join(dir, '.charter', 'evidence', `${kind}.json`);
      const report = JSON.parse(readFileSync(file, 'utf8')) as { producedAt: string };
      report.producedAt = new Date(NOW - 120_000).toISOString();
      writeFileSync(file, JSON.stringify(report));
      await missesThenHolds(options, new RegExp(`${kind}\\.json changed`));
    }
    rmSync(join(dir, '.charter', 'evidence', 'soak.json'));
    const report = await missesThenHolds(options, /soak\.json/);
    expect(report.evidence.find((e) => e.kind === 'soak')?.state).toBe('missing');
    expect(report.ready).toBe(false);
  }, 300_000);

  it('the waivers file: added, edited, removed', async () => {
    const { dir, options } = await stored('rc-waivers');
    const file = join(dir, 'readiness-waivers.yaml');
    const waiver = (expires: string) =>
      `waivers:\n  - rule: REL-7\n    reason: One flaky scenario is being rewritten this sprint.\n    approver: lead\n    expires: ${expires}\n`;
    writeFileSync(file, waiver('2026-06-30'));
    expect((await missesThenHolds(options, /readiness-waivers\.yaml was absent/)).waivers[0]?.state).toBe('unused');
    writeFileSync(file, waiver('2026-05-01'));
    const expired = await missesThenHolds(options, /readiness-waivers\.yaml changed/);
    expect(expired.waivers[0]?.state).toBe('expired');
    expect(expired.ready).toBe(false);
    rmSync(file);
    expect((await missesThenHolds(options, /readiness-waivers\.yaml cannot be read|readiness-waivers\.yaml was a file/)).ready).toBe(true);
  }, 300_000);

  it("owners.yaml and the repository's catalog/ (a file edited, a file added)", async () => {
    const { dir, options } = await stored('rc-owners', {});
    edit(dir, 'owners.yaml', 'charter.dev/on-call', 'example.com/not-on-call');
    const report = await missesThenHolds(options, /owners\.yaml changed/);
    expect(report.results.find((r) => r.ruleId === 'BIZ-4')?.status).toBe('fail');
    // A repository root of its own, so its catalog/ can change: the owner moves from owners.yaml to it.
    const repo = { ...options, repoRoot: dir };
    rmSync(join(dir, 'owners.yaml'));
    mkdirSync(join(dir, 'catalog'));
    writeFileSync(join(dir, 'catalog', 'a.yaml'), 'kind: Component\n');
    await evaluateReadinessCached(repo);
    expect((await evaluateReadinessCached(repo)).report.cache).toBe('hit');
    cpSync(join(FIXTURE, 'owners.yaml'), join(dir, 'catalog', 'groups.yaml'));
    const found = await missesThenHolds(repo, /the entries of .*catalog changed/);
    expect(found.results.find((r) => r.ruleId === 'BIZ-4')?.status).toBe('pass');
  }, 300_000);

  it('a playbook', async () => {
    const { dir, options } = await stored('rc-playbook');
    const file = join(dir, 'playbooks', 'cost-runaway.md');
    writeFileSync(file, readFileSync(file, 'utf8').replace('  name: cost-runaway', '  name: [broken'));
    const report = await missesThenHolds(options, /cost-runaway\.md changed/);
    expect(report.issues.some((issue) => issue.file.endsWith('cost-runaway.md'))).toBe(true);
  }, 300_000);

  it('a source file edited, a source file added, tsconfig.json edited (the lint runs again)', async () => {
    const { dir, options } = await stored('rc-sources');
    appendFileSync(join(dir, 'src', 'tools.ts'), '\nexport const added = 1;\n');
    expect((await missesThenHolds(options, /tools\.ts changed/)).lint.files).toBe(1);
    writeFileSync(join(dir, 'src', 'extra.ts'), 'export const extra = 2;\n');
    expect((await missesThenHolds(options, /the entries of .*src changed/)).lint.files).toBe(2);
    edit(dir, 'tsconfig.json', '"strict": true', '"strict": true,\n    "noUnusedLocals": true');
    await missesThenHolds(options, /tsconfig\.json changed/);
  }, 600_000);

  it('git HEAD moved (a new commit on the branch, then another branch checked out)', async () => {
    const repo = mkdtempSync(join(work, 'repo-'));
    const dir = join(repo, 'agent');
    cpSync(FIXTURE, dir, { recursive: true });
    cpSync(join(REPO, 'playbooks'), join(dir, 'playbooks'), { recursive: true });
    const commit = (n: number) => String(n).repeat(40);
    mkdirSync(join(repo, '.git', 'refs', 'heads'), { recursive: true });
    writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    writeFileSync(join(repo, '.git', 'refs', 'heads', 'main'), `${commit(1)}\n`);
    writeEvidence(dir, passingEvidence(), { commit: commit(1) });
    const options: CachedEvaluateOptions = { dir, now: NOW, lint: false };
    expect((await evaluateReadinessCached(options)).report.commit).toBe(commit(1));
    expect((await evaluateReadinessCached(options)).report.cache).toBe('hit');
    writeFileSync(join(repo, '.git', 'refs', 'heads', 'main'), `${commit(2)}\n`);
    const moved = await missesThenHolds(options, /refs\/heads\/main changed/);
    expect(moved.commit).toBe(commit(2));
    expect(moved.evidence.every((e) => e.state === 'stale')).toBe(true);
    writeFileSync(join(repo, '.git', 'refs', 'heads', 'other'), `${commit(3)}\n`);
    writeFileSync(join(repo, '.git', 'HEAD'), 'ref: refs/heads/other\n');
    expect((await missesThenHolds(options, /\.git\/HEAD changed/)).commit).toBe(commit(3));
  }, 300_000);

  it("time: a hit until the day after a waiver's last day, then a miss with the waiver expired", async () => {
    const dir = makeFixture('rc-time');
    writeFileSync(
      join(dir, 'readiness-waivers.yaml'),
      'waivers:\n  - rule: REL-7\n    reason: One flaky scenario is being rewritten this sprint.\n    approver: lead\n    expires: 2026-06-02\n',
    );
    writeEvidence(dir, passingEvidence());
    const at = (now: number): CachedEvaluateOptions => ({ ...evaluateOptions(dir), now });
    expect((await evaluateReadinessCached(at(NOW))).report.cache).toBe('miss');
    // Later the same day and on the waiver's last day: the stored result, with the evidence ages of that moment.
    const lastDay = Date.parse('2026-06-02T23:59:59.999Z');
    const hit = await evaluateReadinessCached(at(lastDay));
    expect(hit.report.cache).toBe('hit');
    expect(hit.report.evaluatedAt).toBe('2026-06-02T23:59:59.999Z');
    expect(hit.report.evidence[0]?.ageMs).toBe(lastDay - (NOW - 60_000));
    expect(hit.report.waivers[0]?.state).toBe('unused');
    const expired = await missesThenHolds(at(lastDay + 1), /another time/);
    expect(expired.waivers[0]?.state).toBe('expired');
    expect(expired.ready).toBe(false);
    // A clock set back before the day it was stored: not the stored result either.
    expect((await evaluateReadinessCached(at(NOW - 86_400_000))).report.cacheReason).toMatch(/another time/);
  }, 300_000);

  it('an option (the evidence folder, the lint turned off, the commit)', async () => {
    const { dir, options } = await stored('rc-options');
    const elsewhere = join(dir, 'other-evidence');
    cpSync(join(dir, '.charter', 'evidence'), elsewhere, { recursive: true });
    await missesThenHolds({ ...options, evidenceDir: elsewhere }, /other options/);
    expect((await missesThenHolds({ ...options, lint: false }, /other options/)).lint.ran).toBe(false);
    const other = await missesThenHolds({ ...options, commit: 'fedcba9876543210fedcba9876543210fedcba98' }, /other options/);
    expect(other.ready).toBe(false);
  }, 300_000);
});

describe('a bad cache file is a reported miss, never an error or a wrong result', () => {
  it('truncated, altered, not JSON, another format, a folder in its place', async () => {
    const { options } = await stored('rc-corrupt');
    const file = resultCacheFile(options);
    if (file === undefined) throw new Error('cache off');
    const good = readFileSync(file, 'utf8');
    const sealFile = defaultSealKeyFile();
    if (sealFile === undefined) throw new Error('no home folder for the seal key');
    const seal = sealKey(sealFile);
    const cases: [string, () => void, RegExp][] = [
      [
        'truncated',
        () => {
          writeFileSync(file, good.slice(0, good.length / 2));
        },
        /corrupt/,
      ],
      // `"ready":true` → `"ready":fals` would not parse; flip a rule's status instead: the digest catches it.
      [
        'altered',
        () => {
          writeFileSync(file, good.replace('"status":"pass"', '"status":"fail"'));
        },
        /corrupt or was not written here \(its seal differs\)/,
      ],
      [
        'empty',
        () => {
          writeFileSync(file, '');
        },
        /corrupt/,
      ],
      [
        'not JSON, seal right',
        () => {
          writeFileSync(file, `${sealOf(seal, '{')}\n{`);
        },
        /corrupt \(not JSON\)/,
      ],
    ];
    for (const [name, spoil, why] of cases) {
      spoil();
      const again = await evaluateReadinessCached(options);
      expect(again.report.cache, name).toBe('miss');
      expect(again.report.cacheReason, name).toMatch(why);
      expect(again.report.ready, name).toBe(true);
      expect((await evaluateReadinessCached(options)).report.cache, name).toBe('hit'); // stored again
    }
    // Another format with a valid seal.
    const body = JSON.stringify({ format: 'charter.readiness-result', v: 999 });
    writeFileSync(file, `${sealOf(seal, body)}\n${body}`);
    expect((await evaluateReadinessCached(options)).report.cacheReason).toMatch(/another format/);
    // A folder where the file should be: cannot be read, cannot be replaced; the check still answers.
    rmSync(file);
    mkdirSync(join(file, 'blocker'), { recursive: true });
    const blocked = await evaluateReadinessCached(options);
    expect(blocked.report.cache).toBe('miss');
    expect(blocked.report.cacheReason).toMatch(/cannot be read.*not stored/);
    expect(blocked.report.ready).toBe(true);
  }, 300_000);
});

describe('an entry planted in the checkout is a miss', () => {
  it('a stored result re-sealed with another key, or with a plain sha256 digest, is not served; the one sealed here is', async () => {
    const keys = mkdtempSync(join(work, 'seal-'));
    const { options: base } = await stored('rc-planted', { sealKeyFile: join(keys, 'here.key') });
    const options = { ...base, sealKeyFile: join(keys, 'here.key') };
    const file = resultCacheFile(options);
    if (file === undefined) throw new Error('cache off');
    const good = readFileSync(file, 'utf8');
    const body = good.slice(good.indexOf('\n') + 1);
    // What a change under review would commit: the entry of an unchanged tree, claiming another verdict.
    const forged = body.replace('"ready":true', '"ready":false');
    expect(forged).not.toBe(body);
    for (const [name, text] of [
      ['sealed elsewhere', `${sealOf(sealKey(join(keys, 'elsewhere.key')), forged)}\n${forged}`],
      ['sha256 digest', `${createHash('sha256').update(forged).digest('hex')}\n${forged}`],
    ] as const) {
      writeFileSync(file, text);
      const again = await evaluateReadinessCached(options);
      expect(again.report.cache, name).toBe('miss');
      expect(again.report.cacheReason, name).toMatch(/not written here/);
      expect(again.report.ready, name).toBe(true);
    }
    // Sealed with this machine's key the same bytes are served: the seal is what refused them.
    writeFileSync(file, `${sealOf(sealKey(join(keys, 'here.key')), forged)}\n${forged}`);
    const served = await evaluateReadinessCached(options);
    expect(served.report.cache).toBe('hit');
    expect(served.report.ready).toBe(false);
  }, 300_000);

  it('without a key to seal with, nothing is read or stored, and the report says why', async () => {
    const dir = makeFixture('rc-no-key');
    writeEvidence(dir, passingEvidence());
    const blocked = join(work, 'not-a-folder');
    writeFileSync(blocked, 'a file where the folder of the key should be');
    const options: CachedEvaluateOptions = { ...evaluateOptions(dir), sealKeyFile: join(blocked, 'seal.key') };
    for (let i = 0; i < 2; i++) {
      const { report } = await evaluateReadinessCached(options);
      expect(report.cache).toBe('miss');
      expect(report.cacheReason).toMatch(/seal's key cannot be had/);
      expect(report.ready).toBe(true);
    }
    const file = resultCacheFile(options);
    expect(file !== undefined && fs.existsSync(file)).toBe(false);
  }, 300_000);
});

describe('a hit stays light', () => {
  it('loads none of zod, @charter/spec, yaml, js-yaml, ESLint or TypeScript (an ESM load hook lists every module)', async () => {
    const { options } = await stored('rc-light', { lint: { cacheDir: LINT_CACHE } });
    const log = join(work, 'loaded.txt');
    const hooks = `import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(${JSON.stringify(log)}, url + '\\n'); return next(url, context); }`;
    const probe = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hooks)}`)});`;
    const child = `
const { evaluateReadinessCached, formatReportWith } = await import('@charter/readiness/cached');
const { report, rules } = await evaluateReadinessCached(JSON.parse(process.argv[1]));
for (const format of ['text', 'json', 'sarif', 'markdown', 'junit', 'html']) formatReportWith(report, format, {}, rules);
process.stdout.write(JSON.stringify({ cache: report.cache, reason: report.cacheReason ?? null, ready: report.ready }));
`;
    const run = spawnSync(
      process.execPath,
      [
        '--conditions=@charter/source',
        '--import',
        'tsx',
        '--import',
        `data:text/javascript,${encodeURIComponent(probe)}`,
        '--input-type=module',
        '-e',
        child,
        JSON.stringify(options),
      ],
      { cwd: process.cwd(), encoding: 'utf8' },
    );
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ cache: 'hit', reason: null, ready: true });
    const loaded = readFileSync(log, 'utf8').split('\n');
    expect(loaded.some((url) => url.endsWith('/readiness/src/result-cache.ts'))).toBe(true);
    const heavy = loaded.filter((url) =>
      /\/node_modules\/(?:zod|yaml|js-yaml|eslint|typescript|@typescript-eslint)\/|\/packages\/(?:spec|telemetry|guardrails|eslint-plugin)\/|\/readiness\/src\/(?:evaluate|rules\/registry|lint)\.ts$/.test(
        url,
      ),
    );
    expect(heavy).toEqual([]);
  }, 300_000);
});
