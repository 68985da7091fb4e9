# Shared by scripts/backup.sh and scripts/restore.sh (sourced, not run): where the PostgreSQL client programs are.
# The sourcing script defines refuse(), which says why it stopped and exits.

# pg_tool NAME: the path of pg_dump, pg_restore or psql. PG_BIN when set; else the newest in /usr/lib/postgresql
# (Debian keeps one folder per version, and a dump needs a client as new as the server); else the one on PATH.
pg_tool() {
  if [ -n "${PG_BIN:-}" ]; then
    [ -x "$PG_BIN/$1" ] || refuse "there is no $1 in PG_BIN=$PG_BIN."
    echo "$PG_BIN/$1"
    return
  fi
  local newest
  newest="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -n "$newest" ] && [ -x "$newest/$1" ]; then
    echo "$newest/$1"
  else
    command -v "$1" || refuse "$1 is not installed (Debian/Ubuntu: apt-get install postgresql-client)."
  fi
}
