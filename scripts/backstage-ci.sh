#!/usr/bin/env bash
# The Backstage part of CI, run by .ci/run after `npm test` (which has built every root package the
# module installs as file: dependencies). Kept out of the root install: the module
# (plugins/backend-module-charter) and @backstage/cli (its build/ folder) each have their own lockfile.
#
#  1. npm ci of the module (Backstage + better-sqlite3 compiled from source; allowScripts approves it);
#  2. typecheck and lint of the module;
#  3. tsc emits the declarations, then `backstage-cli package build` (the @backstage/cli of build/, its
#     own npm ci) builds the module, as a Backstage app's toolchain does;
#  4. its vitest suite: a real Backstage backend in process (src/backstage.test.ts), and the built
#     dist/index.mjs loaded into one (src/built.test.ts).
#
# Each check and each vitest test counts as one test. The script prints the time of each step, then
# the closing line CI reads, `N passed, N failed` — the totals of `npm test` (.test-summary.json,
# written by scripts/test.mjs) plus its own — and exits 1 when anything here failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
module=$root/plugins/backend-module-charter
build=$module/build
export CI="${CI:-true}"
passed=0
failed=0
timings=()

# check <name> <command...>: runs one check, counts it, records its time.
check() {
  local name=$1
  shift
  local began
  began=$(date +%s)
  echo "backstage: $name"
  if "$@"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    echo "backstage: FAILED: $name" >&2
  fi
  timings+=("$name $(($(date +%s) - began)) s")
}

install_module() { (cd "$module" && npm ci --no-audit --no-fund); }
typecheck() { (cd "$module" && npx tsc -p tsconfig.json --noEmit); }
lint() { (cd "$module" && npx eslint --config "$root/eslint.config.js" src); }

# tsc emits the declarations where backstage-cli looks for them in a monorepo (<root>/dist-types/<package
# path>/src), then build/'s @backstage/cli builds the package in place: dist/index.mjs and a bundled
# dist/index.d.ts.
build_module() {
  rm -rf "$root/dist-types/plugins/backend-module-charter" "$module/dist"
  (cd "$module" && npx tsc -p tsconfig.build.json) || return 1
  (cd "$build" && npm ci --no-audit --no-fund) || return 1
  (cd "$module" && "$build/node_modules/.bin/backstage-cli" package build) || return 1
  if ! test -s "$module/dist/index.mjs" || ! test -s "$module/dist/index.d.ts"; then
    echo "backstage-cli package build wrote no dist/index.mjs and dist/index.d.ts" >&2
    return 1
  fi
}

vitest_results=$root/.backstage-vitest-results.json
test_module() {
  rm -f "$vitest_results"
  (cd "$module" && npx vitest run --reporter=default --reporter=json --outputFile.json="$vitest_results")
}

began_all=$(date +%s)
check "npm ci (module)" install_module
if [ "$failed" -eq 0 ]; then
  check "typecheck" typecheck
  check "lint" lint
  check "backstage-cli package build" build_module
  began_tests=$(date +%s)
  test_module
  test_status=$?
  timings+=("vitest $(($(date +%s) - began_tests)) s")
  if [ -f "$vitest_results" ]; then
    read -r vp vf < <(node -e 'const r = require(process.argv[1]); console.log(`${r.numPassedTests ?? 0} ${(r.numFailedTests ?? 0) + (r.numFailedTestSuites ?? 0)}`)' "$vitest_results")
    passed=$((passed + vp))
    failed=$((failed + vf))
    if [ "$test_status" -ne 0 ] && [ "$vf" -eq 0 ]; then failed=$((failed + 1)); fi
  else
    echo "backstage: vitest wrote no results file" >&2
    failed=$((failed + 1))
  fi
fi

echo "backstage: $passed ok and $failed not ok here, in $(($(date +%s) - began_all)) s (${timings[*]})"
node -e '
const fs = require("fs");
const [file, p, f] = process.argv.slice(1);
const before = fs.existsSync(file) ? JSON.parse(fs.readFileSync(file, "utf8")) : { passed: 0, failed: 0, skipped: 0 };
const passed = before.passed + Number(p);
const failed = before.failed + Number(f);
const skipped = before.skipped ?? 0;
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`);
' "$root/.test-summary.json" "$passed" "$failed"
[ "$failed" -eq 0 ]
