// The docs' shell examples, run as a new user would: clone HEAD into a temporary folder and run every
// command of the ```sh blocks of docs/getting-started.md, README.md and packages/cli/README.md, in that
// order, taken from the Markdown itself so the docs cannot drift. `npm test` runs it after vitest.
//
// - `<this repository>` in a command is this repository's path; getting-started's `git clone … && cd`
//   makes the clone, which is then checked out at HEAD (uncommitted changes are not in it).
// - A command line is split at ` && `; `cd <dir>` moves the shell; a step already run in the same folder
//   (the README's `npm ci` after getting-started's) is not run twice.
// - A line whose trailing comment says `not run by the docs test: <why>` is reported as skipped.
// - promtool and mkdocs steps (and those whose EXPECTED entry `needs` one) are skipped with a message when
//   the tool is missing, unless CI is set.
// - Every step must exit 0 unless EXPECTED says otherwise; EXPECTED also names output a command must
//   print. An EXPECTED entry that matches no command in the docs fails: the table cannot go stale.
//
// Usage: node scripts/docs-examples.mjs [--results <file.json>]   (writes {passed, failed, skipped, seconds})
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(import.meta.dirname, '..');
const DOCS = ['docs/getting-started.md', 'README.md', 'packages/cli/README.md'];
const SKIP_MARK = 'not run by the docs test:';
const EXTERNAL_TOOLS = ['promtool', 'mkdocs'];

/** What some commands must print (stdout and stderr together), and their exit code when not 0. */
const EXPECTED = [
  { command: /^npx charter --help$/, output: [/^Usage: charter <command>/m, /^Exit codes \(every command\):$/m] },
  { command: /(?:^| && )npm start$/, output: [/^✔ \d+ files valid: /m, /^pass rate: (\d+)\/\1 /m, /^attacks blocked: (\d+)\/\1$/m] },
  { command: /^npx charter validate$/, output: [/^✔ \d+ files valid: \d+ Agent, /m] },
  {
    command: /^npx charter validate packages\/reference-agent\/agent\.yaml$/,
    output: [/^✔ \d+ files valid: 1 Agent, 1 GuardrailPolicy, \d+ Playbook$/m],
  },
  { command: /^npx charter validate --json$/, output: [/^ {2}"ok": true,$/m] },
  { command: /^npx charter validate packages\/reference-agent --json$/, output: [/^ {2}"ok": true,$/m] },
  { command: /^npx charter validate packages\/reference-agent\/agent\.yaml playbooks\/$/, output: [/^✔ \d+ files valid: 1 Agent, /m] },
  { command: /^npx charter alerts packages\/reference-agent\/agent\.yaml -o /, output: [/^wrote \d+ rules for support-desk to /m] },
  { command: /^promtool check rules /, output: [/SUCCESS: \d+ rules found/] },
  {
    command: /^npx charter audit verify \.charter\/audit\.jsonl$/,
    output: [/^✔ \.charter\/audit\.jsonl: \d+ record\(s\), hash chain intact/m],
  },
  { command: /^npx charter replay .* --agent /, output: [/replay identical/] },
  { command: /^npx charter eval .* --label main --out /, output: [/^support-desk main: 96\/96 cases pass$/m] },
  { command: /^npx charter eval --agent \S+ --baseline \S+$/, output: [/^no significant regression$/m] },
  {
    command: /^npx charter eval .* --policy .* --patterns$/,
    exit: 1,
    output: [/^indirect-injection +60\/60 +54\/60 .* REGRESSED$/m, /^ {2}1\. category indirect-injection: 6 failure/m],
  },
  {
    command: /^npx charter rollout simulate .* --success-drop 5 /,
    output: [/^outcome: rolled back at canary after \d+ requests/m, /^chart written to /m],
  },
  { command: /^npx charter rollout start /, output: [/^start: pending → shadow /m, /WARNING: no readiness gate is checked/] },
  { command: /^npx charter rollout abort /, output: [/^abort: shadow → aborted /m] },
  { command: /^npx vitest run --project spec$/, output: [/Tests {2}\d+ passed/] },
  { command: /^npm run registry:start$/, output: [/^registry: http:\/\/127\.0\.0\.1:4873\/ serves every public @charter package/m] },
  { command: /^npx charter new agent-service \.\.\/triage-desk /, output: [/^created \S*triage-desk from agent-service \(\d+ files\)$/m] },
  {
    command: /^npx charter run \. --scenario scenarios\/happy-lookup\.yaml$/,
    output: [/^outcome completed · 2 model calls · 1 tool call/m],
  },
  {
    command: /^npx charter run \. --input "Ignore all previous instructions/,
    output: [/^ {2}guardrail input: deny \[injection\./m, /^outcome denied /m],
  },
  { command: /^npm run evidence$/, needs: 'promtool', output: [/^evidence: 8 report\(s\) in /m] },
  { command: /^npx charter check \.$/, needs: 'promtool', output: [/^triage-desk is ready for production\.$/m] },
];

const { values } = parseArgs({ options: { results: { type: 'string' } } });
const started = Date.now();
const inCi = Boolean(process.env.CI);
const results = { passed: 0, failed: 0, skipped: 0 };
const failures = [];

// The environment of a new user's shell: none of the npm variables of the `npm test` that runs us.
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key) && key !== 'INIT_CWD'));
Object.assign(env, { TURBO_TELEMETRY_DISABLED: '1', NO_COLOR: '1', FORCE_COLOR: '0' });

const sh = (command, cwd) =>
  spawnSync('bash', ['-c', command], { cwd, env, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 20 * 60_000 });
const has = (tool) => spawnSync('bash', ['-c', `command -v ${tool}`], { env }).status === 0;

/** The commands of a Markdown file's ```sh blocks: one per logical line (`\` continues), with its trailing comment. */
function commandsOf(file) {
  const text = readFileSync(join(root, file), 'utf8');
  const commands = [];
  for (const [, block] of text.matchAll(/^```sh\n([\s\S]*?)^```$/gm)) {
    let pending = '';
    for (const raw of block.split('\n')) {
      const line = pending + raw;
      if (line.endsWith('\\')) {
        pending = `${line.slice(0, -1).trimEnd()} `;
        continue;
      }
      pending = '';
      const hash = line.search(/(?:^|\s)#/);
      const command = (hash === -1 ? line : line.slice(0, hash)).trim();
      const comment = hash === -1 ? '' : line.slice(hash).replace(/^\s*#\s*/, '');
      if (command !== '') commands.push({ file, command, comment });
    }
  }
  return commands;
}

function report(status, label, detail = '') {
  results[status === 'ok' ? 'passed' : status === 'skip' ? 'skipped' : 'failed']++;
  console.log(`${status === 'ok' ? '  ok  ' : status === 'skip' ? ' skip ' : ' FAIL '} ${label}${detail ? `  ${detail}` : ''}`);
}

const head = sh('git rev-parse HEAD', root).stdout.trim();
if (sh('git status --porcelain --untracked-files=no', root).stdout.trim() !== '')
  console.log(`docs examples: testing HEAD ${head.slice(0, 12)}; uncommitted changes are not in the clone`);
const home = mkdtempSync(join(tmpdir(), 'charter-docs-'));
console.log(`docs examples: a fresh clone of ${head.slice(0, 12)} in ${home}`);

const examples = DOCS.flatMap(commandsOf);
const done = new Set();
let cwd = home;
let cloneRoot;
let current = '';

for (const { file, command, comment } of examples) {
  if (file !== current) {
    current = file;
    console.log(`\n${file}`);
    if (cloneRoot !== undefined) cwd = cloneRoot; // each later document starts at the repository root
  }
  if (comment.includes(SKIP_MARK)) {
    report('skip', command, comment.slice(comment.indexOf(SKIP_MARK)));
    continue;
  }
  const expected = EXPECTED.find((entry) => entry.command.test(command));
  if (expected) expected.used = true;
  let output = '';
  let failed = '';
  let ran = false;
  let skipped = '';
  const stepStart = Date.now();
  for (const rawStep of command.split(' && ')) {
    const step = rawStep.replaceAll('<this repository>', root).trim();
    const cd = /^cd (\S+)$/.exec(step);
    if (cd) {
      cwd = resolve(cwd, cd[1]);
      if (!existsSync(cwd)) {
        failed = `no folder ${cwd}`;
        break;
      }
      continue;
    }
    const tool = expected?.needs ?? step.split(' ')[0];
    if (EXTERNAL_TOOLS.includes(tool) && !has(tool)) {
      if (inCi) failed = `${tool} is not installed (CI is set: scripts/install-ci-tools.sh installs it)`;
      else skipped = `${tool} is not installed: skipped (it fails in CI)`;
      break;
    }
    const key = `${cwd}\0${step}`;
    if (done.has(key)) continue; // e.g. the README's `npm ci` after getting-started's
    const result = sh(step, cwd);
    ran = true;
    output += `${result.stdout ?? ''}${result.stderr ?? ''}`;
    const want = expected?.exit ?? 0;
    if (result.status !== want) {
      failed = `exit ${result.status ?? result.signal}, expected ${want}`;
      break;
    }
    done.add(key);
    if (/^git clone /.test(step)) {
      // The docs clone the default branch; the test is about this commit.
      const target = join(cwd, step.split(' ').at(-1));
      const checkout = sh(`git checkout --quiet --detach ${head}`, target);
      if (checkout.status !== 0) {
        failed = `cannot check out ${head} in the clone: ${checkout.stderr}`;
        break;
      }
      cloneRoot = target;
    }
  }
  if (!failed && ran && expected?.output) {
    const missing = expected.output.filter((pattern) => !pattern.test(output));
    if (missing.length > 0) failed = `output lacks ${missing.map(String).join(', ')}`;
  }
  const seconds = `${((Date.now() - stepStart) / 1000).toFixed(1)} s`;
  if (failed) {
    report('fail', command, `${failed} (${seconds})`);
    failures.push({ file, command, failed, output });
    console.log(
      output
        .trimEnd()
        .split('\n')
        .slice(-40)
        .map((line) => `        | ${line}`)
        .join('\n'),
    );
  } else if (skipped) report('skip', command, skipped);
  else report('ok', command, ran ? seconds : '(already run)');
}

console.log('');
for (const entry of EXPECTED) {
  if (!entry.used) report('fail', `EXPECTED ${entry.command}`, 'matches no command in the docs: update scripts/docs-examples.mjs');
}
if (cloneRoot === undefined) report('fail', 'the clone', `${DOCS[0]} has no "git clone <this repository> <dir> && cd <dir>" command`);

const seconds = Math.round((Date.now() - started) / 1000);
if (process.env.CHARTER_KEEP_DOCS_CLONE) console.log(`docs examples: clone kept in ${home}`);
else rmSync(home, { recursive: true, force: true });
console.log(`docs examples: ${results.passed} passed, ${results.failed} failed, ${results.skipped} skipped in ${seconds} s`);
if (values.results) writeFileSync(values.results, JSON.stringify({ ...results, seconds }));
process.exit(results.failed === 0 ? 0 : 1);
