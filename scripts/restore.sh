#!/usr/bin/env bash
# Restore an NPQEL backup made by scripts/backup.sh into an EMPTY database and an EMPTY folder of uploaded
# files, then check every submission file against its recorded SHA-256 (manage.py verify_submission_files).
#
#   DATABASE_URL=postgres://user:pw@host:5432/EMPTY_DB MEDIA_ROOT=/empty/folder scripts/restore.sh BACKUP_FOLDER
#
# It never overwrites: a database with any table in it, or a media folder with anything in it, is refused.
# PG_BIN picks the PostgreSQL client programs; PYTHON the Python that runs manage.py (default .venv/bin/python,
# else python3). Exit status: 0 restored and checked; 1 restored but the check found problems; 2 refused or
# failed (the message says what, if anything, to clean up).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

refuse() {
  echo "Nothing restored: $*" >&2
  exit 2
}

# shellcheck source=scripts/pg_common.sh
. "$ROOT/scripts/pg_common.sh"

# --- The backup -------------------------------------------------------------------------------------------
[ $# -eq 1 ] || refuse "say which backup folder to restore, e.g. scripts/restore.sh var/backups/npqel-2026-03-25T020000Z"
backup="$(realpath -m "$1")"
[ -f "$backup/database.dump" ] || refuse "$backup has no database.dump: it is not a folder made by scripts/backup.sh."
if [ -f "$backup/SHA256SUMS" ]; then
  (cd "$backup" && sha256sum --check --quiet SHA256SUMS) \
    || refuse "the backup in $backup is damaged (a file does not match SHA256SUMS). Use another copy."
fi
with_files=no
[ -f "$backup/media.tar.gz" ] && with_files=yes

# --- The targets: both must be empty ----------------------------------------------------------------------
[ -n "${DATABASE_URL:-}" ] || refuse "DATABASE_URL is not set. Set it to an EMPTY database to restore into, e.g.
  createdb -h HOST -U USER npqel_restored
  DATABASE_URL=postgres://USER:PASSWORD@HOST:5432/npqel_restored MEDIA_ROOT=/srv/npqel-restored/media scripts/restore.sh $1"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) url="$DATABASE_URL" ;;
  postgis://* | pgsql://*) url="postgresql://${DATABASE_URL#*://}" ;;
  *) refuse "DATABASE_URL is not a PostgreSQL address (postgres://...)." ;;
esac
if [ "$with_files" = yes ]; then
  [ -n "${MEDIA_ROOT:-}" ] || refuse "MEDIA_ROOT is not set. Set it to an EMPTY folder (or one not yet made) for the uploaded files."
  media="$(realpath -m "$MEDIA_ROOT")"
  if [ -e "$media" ] && [ ! -d "$media" ]; then
    refuse "MEDIA_ROOT=$media is a file, not a folder."
  fi
  if [ -d "$media" ] && [ -n "$(ls -A "$media")" ]; then
    refuse "the folder $media already has files in it. Restore only into an empty folder, so that nothing
  is overwritten: choose a new folder, or empty this one if you are sure it is not needed."
  fi
fi

PSQL="$(pg_tool psql)"
PG_RESTORE="$(pg_tool pg_restore)"
user_tables="select n.nspname || '.' || c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace
  where c.relkind in ('r', 'p', 'v', 'm', 'f') and n.nspname not in ('pg_catalog', 'information_schema')
  and n.nspname not like 'pg\_toast%' order by 1"
tables="$("$PSQL" "$url" -X -A -t -c "$user_tables")" \
  || refuse "cannot connect to the database of DATABASE_URL (the message above says why). Create it first
  with createdb, empty."
dbname="$("$PSQL" "$url" -X -A -t -c 'select current_database()')"
if [ -n "$tables" ]; then
  examples="$(head -n 3 <<<"$tables" | paste -sd, - | sed 's/,/, /g')"
  [ "$(wc -l <<<"$tables")" -le 3 ] || examples="$examples, ..."
  refuse "the database $dbname already has tables in it ($examples).
  Restore only into an empty database, so that nothing is overwritten: createdb a new one and point
  DATABASE_URL at it."
fi

# --- Restore ----------------------------------------------------------------------------------------------
echo "Restoring the database from $backup/database.dump into $dbname"
# One transaction: if anything fails the database is left empty, never half restored. Objects belong to the
# user of DATABASE_URL, whatever role owned them on the old server.
"$PG_RESTORE" --single-transaction --exit-on-error --no-owner --no-privileges --dbname="$url" "$backup/database.dump" \
  || refuse "pg_restore failed (the message above says why); the database $dbname is still empty."
# Fresh planner statistics, or the first pages are slow.
"$PSQL" "$url" -X -q -c 'ANALYZE' || echo "ANALYZE failed (above): run it by hand later; the restore stands."

if [ "$with_files" = yes ]; then
  echo "Restoring the uploaded files into $media"
  mkdir -p "$media"
  if ! tar --extract --gzip --file="$backup/media.tar.gz" --directory="$media"; then
    echo "Restore incomplete: the database $dbname was restored but the files could not be unpacked into" >&2
    echo "$media (the message above says why). Drop the database, empty the folder and run it again." >&2
    exit 2
  fi
  echo "  $(find "$media" -type f | wc -l) files"
else
  echo "This backup has no media.tar.gz: the uploaded files are expected in object storage (FILE_STORAGE_BACKEND)."
fi

# --- Check ------------------------------------------------------------------------------------------------
PY="${PYTHON:-}"
if [ -z "$PY" ]; then
  if [ -x "$ROOT/.venv/bin/python" ]; then PY="$ROOT/.venv/bin/python"; else PY=python3; fi
fi
echo "Checking every submission file against its recorded SHA-256"
export DATABASE_URL MEDIA_ROOT="${media:-${MEDIA_ROOT:-}}"
export DJANGO_SETTINGS_MODULE="${DJANGO_SETTINGS_MODULE:-npqel.settings.local}"
if ! "$PY" "$ROOT/manage.py" verify_submission_files --quiet; then
  echo "The restore finished, but the check above found problems: do not switch the site to this copy" >&2
  echo "until they are explained (try an older backup, or the files from object storage)." >&2
  exit 1
fi
echo "Restored and checked: database $dbname${media:+, files in $media}."
