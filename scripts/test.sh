#!/usr/bin/env bash
# The project's test command (see README): bash scripts/test.sh [pytest args...]
#
# On a fresh Debian 12 machine (as root, or with passwordless sudo) it installs what
# the tests need (Dovecot, PostgreSQL, openssl, Chromium), creates .venv and installs the
# project into it, starts PostgreSQL with a hmisbot_test database, exports
# HMISBOT_TEST_PG_URL and runs pytest, exiting with pytest's code (5, "no tests
# collected", stays a failure). Every step is skipped when already done, so a
# second run goes straight to pytest. Dovecot is NOT started here: the integration
# tests start private instances of their own (tests/integration/dovecot.py).
#
# Environment: PYTHON (interpreter for a new .venv, default python3.11 or python3),
# HMISBOT_TEST_REINSTALL=1 (force pip install), CI=true (no prompts; missing servers
# fail the tests instead of skipping them), HMISBOT_TEST_MOVED_CLOCK=+400d (run the
# tests with the machine's clock moved that far, see tests/support/moved_clock).
#
# A full run (no pytest arguments) ends with a cheap moved-clock check: the scenario
# tests that drive --now through days, again with the machine's clock 3000 days ahead,
# so that code which mixes the machine's clock with --now fails CI on the day it lands
# rather than on the day the calendar catches up with it (issue 12).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export DEBIAN_FRONTEND=noninteractive

say() { printf '== test.sh: %s\n' "$*"; }
die() { printf 'test.sh: %s\n' "$*" >&2; exit 1; }

# Run a command as root: directly, or through sudo without a password prompt.
if [ "$(id -u)" -eq 0 ]; then
  as_root() { "$@"; }
  as_postgres() { (cd / && runuser -u postgres -- "$@"); }
elif command -v sudo >/dev/null 2>&1; then
  as_root() { sudo -n env DEBIAN_FRONTEND=noninteractive "$@"; }
  as_postgres() { (cd / && sudo -n -u postgres "$@"); }
else
  die "needs root (or passwordless sudo) to install packages and start PostgreSQL"
fi

# -- Debian packages ------------------------------------------------------------------

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

apt_get() {
  # Another apt (e.g. an image's first boot) may hold the lock: wait for it.
  local try
  for try in 1 2 3 4 5; do
    if as_root apt-get -o DPkg::Lock::Timeout=300 -q "$@" </dev/null; then return 0; fi
    say "apt-get $1 failed (try $try); retrying in 10 s"
    sleep 10
  done
  die "apt-get $* kept failing"
}

pick_python() {
  local candidate
  for candidate in "${PYTHON:-}" python3.11 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

missing=()
# chromium: the staff site's browser tests (tests/web) drive Debian's build through Playwright;
# `playwright install` would download a browser of its own, which this machine cannot.
for pkg in dovecot-imapd postgresql openssl chromium; do
  installed "$pkg" || missing+=("$pkg")
done
if [ ! -x .venv/bin/python ]; then
  PY="$(pick_python)" || missing+=(python3 python3-venv)
  if [ -n "${PY:-}" ] && ! "$PY" -c 'import ensurepip' 2>/dev/null; then
    missing+=(python3-venv)  # Debian splits venv/ensurepip out of python3
  fi
fi
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt_get update
  apt_get install -y --no-install-recommends "${missing[@]}"
fi

# -- Python environment -----------------------------------------------------------------

if [ ! -x .venv/bin/python ]; then
  PY="$(pick_python)" || die "no Python >= 3.11 found (set PYTHON=...)"
  say "creating .venv with $PY"
  "$PY" -m venv .venv
fi

# pip install is skipped while pyproject.toml and this checkout's path are unchanged:
# it costs seconds even when everything is present, and needs the package index.
stamp=.venv/.hmisbot-test-install
want="$(cat pyproject.toml <(echo "$ROOT") | sha256sum | cut -d' ' -f1)"
if [ "${HMISBOT_TEST_REINSTALL:-}" = 1 ] || [ "$(cat "$stamp" 2>/dev/null || true)" != "$want" ] ||
   ! .venv/bin/python -c 'import bot' 2>/dev/null; then
  say "pip install -e '.[test]'"
  .venv/bin/python -m pip install --no-input --disable-pip-version-check -q --upgrade pip || say "pip self-upgrade failed; going on with the venv's pip"
  .venv/bin/python -m pip install --no-input --disable-pip-version-check -q -e '.[test]'
  echo "$want" >"$stamp"
fi

# -- PostgreSQL ---------------------------------------------------------------------------

pg_version="$(ls /usr/lib/postgresql 2>/dev/null | sort -V | tail -n 1)"
[ -n "$pg_version" ] || die "PostgreSQL is not installed under /usr/lib/postgresql"
if ! pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" {found = 1} END {exit !found}'; then
  say "creating PostgreSQL $pg_version cluster 'main'"
  as_root pg_createcluster "$pg_version" main >/dev/null
fi
pg_port="$(pg_lsclusters -h | awk -v v="$pg_version" '$1 == v && $2 == "main" {print $3}')"
if ! as_root pg_ctlcluster "$pg_version" main status >/dev/null 2>&1; then
  say "starting PostgreSQL $pg_version on port $pg_port"
  as_root pg_ctlcluster "$pg_version" main start
fi
pg_isready -q -h 127.0.0.1 -p "$pg_port" -t 60 || die "PostgreSQL did not come up on 127.0.0.1:$pg_port"

psql_admin() { as_postgres psql -X -q -v ON_ERROR_STOP=1 -p "$pg_port" -d postgres "$@"; }
# Idempotent: create the role, or reset its password if it exists.
psql_admin -c "DO \$\$ BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'hmisbot') THEN
    CREATE ROLE hmisbot LOGIN CREATEDB PASSWORD 'hmisbot';
  ELSE
    ALTER ROLE hmisbot LOGIN CREATEDB PASSWORD 'hmisbot';
  END IF;
END \$\$;"
# DROP DATABASE ... WITH (FORCE) in the test fixtures must be able to end an autovacuum
# worker that happens to be in the database being dropped.
psql_admin -c "GRANT pg_signal_backend TO hmisbot"
if [ "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = 'hmisbot_test'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE hmisbot_test OWNER hmisbot"
fi
export HMISBOT_TEST_PG_URL="postgresql+psycopg://hmisbot:hmisbot@127.0.0.1:${pg_port}/hmisbot_test"

# -- the tests ----------------------------------------------------------------------------

moved_clock() {  # run pytest with every Python clock moved by $1 (e.g. +400d)
  HMISBOT_TEST_MOVED_CLOCK="$1" PYTHONPATH="$ROOT/tests/support/moved_clock${PYTHONPATH:+:$PYTHONPATH}" \
    .venv/bin/pytest "${@:2}"
}

if [ -n "${HMISBOT_TEST_MOVED_CLOCK:-}" ]; then
  say "pytest $* (machine clock moved ${HMISBOT_TEST_MOVED_CLOCK})"
  exec env PYTHONPATH="$ROOT/tests/support/moved_clock${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/pytest "$@"
fi
say "pytest $*"
if [ "$#" -gt 0 ]; then
  exec .venv/bin/pytest "$@"
fi
status=0
.venv/bin/pytest || status=$?
if [ "$status" -eq 0 ]; then
  say "moved-clock check: scenario tests with the machine's clock 3000 days ahead"
  moved_clock +3000d -q -p no:cacheprovider tests/scenario/test_scenarios.py tests/scenario/test_data_protection.py \
    tests/unit/test_calendar.py -k "not postgresql" || status=$?
fi
exit "$status"
