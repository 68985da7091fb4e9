#!/usr/bin/env bash
# Back up NPQEL: the PostgreSQL database of DATABASE_URL (pg_dump, custom format) and the uploaded files in
# MEDIA_ROOT (a tar), together in one dated folder with their SHA-256 sums.
#
#   DATABASE_URL=postgres://user:pw@host:5432/npqel MEDIA_ROOT=/var/lib/npqel/media scripts/backup.sh [FOLDER]
#
# FOLDER (default var/backups) receives npqel-YYYY-MM-DDTHHMMSSZ/. PG_BIN picks the PostgreSQL client
# programs (default: the newest in /usr/lib/postgresql, else those on PATH). Restore with scripts/restore.sh;
# docs/operations-backup.md says how often and where to keep the copies.
set -euo pipefail
umask 077 # the backup holds personal and special-category data: readable by this user only
ROOT="$(cd "$(dirname "$0")/.." && pwd)"

refuse() {
  echo "Backup not made: $*" >&2
  exit 2
}

# shellcheck source=scripts/pg_common.sh
. "$ROOT/scripts/pg_common.sh"

# --- What to back up, and where ---------------------------------------------------------------------------
[ -n "${DATABASE_URL:-}" ] || refuse "DATABASE_URL is not set. Set it to the database to back up, e.g.
  DATABASE_URL=postgres://npqel:PASSWORD@127.0.0.1:5432/npqel scripts/backup.sh"
case "$DATABASE_URL" in
  postgres://* | postgresql://*) url="$DATABASE_URL" ;;
  postgis://* | pgsql://*) url="postgresql://${DATABASE_URL#*://}" ;;
  *) refuse "DATABASE_URL is not a PostgreSQL address (postgres://...). A local SQLite file needs no pg_dump: copy it." ;;
esac

on_disk=yes
case "${FILE_STORAGE_BACKEND:-django.core.files.storage.FileSystemStorage}" in
  *FileSystemStorage) ;;
  *) on_disk=no ;;
esac
media="$(realpath -m "${MEDIA_ROOT:-$ROOT/var/media}")"
if [ "$on_disk" = yes ] && [ ! -d "$media" ]; then
  refuse "there is no folder of uploaded files at $media. Set MEDIA_ROOT to the folder the site stores them in."
fi

target="$(realpath -m "${1:-$ROOT/var/backups}")"
stamp="$(date -u +%Y-%m-%dT%H%M%SZ)"
dest="$target/npqel-$stamp"
[ ! -e "$dest" ] || refuse "$dest already exists. Wait a second and run it again."

PSQL="$(pg_tool psql)"
PG_DUMP="$(pg_tool pg_dump)"

# --- The server answers, and this pg_dump is not older than it ----------------------------------------------
info="$("$PSQL" "$url" -X -A -t -F '|' -c "select current_database(), current_setting('server_version_num')")" \
  || refuse "cannot connect to the database of DATABASE_URL (the message above says why)."
IFS='|' read -r dbname server_num <<<"$info"
server_major=$((server_num / 10000))
dump_version="$("$PG_DUMP" --version | sed -E 's/^pg_dump \(PostgreSQL\) ([0-9]+).*/\1/')"
if [ "$dump_version" -lt "$server_major" ]; then
  refuse "$PG_DUMP is version $dump_version but the server runs PostgreSQL $server_major: install the
  version-$server_major client (postgresql-client-$server_major) or point PG_BIN at its bin folder."
fi

# --- Write into a .partial folder, renamed only once everything is in it ----------------------------------
partial="$dest.partial"
mkdir -p "$partial"
trap 'rm -rf "$partial"' EXIT

echo "Backing up database $dbname (PostgreSQL $server_major) with $PG_DUMP"
# The database first, then the files: uploads are only ever added, so every file recorded in the dump is
# already on disk when the tar reads the folder (a file added in between is harmless).
"$PG_DUMP" --format=custom --file="$partial/database.dump" "$url"

files=0
if [ "$on_disk" = yes ]; then
  files="$(find "$media" -type f | wc -l)"
  echo "Backing up $files uploaded files from $media"
  # Exit status 1 from GNU tar means a file changed while it was read (an upload arriving now): still a
  # complete backup of everything the dump records.
  status=0
  tar --create --gzip --file="$partial/media.tar.gz" --directory="$media" . || status=$?
  if [ "$status" -gt 1 ]; then
    refuse "tar could not read $media (the message above says why)."
  fi
else
  echo "Uploaded files are in object storage (FILE_STORAGE_BACKEND=$FILE_STORAGE_BACKEND): not copied here."
  echo "Keep that bucket versioned and replicated (docs/operations-backup.md)."
fi

{
  echo "NPQEL backup made at $stamp"
  echo "database: $dbname (PostgreSQL $server_major, dumped with pg_dump $dump_version)"
  if [ "$on_disk" = yes ]; then
    echo "uploaded files: $files from $media"
  else
    echo "uploaded files: not included (object storage: $FILE_STORAGE_BACKEND)"
  fi
  echo "restore with: DATABASE_URL=... MEDIA_ROOT=... scripts/restore.sh $dest"
} >"$partial/README.txt"
(cd "$partial" && sha256sum database.dump $([ "$on_disk" = yes ] && echo media.tar.gz) >SHA256SUMS)

mv "$partial" "$dest"
trap - EXIT

echo
echo "Backup written to $dest:"
(cd "$dest" && du -h -- * | sed 's/^/  /')
echo "Total: $(du -sh "$dest" | cut -f1). Copy the whole folder somewhere off this server."
