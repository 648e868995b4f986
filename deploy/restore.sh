#!/usr/bin/env bash
# Restore a backup made by deploy/backup.sh into the database and archive_dir that CONFIG names,
# then migrate it (`hmisbot init`) and check it (`status --json` against the backup's). docs/deploy.md.
#
#   deploy/restore.sh BACKUP CONFIG     e.g. deploy/restore.sh /var/backups/hmisbot/2026-12-03 /etc/hmisbot/mailboxes.yaml
#
# The targets must be empty, so a restore never mixes with live data: a SQLite file that does not
# exist yet, or an empty PostgreSQL database (created beforehand, owned by hmisbot), and an archive_dir
# that is absent or empty. For a restore drill, CONFIG is a copy of BACKUP/mailboxes.yaml in a scratch
# folder whose `database:` names a scratch database. Stop hmisbot before restoring over production.
# Exit 0: restored, and its status is the backup's; 1: restored but the status differs; 2: not restored.
# HMISBOT_PYTHON: the Python of hmisbot's venv [default: this checkout's .venv/bin/python].
set -euo pipefail

die() { printf 'restore.sh: %s\n' "$*" >&2; exit 2; }
[ "$#" -eq 2 ] || die "usage: restore.sh BACKUP CONFIG"
backup="$(cd "$1" && pwd)" config="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="${HMISBOT_PYTHON:-$here/../.venv/bin/python}"
umask 077

(cd "$backup" && sha256sum --quiet -c SHA256SUMS) || die "$backup: checksums do not match (SHA256SUMS)"
{ read -r url; read -r archive; } < <("$py" -c '
import sys
from bot.config import load_config
c = load_config(sys.argv[1])
print(c.database_url)
print(c.resolve(c.archive_dir).resolve())' "$config")
hmisbot() { "$py" -m bot --config "$config" "$@"; }

if [ -d "$archive" ] && [ -n "$(ls -A "$archive")" ]; then die "archive_dir $archive is not empty"; fi
case "$url" in
  sqlite:///*)
    db="${url#sqlite:///}"
    [ -f "$backup/database.sqlite3" ] || die "$backup holds no SQLite database (database.sqlite3)"
    [ -e "$db" ] && die "$db exists: restore into a new file"
    mkdir -p "$(dirname "$db")"
    cp "$backup/database.sqlite3" "$db" ;;
  postgresql*)
    [ -f "$backup/database.pgdump" ] || die "$backup holds no PostgreSQL dump (database.pgdump)"
    # --exit-on-error: into a database that already has tables, the first CREATE fails and nothing is mixed.
    pg_restore --no-owner --no-privileges --exit-on-error \
      --dbname="postgresql:${url#postgresql*:}" "$backup/database.pgdump" || die "pg_restore failed (is the database empty?)" ;;
  *) die "database $url: only sqlite and postgresql are restored by this script" ;;
esac
mkdir -p "$archive"
chmod 0700 "$archive"
tar -C "$archive" -xzf "$backup/archive.tar.gz"
hmisbot init  # a backup from an older hmisbot is migrated to this one's schema

if [ ! -f "$backup/status.json" ]; then
  echo "restore.sh: restored; the backup has no status.json to compare with"
elif [ "$(hmisbot --version)" != "$(cat "$backup/VERSION")" ]; then
  echo "restore.sh: restored; status not compared ($(cat "$backup/VERSION") backup, $(hmisbot --version) now)"
elif hmisbot --now "$(cat "$backup/now")" status --json | diff -u "$backup/status.json" - ; then
  echo "restore.sh: restored; status --json is the backup's"
else
  echo "restore.sh: restored, but status --json differs from the backup's (above)" >&2
  exit 1
fi
