#!/usr/bin/env bash
# `make run`: migrate, load the demo data, serve on http://127.0.0.1:8000.
# Without DATABASE_URL/REDIS_URL: an SQLite file and in-process tasks, nothing else needs to run.
# With them: PostgreSQL and Redis, and a real Celery worker (with beat) beside the web server.
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_SETTINGS_MODULE=npqel.settings.local
mkdir -p var
PY=.venv/bin/python
$PY manage.py migrate --noinput -v0
$PY manage.py load_demo
if [ -n "${REDIS_URL:-}" ]; then
  echo "REDIS_URL is set: starting a Celery worker (with beat) beside the web server; its log is var/worker.log."
  .venv/bin/celery -A npqel worker --beat --loglevel=INFO --concurrency=2 >var/worker.log 2>&1 &
  worker=$!
  trap 'kill $worker 2>/dev/null || true' EXIT
else
  echo "No REDIS_URL: background jobs run inside the web process (set DATABASE_URL and REDIS_URL to use real services)."
fi
echo "Serving on http://127.0.0.1:8000 (Ctrl-C to stop)"
$PY manage.py runserver 127.0.0.1:8000
