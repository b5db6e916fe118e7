// `npm test`: check formatting (Prettier) and the repository's conventions (scripts/conventions.mjs), build,
// typecheck and lint every package through turbo, then run every vitest project once, then the docs' shell
// examples on a fresh clone (scripts/docs-examples.mjs; not when arguments filter the vitest run), and close
// with the one summary line CI reads: `N passed, N failed` (also written to .test-summary.json).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1' };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;

const formatted = run('npx', ['prettier', '--check', '--log-level=warn', '**/*.{ts,mts,cts,js,mjs,cjs}']);
if (formatted !== 0) {
  console.error('prettier: files above are not formatted: run "npm run format"');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

// Conventions (dependency layers from the actual imports, declared dependencies, READMEs, catalog files,
// error codes): a few seconds, before the build, so a layering mistake is reported before anything compiles.
if (run('node', ['scripts/conventions.mjs']) !== 0) {
  console.error('conventions check failed: see the file:line lines above (node scripts/conventions.mjs)');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const staticChecks = run('npx', ['turbo', 'run', 'build', 'typecheck', 'lint', 'lint:templates', '--output-logs=errors-only']);
if (staticChecks !== 0) {
  console.error('build, typecheck or lint failed: see above');
  console.log('0 passed, 1 failed');
  process.exit(1);
}

const results = '.vitest-results.json';
rmSync(results, { force: true });
const testsStatus = run('npx', [
  'vitest',
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${results}`,
  ...process.argv.slice(2),
]);
if (!existsSync(results)) {
  console.error('vitest wrote no results file');
  console.log('0 passed, 1 failed');
  process.exit(1);
}
const report = JSON.parse(readFileSync(results, 'utf8'));
let passed = report.numPassedTests ?? 0;
let failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
let skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);

// Each docs example is one test. Slow (one clone and npm ci): skipped when arguments select tests.
let docsStatus = 0;
if (process.argv.length > 2) {
  console.log('docs examples: not run (arguments filter this test run)');
} else {
  const docsResults = '.docs-examples-results.json';
  rmSync(docsResults, { force: true });
  docsStatus = run(process.execPath, ['scripts/docs-examples.mjs', '--results', docsResults]);
  if (existsSync(docsResults)) {
    const docs = JSON.parse(readFileSync(docsResults, 'utf8'));
    passed += docs.passed;
    failed += docs.failed;
    skipped += docs.skipped;
  } else {
    failed += 1;
  }
}
// The totals, for a later CI step that adds its own and prints the closing line (scripts/backstage-ci.sh).
writeFileSync('.test-summary.json', `${JSON.stringify({ passed, failed, skipped })}\n`);
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(testsStatus === 0 && docsStatus === 0 && failed === 0 && passed > 0 ? 0 : 1);
