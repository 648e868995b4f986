#!/usr/bin/env bash
# Back up hmisbot: the database, then archive_dir, then the configuration (docs/deploy.md).
#
#   deploy/backup.sh CONFIG DEST        e.g. deploy/backup.sh /etc/hmisbot/mailboxes.yaml /var/backups/hmisbot/2026-12-03
#
# DEST must not exist; it is created 0700 and receives:
#   database.sqlite3 (SQLite's online backup, as `sqlite3 DB .backup`) or database.pgdump (pg_dump -Fc),
#   archive.tar.gz (archive_dir), mailboxes.yaml (the configuration; secrets are not in it), VERSION,
#   now + status.json (`hmisbot status --json` at that moment, for the restore drill), SHA256SUMS.
# Safe while hmisbot runs: the database is copied first and the archive after, so every file the
# copy names is in the archive. status.json is taken before and after the database copy and kept only
# when both agree (nothing changed meanwhile); otherwise the copy is taken again (3 tries).
# Run it as the hmisbot user with the secrets' environment (PGPASSWORD for PostgreSQL).
# HMISBOT_PYTHON: the Python of hmisbot's venv [default: this checkout's .venv/bin/python].
set -euo pipefail

die() { printf 'backup.sh: %s\n' "$*" >&2; exit 1; }
[ "$#" -eq 2 ] || die "usage: backup.sh CONFIG DEST"
config="$1" dest="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${HMISBOT_PYTHON:-$here/../.venv/bin/python}"
[ -e "$dest" ] && die "$dest exists: give a new folder"
umask 077

# The database URL and archive folder exactly as hmisbot resolves them (relative paths: against CONFIG's folder).
{ read -r url; read -r archive; } < <("$py" -c '
import sys
from bot.config import load_config
c = load_config(sys.argv[1])
print(c.database_url)
print(c.resolve(c.archive_dir).resolve())' "$config")
hmisbot() { "$py" -m bot --config "$config" "$@"; }

copy_database() {
  case "$url" in
    sqlite:///*)
      local db="${url#sqlite:///}"
      if command -v sqlite3 >/dev/null; then
        sqlite3 "$db" ".backup '$dest/database.sqlite3'"
      else  # the same online backup API, through Python
        "$py" -c 'import sqlite3, sys; sqlite3.connect(sys.argv[1]).backup(sqlite3.connect(sys.argv[2]))' \
          "$db" "$dest/database.sqlite3"
      fi ;;
    postgresql*)
      pg_dump --format=custom --no-owner --no-privileges --file="$dest/database.pgdump" \
        --dbname="postgresql:${url#postgresql*:}" ;;
    *) die "database $url: only sqlite and postgresql are backed up by this script" ;;
  esac
}

mkdir -p "$dest"
now="$(date --iso-8601=seconds)"
echo "$now" >"$dest/now"
hmisbot --version >"$dest/VERSION"
for try in 1 2 3; do
  hmisbot --now "$now" status --json >"$dest/status.before"
  rm -f "$dest/database.sqlite3" "$dest/database.pgdump"
  copy_database
  hmisbot --now "$now" status --json >"$dest/status.json"
  if cmp -s "$dest/status.before" "$dest/status.json"; then break; fi
  [ "$try" -lt 3 ] || { rm -f "$dest/status.json"; echo "backup.sh: mail kept changing the database; no status.json for the drill" >&2; }
done
rm -f "$dest/status.before"

if [ -d "$archive" ]; then
  tar -C "$archive" -czf "$dest/archive.tar.gz" .
else
  tar -czf "$dest/archive.tar.gz" --files-from=/dev/null  # nothing archived yet
fi
cp "$config" "$dest/mailboxes.yaml"
(cd "$dest" && sha256sum -- * >SHA256SUMS)
echo "backup.sh: $dest: $(ls "$dest" | tr '\n' ' ')"
