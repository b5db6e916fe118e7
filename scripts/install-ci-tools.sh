#!/usr/bin/env bash
# Installs the external tools the test suite runs for real, from Debian's archive, quietly and
# idempotently (nothing is downloaded when they are already present):
#   promtool        (package prometheus)      - promtool check/test rules on the generated alerts
#   mkdocs          (package mkdocs)          - mkdocs build --strict of the TechDocs site
#   material theme  (package mkdocs-material) - the theme mkdocs.yml names (brings pymdownx)
#   chromium        (package chromium)        - headless rendering of HTML output (rollout chart, scorecards)
#   PostgreSQL      (package postgresql)      - initdb/pg_ctl for scripts/pg-test-server.sh (state tests)
# Called by .ci/run before the tests; without these tools the tests fail when CI is set.
set -euo pipefail

have_all() {
  command -v promtool >/dev/null 2>&1 &&
    command -v mkdocs >/dev/null 2>&1 &&
    [ -f /usr/share/mkdocs/themes/material/mkdocs_theme.yml ] &&
    [ -x /usr/bin/chromium ] &&
    /usr/bin/python3 -c 'import pymdownx' >/dev/null 2>&1 &&
    compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null
}

if have_all; then
  echo "install-ci-tools: promtool, mkdocs, mkdocs-material, chromium and postgresql already installed"
  exit 0
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then sudo="sudo"; else
    echo "install-ci-tools: not root and no sudo: install prometheus mkdocs mkdocs-material chromium postgresql with apt-get" >&2
    exit 1
  fi
fi

export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
# --no-install-recommends: the prometheus server's recommends (node exporter, web assets) are not needed.
$sudo apt-get install -y -qq --no-install-recommends prometheus mkdocs mkdocs-material chromium postgresql >/dev/null

if ! have_all; then
  echo "install-ci-tools: installation finished but a tool is still missing" >&2
  exit 1
fi
echo "install-ci-tools: $(promtool --version 2>&1 | head -n 1); $(mkdocs --version)"
